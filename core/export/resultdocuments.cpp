#include "export/resultdocuments.h"

#include "export/csvwriter.h"
#include "export/textescape.h"

using namespace Qt::Literals::StringLiterals;

namespace {
const QByteArray kCrLf = QByteArrayLiteral("\r\n");

QByteArray bom(const ResultDocuments::Options &options)
{
    return options.csvByteOrderMark ? QByteArrayLiteral("\xEF\xBB\xBF") : QByteArray();
}

QByteArray num(const qint64 value)
{
    return QByteArray::number(value);
}

QByteArray percent(const ResultRow &row)
{
    return row.percentText().toLatin1();
}

const ResultRow *findRow(const ResultTable &table, const QString &key)
{
    for (const ResultRow &row : table.rows) {
        if (row.key == key)
            return &row;
    }
    return nullptr;
}

QByteArray xmlElement(const char *name, const QByteArray &escapedValue)
{
    return QByteArray('<' + QByteArray(name) + '>' + escapedValue + "</" + QByteArray(name) + '>');
}
} // namespace

QString ResultDocuments::statusText(const PublishedResults &results)
{
    // A rehearsal is never presented as final, even if someone certifies it: the one word a
    // template shows must be the one that keeps it off air.
    if (results.rehearsal)
        return u"REHEARSAL"_s;
    return results.final ? u"FINAL"_s : u"PROVISIONAL"_s;
}

ResultTable ResultDocuments::table(const PublishedResults &results, const Options &options)
{
    ResultTable table = ResultTable::compute(results.session, results.tally.exact);
    if (results.rehearsal && options.markRehearsalLabels) {
        for (ResultRow &row : table.rows)
            row.label = rehearsalPrefix() + row.label;
    }
    return table;
}

QByteArray ResultDocuments::longCsv(const PublishedResults &results, const Options &options)
{
    const ResultTable rows = table(results, options);
    const QByteArray status = statusText(results).toLatin1();
    const QByteArray total = num(rows.total);
    QByteArray out = bom(options);
    out.reserve(out.size() + 48 + rows.rows.size() * 64);
    out += QByteArrayLiteral("rank,key,label,votes,percent,total,status") + kCrLf;
    for (const ResultRow &row : rows.rows) {
        out += num(row.rank) + ',' + CsvWriter::quoteField(row.key) + ',' + CsvWriter::quoteField(row.label) +
               ',' + num(row.votes) + ',' + percent(row) + ',' + total + ',' + status + kCrLf;
    }
    return out;
}

// Columns follow the session's option order, not the ranking (see the class comment).
QByteArray ResultDocuments::wideCsv(const PublishedResults &results, const Options &options)
{
    const ResultTable rows = table(results, options);
    QByteArray header = QByteArrayLiteral("total");
    QByteArray data = num(rows.total);
    for (const VoteOption &option : results.session.options) {
        header += ',' + CsvWriter::quoteField(option.key + u"_label"_s) + ',' +
                  CsvWriter::quoteField(option.key + u"_votes"_s) + ',' +
                  CsvWriter::quoteField(option.key + u"_percent"_s);
        // Every session option has a row (ResultTable::compute makes one per option).
        const ResultRow *row = findRow(rows, option.key);
        data += ',' + CsvWriter::quoteField(row ? row->label : option.label) + ',' +
                num(row ? row->votes : 0) + ',' + (row ? percent(*row) : QByteArrayLiteral("0.0"));
    }
    header += ",status";
    data += ',' + statusText(results).toLatin1();
    return bom(options) + header + kCrLf + data + kCrLf;
}

