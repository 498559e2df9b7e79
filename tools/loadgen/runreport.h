#pragma once

#include <vector>

#include <QJsonObject>
#include <QMap>
#include <QString>

#include "metrics/latencyhistogram.h"

// One second of a run, as the progress line shows it and the report keeps it.
struct SecondStats
{
    qint64 second = 0;     // seconds since the start, end of the interval
    qint64 target = 0;     // votes the schedule made due in this second; -1: no schedule (--rate max)
    qint64 sent = 0;       // votes sent for the first time
    qint64 retries = 0;    // requests sent again after 503/429
    qint64 ok = 0;         // 2xx answers
    qint64 client4xx = 0;  // 4xx answers (429 included)
    qint64 server5xx = 0;  // 5xx answers
    qint64 unanswered = 0; // requests whose connection went away or timed out
    qint64 connectionErrors = 0;
    qint64 inFlight = 0; // at the end of the second
    qint64 backlog = 0;  // votes due but not sent yet (the sender is behind the schedule)
    qint64 p50Micros = 0;
    qint64 p99Micros = 0;
    qint64 maxMicros = 0;
};

// The figures of a whole run (what the summary prints and --report writes).
struct RunSummary
{
    QString url;
    QString shape;
    qint64 plannedDurationMs = 0;
    qint64 elapsedMs = 0; // until the last answer (or the drain timeout)
    qint64 sendingMs = 0; // until the last request went out: what the send rate is over
    qint64 planned = 0;   // votes the schedule made due over the run
    qint64 sent = 0;      // votes sent at least once
    qint64 notSent = 0;   // due but never sent (no connection, or the run ended behind schedule)
    qint64 requests = 0;  // sent + retries
    qint64 retries = 0;
    qint64 retriesGivenUp = 0; // votes still refused with 503/429 after the last retry
    qint64 ok = 0;
    qint64 client4xx = 0;
    qint64 server5xx = 0;
    qint64 unanswered = 0;
    qint64 timeouts = 0;
    qint64 connectionErrors = 0;
    qint64 connections = 0;
    qint64 pipeline = 0;
    QMap<int, qint64> byStatus;            // final answers by status
    QMap<QString, qint64> byKindAndAnswer; // "unknown_option 400 unknown_option" -> n
    qint64 unexpectedAnswers = 0;          // answers other than the kind's expected one (not 503/429)
    LatencyHistogram::Snapshot latency;    // every answered request
    std::vector<SecondStats> seconds;

    // Requests per second while sending; a slow tail of answers does not dilute it.
    double sendRate() const { return sendingMs > 0 ? double(requests) * 1000.0 / double(sendingMs) : 0; }
    QJsonObject toJson() const;
    QString text() const; // the summary block printed at the end
};

QString formatMicros(qint64 micros); // "1.23 ms", "850 us"

// The progress line printed every second.
QString progressLine(const SecondStats &second);

// --report: the summary, the per-second series and, when verified, the verdict.
bool writeJsonReport(const QString &path, const RunSummary &summary, const QJsonObject &verdict,
                     QString *error);
// --chart: a self-contained HTML page (inline SVG, no scripts, no CDN) with sent/acked per
// second against the target, and p50/p99 latency per second.
QByteArray htmlChart(const RunSummary &summary, const QString &verdictLine);
bool writeHtmlChart(const QString &path, const RunSummary &summary, const QString &verdictLine,
                    QString *error);
