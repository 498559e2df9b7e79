#pragma once

#include <atomic>
#include <memory>

#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QString>

#include "engine/finalization.h"
#include "export/autoexporter.h"
#include "export/casparcgclient.h"
#include "export/resultdocuments.h"
#include "metrics/metrics.h"
#include "session/sessiondefinition.h"

// How the results leave votedesk besides the HTTP endpoints: files for graphics engines that
// poll a folder, the CasparCG push, and the certified files at finalize.
struct FeedOptions
{
    bool exportFiles = true; // false: no export folder at all (--no-export); finalize writes nothing
    // The folder of sessions that name none (SessionDefinition::exportFolder). Empty: "export"
    // next to the database, created at start. A folder given here or by a session must exist:
    // files written where nobody looks would pass for a working feed.
    QString exportFolder;
    int exportIntervalMs = 1'000;  // how often the folder is checked against the picture on air
    bool csvByteOrderMark = false; // for Excel; the HTTP documents carry it too (same bytes)
    // votes.csv in the results pack names voters by HMAC-SHA-256 with a per-session secret
    // (kept next to the database, never in the export folder or the pack).
    bool pseudonymiseVoters = false;
    bool casparCg = false; // push each publish to CasparCG (AMCP CG UPDATE)
    CasparCgClient::Settings casparCgSettings;

    ResultDocuments::Options documents() const;
    QString validate() const; // empty when usable
};

// Owns the AutoExporter (files, a thread of its own) and the CasparCgClient (a socket on a
// thread of its own) and makes the FinalWriter. Lives on the engine's thread; what it reads
// of the picture on air comes from a thread-safe source (the engine's PublishedBox).
//
// The files change only on publish: the exporter checks every interval and at once after a
// publish, and writes only when the picture on air is another one. A file that cannot be
// written keeps its last good content and is tried again at the next check; failures are
// counted (votedesk_export_failures_total), and the first failure after a good check raises
// exportFailed() — the console's alert — until a check succeeds again (exportRecovered()).
class ResultFeeds final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResultFeeds)

public:
    ResultFeeds(FeedOptions options, QString databasePath, AutoExporter::Source source,
                QObject *parent = nullptr);
    ~ResultFeeds() override;

    // Checks the options and creates the default folder if it is the one next to the
    // database. False with *error if it cannot be created or the settings are unusable.
    bool prepare(QString *error) const;
    // Starts the exporter on the session's folder and the CasparCG client (after prepare()).
    // Call before anything reads metricSamples() or statusJson() from another thread.
    void start(const SessionDefinition &session);
    // Stops writing and pushing; the status stays readable until destruction.
    void stop();

    // The current session changed (created, or its definition): its folder may be another.
    void setSession(const SessionDefinition &session);
    // A new picture is on air: the files follow now rather than at the next check.
    void published(const PublishedResultsPtr &results);

    // Where the files of `session` go: its own folder, else the default; empty with no export.
    QString folderFor(const SessionDefinition &session) const;
    QString defaultFolder() const { return m_defaultFolder; }
    const FeedOptions &options() const { return m_options; }
    // Any thread:
    QString currentFolder() const;
    bool failing() const { return m_failingNow.load(std::memory_order_relaxed); }
    QString lastError() const;

    // Writes the final feeds, final-report.txt/.html and results-pack-<session>.zip into the
    // session's folder (see writeFinalFiles). Empty (no final files) with no export.
    FinalWriter finalWriter() const;

    // For /metrics, from any thread.
    QList<Metrics::Sample> metricSamples() const;
    // For /v1/admin/results, from any thread: {"folder","failing","last_error","files_written",
    // "failures","casparcg":{"state","host","port","channel_layer","sent_version",
    // "acknowledged_version","last_error"}|null}
    QJsonObject statusJson() const;

    // The final step itself, callable without an engine (tests): the four feed files, the
    // results pack (which writes the two reports beside it, byte for byte as packed), each
    // listed in *written with its SHA-256. The folder must exist. `secretFolder` keeps the
    // per-session pseudonym secrets (created with owner-only permissions when first needed).
    struct FinalConfig
    {
        QString folder;
        ResultDocuments::Options documents;
        bool pseudonymiseVoters = false;
        QString secretFolder;
        QString appVersion;
    };
    static bool writeFinalFiles(const FinalConfig &config, const FinalizationInputs &inputs,
                                const VoteLogReader &log, FinalFiles *written, QString *error);
    static QString packName(qint64 sessionId); // "results-pack-<id>.zip"
    // The session's secret, created (32 random bytes, hex, owner-only file) if missing.
    static bool pseudonymSecret(const QString &secretFolder, qint64 sessionId, QByteArray *secret,
                                QString *error);

Q_SIGNALS:
    // The export folder stopped taking the files (each error names its file); raised once per
    // failing spell. The last good files stay.
    void exportFailed(const QString &message);
    // A check wrote or confirmed every file again after exportFailed().
    void exportRecovered();

private:
    void onChecked(const FeedWriter::Outcome &outcome);
    void restartExporter();

    const FeedOptions m_options;
    const QString m_databasePath;
    const AutoExporter::Source m_source;
    QString m_defaultFolder;
    std::unique_ptr<AutoExporter> m_exporter;
    std::unique_ptr<CasparCgClient> m_casparCg;
    bool m_running = false;
    mutable QMutex m_statusMutex; // guards the two strings: /v1/admin/results reads them
    QString m_folder;             // the current session's
    QString m_lastError;
    std::atomic<qint64> m_filesWritten{0};
    std::atomic<qint64> m_failures{0}; // file writes that failed
    std::atomic<bool> m_failingNow{false};
};
