#include "votegenerator.h"

#include <algorithm>
#include <charconv>
#include <cmath>

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr std::array<const char *, kVoteKindCount> kKindNames{
    "valid", "invalid_json", "missing_field", "invalid_voter", "unknown_option", "unsupported_media_type"};

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}
} // namespace

QString voteKindName(VoteKind kind)
{
    return QString::fromLatin1(kKindNames[std::size_t(kind)]);
}

bool parseVoteKind(const QString &name, VoteKind *kind)
{
    for (int i = 0; i < kVoteKindCount; ++i) {
        if (name == QLatin1StringView(kKindNames[std::size_t(i)])) {
            *kind = VoteKind(i);
            return true;
        }
    }
    return false;
}

int expectedStatus(VoteKind kind)
{
    switch (kind) {
    case VoteKind::Valid:
        return 202;
    case VoteKind::UnsupportedMediaType:
        return 415;
    default:
        return 400;
    }
}

QByteArray expectedErrorCode(VoteKind kind)
{
    return kind == VoteKind::Valid ? QByteArray() : QByteArray(kKindNames[std::size_t(kind)]);
}

VoteGenerator::VoteGenerator(Config config)
    : m_config(std::move(config))
    , m_state(m_config.seed)
{
    double sum = 0;
    for (double weight : m_config.optionWeights) {
        sum += weight;
        m_cumulativeWeights.push_back(sum);
    }
    for (const QString &key : m_config.optionKeys)
        m_optionKeysUtf8.append(key.toUtf8());
    for (double &value : m_cumulativeWeights)
        value /= sum > 0 ? sum : 1;
    double invalid = 0;
    for (int i = 1; i < kVoteKindCount; ++i) {
        invalid += m_config.invalidRatio[std::size_t(i)];
        m_cumulativeInvalid[std::size_t(i)] = invalid;
    }
    m_invalidTotal = invalid;
    if (m_config.unknownOptionKey.isEmpty()) {
        // Not a key of this session, but shaped like one (1-16 of [A-Za-z0-9_-]), so the
        // server's answer is about the option and not about the key's form.
        QByteArray key = "no-such-option";
        for (int n = 0; m_config.optionKeys.contains(QString::fromLatin1(key)); ++n)
            key = "no-such-opt" + QByteArray::number(n);
        m_config.unknownOptionKey = key;
    }
}

double VoteGenerator::uniform()
{
    // splitmix64: tiny, fast, and the same sequence on every platform for a given seed
    // (std::uniform_real_distribution is not), so a run can be repeated exactly.
    quint64 z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return double(z >> 11) * 0x1.0p-53;
}

PlannedVote VoteGenerator::next()
{
    PlannedVote vote;
    const double pick = uniform();
    if (pick < m_invalidTotal) {
        int kind = 1;
        while (kind < kVoteKindCount - 1 && pick >= m_cumulativeInvalid[std::size_t(kind)])
            ++kind;
        vote.kind = VoteKind(kind);
        vote.voterIndex = m_nextInvalidVoter++;
    } else {
        const qint64 limit =
            m_config.voters > 0 ? m_config.voters : std::numeric_limits<std::uint32_t>::max();
        const bool canReturn = m_nextVoter > 0;
        const bool returning =
            canReturn && (qint64(m_nextVoter) >= limit || uniform() < m_config.repeatRatio);
        vote.voterIndex =
            returning ? std::uint32_t(uniform() * double(m_nextVoter)) % m_nextVoter : m_nextVoter++;
    }
    if (vote.kind != VoteKind::MissingField && vote.kind != VoteKind::UnknownOption) {
        const double at = uniform();
        const auto it = std::upper_bound(m_cumulativeWeights.cbegin(), m_cumulativeWeights.cend(), at);
        vote.optionIndex = std::int16_t(std::min<qsizetype>(it - m_cumulativeWeights.cbegin(),
                                                            qsizetype(m_cumulativeWeights.size()) - 1));
    }
    return vote;
}

QByteArray VoteGenerator::validVoterId(std::uint32_t index) const
{
    return m_config.voterPrefix + QByteArray::number(index);
}

QByteArray VoteGenerator::voterId(const PlannedVote &vote) const
{
    QByteArray id;
    appendVoterId(vote, id);
    return id;
}

QByteArray VoteGenerator::contentType(const PlannedVote &vote) const
{
    return vote.kind == VoteKind::UnsupportedMediaType ? QByteArrayLiteral("text/plain")
                                                       : QByteArrayLiteral("application/json");
}

