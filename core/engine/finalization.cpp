#include "engine/finalization.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::Literals::StringLiterals;

namespace {
QString optionKey(const SessionDefinition &session, int index)
{
    return index >= 0 && index < session.options.size() ? session.options[index].key
                                                        : u"#%1"_s.arg(index + 1);
}

QJsonObject countsByKey(const std::vector<qint64> &counts, const SessionDefinition &session)
{
    QJsonObject object;
    for (std::size_t i = 0; i < counts.size(); ++i)
        object.insert(optionKey(session, int(i)), counts[i]);
    return object;
}
} // namespace

QString FinalFiles::describe() const
{
    QStringList names;
    for (const FileDigest &file : files) {
        names.append(file.name.endsWith(u".zip"_s)
                         ? u"%1 (sha256 %2)"_s.arg(file.name, QString::fromLatin1(file.sha256Hex))
                         : file.name);
    }
    return u"%1 in %2"_s.arg(names.join(u", "_s), folder);
}

QJsonObject FinalFiles::toJson() const
{
    QJsonArray array;
    for (const FileDigest &file : files) {
        array.append(QJsonObject{{u"name"_s, file.name},
                                 {u"sha256"_s, QString::fromLatin1(file.sha256Hex)},
                                 {u"bytes"_s, file.bytes}});
    }
    return QJsonObject{{u"folder"_s, folder}, {u"files"_s, array}};
}

QString Actor::adminApi(const QString &peerAddress)
{
    return u"admin-api "_s + peerAddress;
}

AuditEntry auditEntryFrom(const EventRow &event)
{
    return AuditEntry{event.atMs, event.kind, event.detail, event.actor};
}

QByteArray auditLogJson(const QList<AuditEntry> &entries)
{
    QJsonArray array;
    for (const AuditEntry &entry : entries) {
        array.append(QJsonObject{
            {u"at"_s, QDateTime::fromMSecsSinceEpoch(entry.atMs, Qt::UTC).toString(Qt::ISODateWithMs)},
            {u"at_ms"_s, entry.atMs},
            {u"kind"_s, entry.kind},
            {u"detail"_s, entry.detail},
            {u"actor"_s, entry.actor}});
    }
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
}

QJsonArray differencesJson(const QList<TallyDifference> &differences, const SessionDefinition &session)
{
    QJsonArray array;
    for (const TallyDifference &difference : differences) {
        QJsonObject object{{u"field"_s, difference.fieldName()},
                           {u"live"_s, difference.live},
                           {u"recount"_s, difference.recount}};
        if (difference.optionIndex >= 0)
            object.insert(u"option"_s, optionKey(session, difference.optionIndex));
        array.append(object);
    }
    return array;
}

QString describeDifferences(const QList<TallyDifference> &differences, const SessionDefinition &session)
{
    QStringList parts;
    for (const TallyDifference &difference : differences) {
        const QString what = difference.optionIndex >= 0
                                 ? difference.fieldName() + u' ' + optionKey(session, difference.optionIndex)
                                 : difference.fieldName();
        parts.append(u"%1: live %2, recount %3"_s.arg(what).arg(difference.live).arg(difference.recount));
    }
    return parts.join(u"; "_s);
}

QString describeCounts(const std::vector<qint64> &counts, const SessionDefinition &session)
{
    QStringList parts;
    for (std::size_t i = 0; i < counts.size(); ++i)
        parts.append(optionKey(session, int(i)) + u' ' + QString::number(counts[i]));
    return parts.join(u" \u00b7 "_s);
}

QJsonObject publishedJson(const PublishedResults &results)
{
    return QJsonObject{
        {u"session"_s, results.session.id},
        {u"version"_s, qint64(results.publishVersion)},
        {u"final"_s, results.final},
        {u"rehearsal"_s, results.rehearsal},
        {u"state"_s, windowStateName(results.window.state)},
        {u"published_at"_s,
         QDateTime::fromMSecsSinceEpoch(results.publishedAtMs, Qt::UTC).toString(Qt::ISODateWithMs)},
        {u"exact"_s, countsByKey(results.tally.exact, results.session)},
        {u"raw"_s, countsByKey(results.tally.raw, results.session)},
        {u"accepted"_s, results.tally.accepted},
        {u"unique_voters"_s, results.tally.uniqueVoters}};
}

QJsonArray exclusionsJson(const CountExclusions &exclusions)
{
    QJsonArray array;
    for (const CountExclusion &exclusion : exclusions) {
        array.append(QJsonObject{{u"kind"_s, CountExclusion::kindName(exclusion.kind)},
                                 {u"value"_s, exclusion.value},
                                 {u"reason"_s, exclusion.reason},
                                 {u"actor"_s, exclusion.actor},
                                 {u"at_ms"_s, exclusion.atMs}});
    }
    return array;
}

QByteArray policyReplayJson(const PolicyReplay &replay, const SessionDefinition &session)
{
    QJsonArray differences;
    for (const TallyDifference &difference : replay.differences) {
        if (difference.field != TallyDifference::Field::Exact)
            continue; // raw, accepted and voters do not depend on the rule
        differences.append(QJsonObject{{u"option"_s, optionKey(session, difference.optionIndex)},
                                       {u"live"_s, difference.live},
                                       {u"replay"_s, difference.recount},
                                       {u"difference"_s, difference.recount - difference.live}});
    }
    const QJsonObject object{{u"session"_s, replay.sessionId},
                             {u"policy"_s, replay.rule.policyName()},
                             {u"option_cap"_s, replay.rule.optionCap},
                             {u"live_policy"_s, replay.liveRule.policyName()},
                             {u"live_option_cap"_s, replay.liveRule.optionCap},
                             {u"exact"_s, countsByKey(replay.replayed.exact, session)},
                             {u"raw"_s, countsByKey(replay.replayed.raw, session)},
                             {u"live_exact"_s, countsByKey(replay.live.exact, session)},
                             {u"live_raw"_s, countsByKey(replay.live.raw, session)},
                             {u"accepted"_s, replay.replayed.accepted},
                             {u"unique_voters"_s, replay.replayed.uniqueVoters},
                             {u"differences"_s, differences},
                             {u"excluded_votes"_s, replay.excludedVotes},
                             {u"exclusions"_s, exclusionsJson(replay.exclusions)}};
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}
