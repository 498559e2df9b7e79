#include "engine/publisheddocuments.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "export/csvwriter.h"
#include "export/resulttable.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QString isoTimeOf(qint64 epochMs)
{
    if (epochMs <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(epochMs, Qt::UTC).toString(Qt::ISODateWithMs);
}
} // namespace

const QList<PublishedDocument> &publishedDocuments()
{
    // The feed side adds its formats here (results-wide.csv, results.xml, ...).
    static const QList<PublishedDocument> documents{
        {"/v1/results", "application/json", renderResultsJson},
        {"/v1/results.csv", "text/csv; charset=utf-8", renderResultsCsv},
    };
    return documents;
}

QByteArray renderResultsJson(const PublishedResults &results)
{
    const ResultTable table = ResultTable::compute(results.session, results.tally.exact);
    QJsonArray rows;
    for (const ResultRow &row : table.rows) {
        rows.append(QJsonObject{{u"rank"_s, row.rank},
                                {u"key"_s, row.key},
                                {u"label"_s, row.label},
                                {u"colour"_s, row.colour},
                                {u"votes"_s, row.votes},
                                {u"percent"_s, row.percentText().toDouble()}});
    }
    const QJsonObject object{{u"session"_s, results.session.id},
                             {u"question"_s, results.session.question},
                             {u"state"_s, windowStateName(results.window.state)},
                             {u"policy"_s, results.session.policyText()},
                             {u"version"_s, qint64(results.publishVersion)},
                             {u"final"_s, results.final},
                             {u"rehearsal"_s, results.rehearsal},
                             {u"published_at"_s, isoTimeOf(results.publishedAtMs)},
                             {u"updated_at"_s, isoTimeOf(results.tally.takenAtMs)},
                             {u"total"_s, table.total},
                             {u"results"_s, rows}};
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray renderResultsCsv(const PublishedResults &results)
{
    return CsvWriter::longForm(ResultTable::compute(results.session, results.tally.exact), {});
}
