#pragma once

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

#include "export/publishedresults.h"

// Shared by the export tests: building a PublishedResults, a strict RFC 4180 reader written
// apart from the writers (so round trips test the format, not the writer against itself),
// and running Debian's python3 as a graphics operator's tool would read the files.
namespace ExportTest {
inline SessionDefinition session(const QList<std::pair<QString, QString>> &keysAndLabels, qint64 id = 7)
{
    SessionDefinition s;
    s.id = id;
    s.title = QStringLiteral("Semi-final");
    s.question = QStringLiteral("Who stays?");
    for (qsizetype i = 0; i < keysAndLabels.size(); ++i)
        s.options.append(
            {keysAndLabels[i].first, keysAndLabels[i].second, SessionDefinition::defaultColour(int(i))});
    return s;
}

inline PublishedResults results(const SessionDefinition &s, const std::vector<qint64> &exact,
                                quint64 version = 1, std::vector<qint64> raw = {})
{
    PublishedResults r;
    r.session = s;
    r.tally.sessionId = s.id;
    r.tally.exact = exact;
    r.tally.raw = raw.empty() ? exact : std::move(raw);
    for (const qint64 v : r.tally.raw)
        r.tally.accepted += v;
    r.publishVersion = version;
    r.publishedAtMs = 1'700'000'000'000 + qint64(version) * 1000;
    r.window.state = WindowState::Open;
    return r;
}

inline PublishedResultsPtr shared(const PublishedResults &r)
{
    return std::make_shared<const PublishedResults>(r);
}

// Records end in CRLF (bare CR or LF outside quotes is an error), quoted fields double
// their quotes, nothing but a comma or the line end may follow a closing quote.
inline bool parseCsv(QByteArray bytes, QList<QStringList> *records, QString *problem)
{
    records->clear();
    if (bytes.startsWith("\xEF\xBB\xBF"))
        bytes.remove(0, 3);
    qsizetype i = 0;
    const qsizetype n = bytes.size();
    QStringList record;
    while (i < n) {
        QByteArray field;
        if (bytes[i] == '"') {
            ++i;
            while (true) {
                if (i >= n) {
                    *problem = QStringLiteral("unterminated quoted field");
                    return false;
                }
                if (bytes[i] == '"') {
                    if (i + 1 < n && bytes[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += bytes[i++];
            }
        } else {
            while (i < n && bytes[i] != ',' && bytes[i] != '\r' && bytes[i] != '\n') {
                if (bytes[i] == '"') {
                    *problem = QStringLiteral("quote in an unquoted field at byte ") + QString::number(i);
                    return false;
                }
                field += bytes[i++];
            }
        }
        record << QString::fromUtf8(field);
        if (i < n && bytes[i] == ',') {
            ++i;
            continue;
        }
        if (i + 1 < n && bytes[i] == '\r' && bytes[i + 1] == '\n') {
            i += 2;
            records->append(record);
            record.clear();
            continue;
        }
        *problem = QStringLiteral("record not ended by CRLF at byte ") + QString::number(i);
        return false;
    }
    if (!record.isEmpty()) {
        *problem = QStringLiteral("last record has no CRLF");
        return false;
    }
    return true;
}

// Debian's interpreter, by path: the tests must not depend on whatever python3 is first on
// PATH (a pyenv shim, a venv). Missing python3 is a failure, not a skip: every Debian
// machine we target has it, and the Makefile installs it.
inline const QString &python3()
{
    static const QString path = QStringLiteral("/usr/bin/python3");
    return path;
}

struct PythonRun
{
    bool started = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

inline PythonRun runPython(const QString &script, const QStringList &args)
{
    QProcess process;
    process.setProgram(python3());
    process.setArguments(QStringList{QStringLiteral("-I"), QStringLiteral("-c"), script} + args);
    process.start();
    PythonRun run;
    run.started = process.waitForStarted(30'000);
    if (!run.started)
        return run;
    process.waitForFinished(120'000);
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}
} // namespace ExportTest