QByteArray ResultDocuments::json(const PublishedResults &results, const Options &options)
{
    // Written by hand rather than through QJsonDocument: QJsonObject sorts its keys, and the
    // documented field order (the same as the CSV) is what an operator sees when mapping.
    const ResultTable rows = table(results, options);
    const QByteArray status = TextEscape::json(statusText(results));
    const QByteArray total = num(rows.total);
    QByteArray out = QByteArrayLiteral("[\n");
    for (qsizetype i = 0; i < rows.rows.size(); ++i) {
        const ResultRow &row = rows.rows[i];
        out += "{\"rank\":" + num(row.rank) + ",\"key\":\"" + TextEscape::json(row.key) + "\",\"label\":\"" +
               TextEscape::json(row.label) + "\",\"colour\":\"" + TextEscape::json(row.colour) +
               "\",\"votes\":" + num(row.votes) + ",\"percent\":\"" + percent(row) + "\",\"total\":" + total +
               ",\"status\":\"" + status + "\"}";
        out += (i + 1 < rows.rows.size()) ? ",\n" : "\n";
    }
    out += "]\n";
    return out;
}

QByteArray ResultDocuments::xml(const PublishedResults &results, const Options &options)
{
    const ResultTable rows = table(results, options);
    const QByteArray status = TextEscape::xml(statusText(results));
    const QByteArray total = num(rows.total);
    QByteArray out = QByteArrayLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out += "<results status=\"" + status + "\">\n";
    out += "  " + xmlElement("status", status) + '\n';
    out += "  " + xmlElement("rehearsal", results.rehearsal ? "true" : "false") + '\n';
    out += "  " + xmlElement("final", results.final ? "true" : "false") + '\n';
    out += "  " + xmlElement("session", num(results.session.id)) + '\n';
    out += "  " + xmlElement("title", TextEscape::xml(results.session.title)) + '\n';
    out += "  " + xmlElement("question", TextEscape::xml(results.session.question)) + '\n';
    out += "  " + xmlElement("publish_version", QByteArray::number(results.publishVersion)) + '\n';
    out +=
        "  " + xmlElement("published_at", TextEscape::xml(TextEscape::isoUtc(results.publishedAtMs))) + '\n';
    out += "  " + xmlElement("total", total) + '\n';
    for (const ResultRow &row : rows.rows) {
        out += "  <row>" + xmlElement("rank", num(row.rank)) + xmlElement("key", TextEscape::xml(row.key)) +
               xmlElement("label", TextEscape::xml(row.label)) +
               xmlElement("colour", TextEscape::xml(row.colour)) + xmlElement("votes", num(row.votes)) +
               xmlElement("percent", percent(row)) + xmlElement("total", total) +
               xmlElement("status", status) + "</row>\n";
    }
    out += "</results>\n";
    return out;
}

QByteArray ResultDocuments::render(const Kind kind, const PublishedResults &results, const Options &options)
{
    switch (kind) {
    case Kind::Json:
        return json(results, options);
    case Kind::LongCsv:
        return longCsv(results, options);
    case Kind::WideCsv:
        return wideCsv(results, options);
    case Kind::Xml:
        return xml(results, options);
    }
    Q_UNREACHABLE();
    return QByteArray();
}

QString ResultDocuments::fileName(const Kind kind)
{
    switch (kind) {
    case Kind::Json:
        return u"results.json"_s;
    case Kind::LongCsv:
        return u"results.csv"_s;
    case Kind::WideCsv:
        return u"results-wide.csv"_s;
    case Kind::Xml:
        return u"results.xml"_s;
    }
    Q_UNREACHABLE();
    return QString();
}

QByteArray ResultDocuments::httpPath(const Kind kind)
{
    switch (kind) {
    case Kind::Json:
        return QByteArrayLiteral("/v1/results.json");
    case Kind::LongCsv:
        return QByteArrayLiteral("/v1/results.csv");
    case Kind::WideCsv:
        return QByteArrayLiteral("/v1/results-wide.csv");
    case Kind::Xml:
        return QByteArrayLiteral("/v1/results.xml");
    }
    Q_UNREACHABLE();
    return QByteArray();
}

QByteArray ResultDocuments::contentType(const Kind kind)
{
    switch (kind) {
    case Kind::Json:
        return QByteArrayLiteral("application/json");
    case Kind::LongCsv:
    case Kind::WideCsv:
        return QByteArrayLiteral("text/csv; charset=utf-8; header=present");
    case Kind::Xml:
        return QByteArrayLiteral("application/xml; charset=utf-8");
    }
    Q_UNREACHABLE();
    return QByteArray();
}
