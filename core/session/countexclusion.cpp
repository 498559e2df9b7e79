#include "session/countexclusion.h"

using namespace Qt::Literals::StringLiterals;

QString CountExclusion::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Voter:
        return u"voter"_s;
    case Kind::AddressRange:
        return u"address_range"_s;
    }
    return u"invalid"_s;
}

bool CountExclusion::parseKind(const QString &name, Kind *kind)
{
    if (name == u"voter")
        *kind = Kind::Voter;
    else if (name == u"address_range")
        *kind = Kind::AddressRange;
    else
        return false;
    return true;
}

namespace {
constexpr QStringView kVoterWord = u"voter";
constexpr QStringView kAddressesWord = u"addresses";
constexpr QStringView kMiddle = u" left out of the count; reason: ";
} // namespace

QString CountExclusion::eventDetail() const
{
    return (kind == Kind::Voter ? kVoterWord : kAddressesWord) + u' ' + value + kMiddle + reason;
}

std::optional<CountExclusion> CountExclusion::fromEvent(const QString &eventKind, const QString &detail,
                                                        const QString &actor, qint64 atMs)
{
    if (eventKind != QLatin1StringView(kEventKind))
        return std::nullopt;
    CountExclusion exclusion;
    const qsizetype space = detail.indexOf(u' ');
    const qsizetype middle = detail.indexOf(kMiddle);
    if (space < 0 || middle <= space)
        return std::nullopt;
    const QStringView word = QStringView(detail).left(space);
    if (word == kVoterWord)
        exclusion.kind = Kind::Voter;
    else if (word == kAddressesWord)
        exclusion.kind = Kind::AddressRange;
    else
        return std::nullopt;
    exclusion.value = detail.mid(space + 1, middle - space - 1);
    exclusion.reason = detail.mid(middle + kMiddle.size());
    exclusion.actor = actor;
    exclusion.atMs = atMs;
    return exclusion;
}
