#include "export/csvwriter.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

using namespace Qt::Literals::StringLiterals;

namespace {
const QByteArray kLineEnd = QByteArrayLiteral("\r\n");

QByteArray startDocument(const CsvWriter::Options options)
{
    // Excel only reads a CSV as UTF-8 when it starts with a BOM; most graphics engines and
    // scripts do not want one, hence off by default.
    return options.byteOrderMark ? QByteArrayLiteral("\xEF\xBB\xBF") : QByteArray();
}

QByteArray number(const qint64 value)
{
    return QByteArray::number(value);
}

const ResultRow *findRow(const ResultTable &table, const QString &key)
{
    for (const ResultRow &row : table.rows) {
        if (row.key == key)
            return &row;
    }
    return nullptr;
}
} // namespace

QByteArray CsvWriter::longForm(const ResultTable &table, const Options options)
{
    QByteArray out = startDocument(options);
    out.reserve(out.size() + 32 + table.rows.size() * 48);
    out += QByteArrayLiteral("rank,key,label,votes,percent") + kLineEnd;
    for (const ResultRow &row : table.rows) {
        out += number(row.rank) + ',' + quoteField(row.key) + ',' + quoteField(row.label) + ',' +
               number(row.votes) + ',' + row.percentText().toLatin1() + kLineEnd;
    }
    return out;
}

// The columns follow the session, not the ranking, so that a template bound to "B_votes"
// finds it in the same place whatever the standings. An option the table does not know
// (a table computed for another session would be a wiring bug) is written with the session's
// label and no votes rather than shifting every column after it.
QByteArray CsvWriter::wideForm(const ResultTable &table, const SessionDefinition &session,
                               const Options options)
{
    QByteArray header = QByteArrayLiteral("total");
    QByteArray data = number(table.total);
    for (const VoteOption &option : session.options) {
        header += ',' + quoteField(option.key + u"_label"_s) + ',' + quoteField(option.key + u"_votes"_s) +
                  ',' + quoteField(option.key + u"_percent"_s);
        const ResultRow *row = findRow(table, option.key);
        data += ',' + quoteField(row ? row->label : option.label) + ',' + number(row ? row->votes : 0) + ',' +
                (row ? row->percentText() : u"0.0"_s).toLatin1();
    }
    return startDocument(options) + header + kLineEnd + data + kLineEnd;
}

// RFC 4180: a field with a comma, a double quote, CR or LF is quoted and its quotes doubled.
// Fields with leading or trailing spaces or tabs are quoted too: the RFC says spaces belong to
// the field, but spreadsheet importers and many CSV libraries trim unquoted fields, and a
// label like " Zoë " must reach the graphics as typed. Anything else is written bare, as
// UTF-8 (no escaping of non-ASCII: it is part of the field).
QByteArray CsvWriter::quoteField(const QString &field)
{
    const QByteArray utf8 = field.toUtf8();
    const auto isBlank = [](const char c) {
        return (c == ' ') || (c == '\t');
    };
    bool needsQuotes = !utf8.isEmpty() && (isBlank(utf8.front()) || isBlank(utf8.back()));
    for (const char c : utf8) {
        if ((c == ',') || (c == '"') || (c == '\r') || (c == '\n')) {
            needsQuotes = true;
            break;
        }
    }
    if (!needsQuotes)
        return utf8;

    QByteArray quoted;
    quoted.reserve(utf8.size() + 8);
    quoted += '"';
    for (const char c : utf8) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

// The folder must exist: we do not create it. A missing export folder is a typo or an
// unmounted share, and files written to a folder nobody watches would look like a working
// export while the graphics engine shows stale results. The error names the path so the
// operator can fix it.
bool CsvWriter::writeFile(const QString &path, const QByteArray &content, QString *error)
{
    const auto fail = [&path, error](const QString &reason) {
        if (error)
            *error = u"cannot write \"%1\": %2"_s.arg(QDir::toNativeSeparators(path), reason);
        return false;
    };
    if (path.isEmpty()) {
        if (error)
            *error = u"cannot write the export: no file name given"_s;
        return false;
    }
    const QDir folder = QFileInfo(path).absoluteDir();
    if (!folder.exists())
        return fail(
            u"the folder \"%1\" does not exist"_s.arg(QDir::toNativeSeparators(folder.absolutePath())));

    // QSaveFile writes a temporary file next to the target and renames it over the target on
    // commit(), after flushing it to disk. Its direct-write fallback stays off (the default):
    // writing in place is exactly the half-file a polling reader must never see.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    if (file.write(content) != content.size()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return fail(reason);
    }
    // write() only fills QFileDevice's buffer; the bytes reach the disk in flush(). Qt 6.4's
    // commit() flushes too but does not look at the result: a write the disk refuses there
    // (full disk, quota, file size limit) leaves the temporary file short and commit() still
    // renames it over the last good file. Flushing here first catches that.
    if (!file.flush()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return fail(reason);
    }
    if (!file.commit())
        return fail(file.errorString());
    return true;
}
