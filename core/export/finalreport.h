#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include "export/publishedresults.h"
#include "export/resultdocuments.h"
#include "metrics/metricssampler.h"
#include "session/countexclusion.h"

// One file of the certified output and its SHA-256, as the report and SHA256SUMS list it.
struct FileDigest
{
    QString name;
    QByteArray sha256Hex; // lowercase, 64 characters
    qint64 bytes = 0;

    static FileDigest of(const QString &name, const QByteArray &content);
};

// Everything the final report says, as plain values the engine already has at finalize.
struct FinalReportInputs
{
    PublishedResults results; // the certified picture (final == true; raw and exact tallies)
    QString countingRule;     // as the session states it ("last_wins", "capped:20"); empty: from the session
    QList<AuditEntry> audit;  // the operator audit log, oldest first
    QList<SecondSample> samples;            // per-second throughput, oldest first
    QMap<QString, qint64> rejectedByReason; // reject code ("invalid_voter", ...) -> votes
    qint64 late = 0;                        // votes received after the close: shown, never counted
    // How many stored votes the operator's exclusions (the count_excluded lines of `audit`) left
    // out of the certified count: the report lists those exclusions in a section of their own.
    qint64 excludedVotes = 0;
    qint64 generatedAtMs = 0;
    QString appVersion;
    QList<FileDigest> files; // the final files the report certifies, in the order to list them
};

// The final report, as text (final-report.txt) and as a self-contained HTML page
// (final-report.html: inline CSS and an inline SVG chart, nothing fetched from anywhere, so
// it opens the same on an air-gapped machine in ten years). Both say: session, question,
// options, counting rule, window opened / extended / closed (from the audit log, falling back
// on the window record), totals, raw vs exact per option, unique voters, rejected by reason,
// late votes, the operator's exclusions (what, why, who, when, votes left out), the
// per-second throughput (accepted / rejected / persisted), the audit log and
// the SHA-256 of each final file. Times are UTC, ISO 8601. Pure functions of the inputs.
//
// Audit kinds read for the window times: lines_opened, lines_extended, lines_closed.
class FinalReport final
{
public:
    static QByteArray text(const FinalReportInputs &inputs);
    // The operator's exclusions, read back from the audit log's count_excluded lines: the one
    // record of them, so the report and the pack's replay cannot disagree on what was applied.
    static CountExclusions exclusions(const QList<AuditEntry> &audit);
    static QByteArray html(const FinalReportInputs &inputs);

    // Digests of the four result documents as ResultDocuments renders them (so they match
    // the files FeedWriter wrote with the same options).
    static QList<FileDigest> documentDigests(const PublishedResults &results,
                                             const ResultDocuments::Options &options);

    // Writes final-report.txt and final-report.html into the folder, each atomically.
    // Returns false with one error per file that failed.
    static bool writeFiles(const QString &folder, const FinalReportInputs &inputs, QStringList *errors);

    struct WindowTimes
    {
        qint64 openedAtMs = 0;
        QList<AuditEntry> extensions; // the lines_extended entries, oldest first
        qint64 plannedCloseAtMs = 0;  // from the window record
        qint64 closedAtMs = 0;
    };
    static WindowTimes windowTimes(const FinalReportInputs &inputs);

    struct Throughput
    {
        qint64 seconds = 0;       // samples
        qint64 acceptedVotes = 0; // sum of rate x interval: what the samples saw
        qint64 rejectedVotes = 0;
        qint64 persistedVotes = 0;
        qint64 peakAccepted = 0; // votes/s
        qint64 peakAcceptedAtMs = 0;
        qint64 peakRejected = 0;
        qint64 peakPersisted = 0;
    };
    static Throughput throughput(const QList<SecondSample> &samples);

    static QString countingRule(const FinalReportInputs &inputs);
    static qint64 rejectedTotal(const FinalReportInputs &inputs);
};
