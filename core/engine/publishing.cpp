#include "engine/publishing.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "engine/publisheddocuments.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QJsonArray countsArray(const std::vector<qint64> &counts)
{
    QJsonArray array;
    for (qint64 count : counts)
        array.append(count);
    return array;
}

bool countsFrom(const QJsonValue &value, qsizetype expected, std::vector<qint64> *out)
{
    const QJsonArray array = value.toArray();
    if (!value.isArray() || array.size() != expected)
        return false;
    out->clear();
    for (const QJsonValue &count : array) {
        if (!count.isDouble() || count.toDouble() < 0)
            return false;
        out->push_back(count.toInteger());
    }
    return true;
}
} // namespace

PublishedViewPtr renderPublishedView(PublishedResultsPtr results, const ResultDocuments::Options &options)
{
    auto view = std::make_shared<PublishedView>();
    for (const PublishedDocument &document : publishedDocuments())
        view->bodies.append(document.render(*results, options));
    view->etag = '"' + QByteArray::number(results->session.id) + '-' +
                 QByteArray::number(results->publishVersion) + '"';
    view->results = std::move(results);
    return view;
}

void PublishedBox::publish(PublishedViewPtr view)
{
    std::lock_guard lock(m_mutex);
    m_view = std::move(view);
}

PublishedViewPtr PublishedBox::load() const
{
    std::lock_guard lock(m_mutex);
    return m_view;
}

PublishedRecord toPublishedRecord(const PublishedResults &results)
{
    const TallySnapshot &tally = results.tally;
    const WindowRecord &window = results.window;
    const QJsonObject picture{{u"raw"_s, countsArray(tally.raw)},
                              {u"exact"_s, countsArray(tally.exact)},
                              {u"accepted"_s, tally.accepted},
                              {u"unique_voters"_s, tally.uniqueVoters},
                              {u"tally_version"_s, qint64(tally.version)},
                              {u"taken_at_ms"_s, tally.takenAtMs},
                              {u"state"_s, windowStateName(window.state)},
                              {u"length_ms"_s, window.lengthMs},
                              {u"opened_at_ms"_s, window.openedAtMs},
                              {u"closes_at_ms"_s, window.closesAtMs},
                              {u"closed_at_ms"_s, window.closedAtMs},
                              {u"rehearsal"_s, results.rehearsal}};
    return PublishedRecord{results.session.id, results.publishVersion, results.publishedAtMs, results.final,
                           QJsonDocument(picture).toJson(QJsonDocument::Compact)};
}

bool fromPublishedRecord(const PublishedRecord &record, const SessionDefinition &session,
                         PublishedResults *out, QString *error)
{
    const QJsonObject picture = QJsonDocument::fromJson(record.picture).object();
    PublishedResults results;
    results.session = session;
    results.publishVersion = record.version;
    results.publishedAtMs = record.publishedAtMs;
    results.final = record.final;
    results.rehearsal = picture.value(u"rehearsal"_s).toBool();
    TallySnapshot &tally = results.tally;
    tally.sessionId = session.id;
    tally.version = quint64(picture.value(u"tally_version"_s).toInteger());
    tally.takenAtMs = picture.value(u"taken_at_ms"_s).toInteger();
    tally.accepted = picture.value(u"accepted"_s).toInteger();
    tally.uniqueVoters = picture.value(u"unique_voters"_s).toInteger();
    WindowRecord &window = results.window;
    window.lengthMs = picture.value(u"length_ms"_s).toInteger();
    window.openedAtMs = picture.value(u"opened_at_ms"_s).toInteger();
    window.closesAtMs = picture.value(u"closes_at_ms"_s).toInteger();
    window.closedAtMs = picture.value(u"closed_at_ms"_s).toInteger();
    const qsizetype options = session.options.size();
    if (record.sessionId != session.id || !countsFrom(picture.value(u"raw"_s), options, &tally.raw) ||
        !countsFrom(picture.value(u"exact"_s), options, &tally.exact) ||
        !parseWindowState(picture.value(u"state"_s).toString(), &window.state)) {
        if (error)
            *error =
                u"the published results of session %1 in the store do not fit the session"_s.arg(session.id);
        return false;
    }
    *out = std::move(results);
    return true;
}
