#pragma once

#include <QList>
#include <QString>

// How loud an event of the console's log is: the alerts strip colours it, the log sorts by it.
enum class Severity
{
    Info = 1, // what the crew did or the pipeline did as planned (lines opened, published)
    Warning,  // the audience is affected or soon will be (queue filling, 503s, clock jump)
    Critical  // votes are being lost to the show (cannot store, cannot listen)
};

QString severityName(Severity severity); // "info", "warning", "critical"

// The severity of an event kind of the session's log (the store's events table keeps the kind,
// not the severity, so a log read back from the store is coloured the same way).
Severity eventSeverity(const QString &kind);

// One line of the console's event log: an operator action or an alert, as it happened in this
// run. The same line is in the store's events table (append-only), so the log outlives the run.
struct ConsoleEvent
{
    qint64 seq = 0;  // 1, 2, ... in this run, for "what is new since" polling
    qint64 atMs = 0; // wall clock
    Severity severity = Severity::Info;
    QString kind;   // lines_opened, queue_high, clock_jump, ...
    QString detail; // human text
    QString actor;  // "console", "admin-api 127.0.0.1", "system"
};