void VoteGenerator::appendVoterId(const PlannedVote &vote, QByteArray &out) const
{
    out += m_config.voterPrefix;
    if (vote.kind == VoteKind::InvalidVoter)
        out += "bad voter#";
    else if (vote.kind != VoteKind::Valid)
        out += 'i';
    char digits[16];
    const auto end = std::to_chars(digits, digits + sizeof(digits), vote.voterIndex).ptr;
    out.append(digits, end - digits);
}

void VoteGenerator::body(const PlannedVote &vote, QByteArray &out) const
{
    // Appends in place: this runs once per request on the sender's hot path.
    out += "{\"voter\":\"";
    appendVoterId(vote, out);
    switch (vote.kind) {
    case VoteKind::MissingField:
        out += "\"}";
        return;
    case VoteKind::UnknownOption:
        out += "\",\"option\":\"";
        out += m_config.unknownOptionKey;
        out += "\"}";
        return;
    default:
        out += "\",\"option\":\"";
        if (vote.optionIndex >= 0 && vote.optionIndex < m_optionKeysUtf8.size())
            out += m_optionKeysUtf8.at(vote.optionIndex);
        // A body cut short for InvalidJson: no closing brace.
        out += vote.kind == VoteKind::InvalidJson ? QByteArrayView("\"") : QByteArrayView("\"}");
        return;
    }
}

bool VoteGenerator::parseOptionWeights(const QString &spec, QStringList *keys, QList<double> *weights,
                                       QString *error)
{
    keys->clear();
    weights->clear();
    double sum = 0;
    for (const QString &item : spec.split(u',', Qt::SkipEmptyParts)) {
        const qsizetype colon = item.indexOf(u':');
        const QString key = item.left(colon < 0 ? item.size() : colon).trimmed();
        double weight = 1;
        if (colon >= 0) {
            bool ok = false;
            weight = item.mid(colon + 1).trimmed().toDouble(&ok);
            if (!ok || !std::isfinite(weight) || weight < 0)
                return fail(error, u"\"%1\": the weight must be a number of 0 or more"_s.arg(item));
        }
        if (key.isEmpty())
            return fail(error, u"\"%1\": the option key is missing"_s.arg(item));
        if (keys->contains(key))
            return fail(error, u"option \"%1\" is given twice"_s.arg(key));
        keys->append(key);
        weights->append(weight);
        sum += weight;
    }
    if (keys->size() < 2)
        return fail(error, u"give at least two options, e.g. A:40,B:30,C:20,D:10"_s);
    if (sum <= 0)
        return fail(error, u"the option weights add up to 0"_s);
    return true;
}

bool VoteGenerator::parseInvalidRatio(const QString &spec, std::array<double, kVoteKindCount> *ratios,
                                      QString *error)
{
    ratios->fill(0);
    auto readRatio = [&](const QString &text, double *out) {
        bool ok = false;
        const double value = text.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(value) || value < 0 || value >= 1)
            return fail(error, u"\"%1\" is not a ratio from 0 to below 1"_s.arg(text));
        *out = value;
        return true;
    };
    if (!spec.contains(u':')) {
        double total = 0;
        if (!readRatio(spec, &total))
            return false;
        for (int i = 1; i < kVoteKindCount; ++i)
            (*ratios)[std::size_t(i)] = total / (kVoteKindCount - 1);
        return true;
    }
    double total = 0;
    for (const QString &item : spec.split(u',', Qt::SkipEmptyParts)) {
        const qsizetype colon = item.indexOf(u':');
        VoteKind kind;
        if (colon < 0 || !parseVoteKind(item.left(colon).trimmed(), &kind) || kind == VoteKind::Valid) {
            QStringList names;
            for (int i = 1; i < kVoteKindCount; ++i)
                names.append(voteKindName(VoteKind(i)));
            return fail(error, u"\"%1\": use kind:ratio with a kind of %2"_s.arg(item, names.join(u", "_s)));
        }
        double value = 0;
        if (!readRatio(item.mid(colon + 1), &value))
            return false;
        (*ratios)[std::size_t(kind)] = value;
        total += value;
    }
    if (total >= 1)
        return fail(error, u"the malformed votes add up to %1 of all votes; keep it below 1"_s.arg(total));
    return true;
}

bool VoteGenerator::parseValidVoter(QByteArrayView voter, QByteArrayView prefix, std::uint32_t *index)
{
    if (!voter.startsWith(prefix) || voter.size() == prefix.size() || voter.size() - prefix.size() > 10)
        return false;
    quint64 value = 0;
    for (char c : voter.sliced(prefix.size())) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + quint64(c - '0');
    }
    // No leading zeros: "007" is not the id this run sent for voter 7.
    if (value > std::numeric_limits<std::uint32_t>::max() ||
        (voter.size() - prefix.size() > 1 && voter[prefix.size()] == '0'))
        return false;
    *index = std::uint32_t(value);
    return true;
}
