#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QHostAddress>
#include <QLockFile>
#include <QThreadPool>
#include <QTimer>

#include "access/accesscontrol.h"
#include "engine/alertmonitor.h"
#include "engine/consolebackend.h"
#include "engine/finalization.h"
#include "engine/publishing.h"
#include "engine/rehearsal.h"
#include "engine/resultfeeds.h"
#include "engine/tlsterminator.h"
#include "ingest/ingestgate.h"
#include "ingest/ingestqueue.h"
#include "ingest/journalwriter.h"
#include "ingest/orchestrator.h"
#include "ingest/votehandler.h"
#include "ingest/writerqueue.h"
#include "metrics/metrics.h"
#include "metrics/metricssampler.h"
#include "session/clock.h"
#include "session/votingwindow.h"
#include "store/votestore.h"
#include "tally/tallysnapshot.h"

namespace Http {
class HttpServer;
struct ReplyTicket;
} // namespace Http
class WorkerPool;
class Canary;
struct ApiContext;
struct AdminAction;
struct RehearsalCommand;

// The composition root of core: one object that the console, the headless server and the
// integration tests all run. It owns the store writer, the ingest queue, the HTTP server and
// the voting window of the current session.
//
// Threads: the engine lives in the thread that created it (the GUI thread in the console) and
// is the only owner of the window state machine and the session. I/O threads reach it only
// through queued invocations (admin actions); the journal writer reaches it the same way
// (drain barriers, storage errors). What I/O threads read is published to them as immutable
// copies: IngestGate (session + window) and the queue's admission rule. The public results
// endpoints serve the PublishedBox: the picture taken at the last publish with its documents
// rendered here, on this thread, so a poll costs a pointer copy and never reaches the store.
class Engine final : public ConsoleBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    struct Options
    {
        QString databasePath;
        QHostAddress bindAddress = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 8080; // 0 = any free port
        Durability durability = Durability::Full;
        qsizetype queueCapacity = 100'000; // votes admitted and not yet answered, pipeline-wide
        qsizetype batchSize = 4096;        // most votes per group commit
        int batchWindowMs = 0;             // longest a group commit waits to fill; 0 = natural grouping
        int workersMin = 1;
        int workersMax = 2;
        int ioThreads = 1;             // HTTP event loops (the app defaults to the number of cores)
        int maxConnections = 10'000;   // more are answered 503 and closed
        int headerTimeoutMs = 10'000;  // a request must be complete this long after it began
        int idleTimeoutMs = 60'000;    // an idle keep-alive connection is closed after this
        bool serveAudiencePage = true; // GET / and /vote: the built-in voting page for phones
        FeedOptions feeds;             // export folder, CasparCG, final files (ResultFeeds)
        AccessOptions access;          // admin token, trusted proxies, rate limits
        // The canary vote (engine/canary.h): one every canaryIntervalMs (0: none), missed when
        // not stored within canaryDeadlineMs.
        int canaryIntervalMs = 0;
        int canaryDeadlineMs = 5'000;
        TlsOptions tls; // the optional HTTPS listener (engine/tlsterminator.h)
    };

    explicit Engine(Options options, const Clock &clock = SystemClock::instance(), QObject *parent = nullptr);
    ~Engine() override;

    // Takes the database lock, opens the store, resumes (or creates the demo) session and
    // starts listening. On failure returns false with a message naming the problem.
    bool start(QString *error);
    // Commits what is queued, closes the store and the server. Safe to call twice. An Engine
    // runs once: to start again on the same database, construct a new one.
    void stop();
    bool isRunning() const { return m_running; }

    quint16 port() const;
    quint16 tlsPort() const; // 0 without the HTTPS listener
    QString databasePath() const { return m_options.databasePath; }

    // ConsoleBackend
    SessionDefinition session() const override;
    WindowStatus windowStatus() const override;
    TallySnapshotPtr tally() const override;
    SessionCounters counters() const override;
    FraudSnapshot fraud(int limit) const override;
    bool excludeFromCount(CountExclusion::Kind kind, const QString &value, const QString &reason,
                          QString *error) override;
    CountExclusions exclusions() const override { return m_exclusions; }
    // The same with the actor named (the admin API's "admin-api <peer>").
    bool excludeFromCount(CountExclusion exclusion, QString *error);
    QString ingestUrl() const override;
    bool openLines(QString *error) override;
    bool extendLines(int seconds, QString *error) override;
    bool closeLines(QString *error) override;
    PublishedResultsPtr published() const override { return m_published; }
    bool publishResults(QString *error) override;
    bool finalizeResults(QString *error) override;
    bool autoPublish() const override { return m_session.autoPublish; }
    bool setAutoPublish(bool on, QString *error) override;
    void requestAuditLog() override;
    bool replayPolicy(const QString &policy, int optionCap, QString *error) override;
    QList<ConsoleEvent> eventsSince(qint64 seq) const override;
    QString audienceUrl() const override;

    // Creates a session from a validated definition and makes it current. Refused while the
    // current session's lines are open or closing, or while it is being finalized.
    bool createSession(SessionDefinition definition, QString *error) override;
    void requestSessions() override;
    bool openSession(qint64 sessionId, QString *error) override;
    bool deleteDraft(qint64 sessionId, QString *error) override;

    // Rehearsal mode. Without a traffic source (setRehearsalTraffic) starting is refused.
    void setRehearsalTraffic(std::unique_ptr<RehearsalTraffic> traffic);
    bool startRehearsal(const RehearsalPlan &plan, QString *error) override;
    void stopRehearsal() override;
    RehearsalStatus rehearsalStatus() const override;

    // Results. The version of the picture on air (0: nothing published in this session).
    quint64 publishVersion() const { return m_publishVersion; }
    // The feed side's final step (files, report, pack); see FinalWriter. By default the
    // ResultFeeds' one (the export folder); set an empty one for none: finalization still
    // certifies and freezes the results.
    void setFinalWriter(FinalWriter writer)
    {
        m_finalWriter = std::move(writer);
        m_finalWriterSet = true;
    }
    // The export folder and the CasparCG push (null before start()).
    const ResultFeeds *feeds() const { return m_feeds.get(); }
    // One auto-publish step (a 1 s timer calls it; tests may call it): publishes the live tally
    // when auto-publish is on, the visibility allows it and the tally or the state changed.
    void autoPublishTick();
    // The current session's audit log, oldest first; `done` runs on the engine's thread.
    using AuditDone = std::function<void(bool ok, const QList<AuditEntry> &entries, const QString &error)>;
    void auditLog(AuditDone done);
    // Replays the current session's stored log under `rule` (audited as `actor`); `done` runs
    // on the engine's thread. False with *error when the rule is invalid or not running.
    using ReplayDone = std::function<void(const PolicyReplay &replay)>;
    bool replayPolicy(const CountingRule &rule, const QString &actor, ReplayDone done, QString *error);

    // Checks the close deadline against the clock now. A timer calls it; tests that drive a
    // manual clock call it after moving time.
    void checkDeadline();

    const Metrics &metrics() const { return m_metrics; }
    Canary *canary() const { return m_canary.get(); } // null when off
    QList<SecondSample> metricsSeries() const override;
    SecondSample latestMetrics() const override;
    qint64 queueCapacity() const override { return m_options.queueCapacity; }
    // Cached: at most one pair of stat() calls per second, however often the console asks.
    qint64 storeSizeBytes() const override;
    qint64 uptimeMs() const override;
    AdminAccess adminAccess() const override
    {
        return {!m_options.access.adminToken.isEmpty(), m_options.access.adminTokenSource,
                m_options.access.adminTokenProblem};
    }
    int activeWorkers() const;
    // One orchestrator step (a 100 ms timer calls it; tests may call it).
    void orchestrate();
    // One step of the alert rules (the 1 s sampler timer calls it; tests may call it).
    void checkAlerts();

Q_SIGNALS:
    // A commit failed: votes are being answered 503 storage_unavailable. For the alert strip.
    void storageError(const QString &message);
    // The store takes writes again after storageError (space freed, file system writable):
    // votes are accepted again without anyone stepping in. For clearing the alert.
    void storageRecovered();
    // The export folder stopped taking the feed files (the last good ones stay); for the alert.
    void exportFailed(const QString &message);
    void exportRecovered();
    // The canary vote was not stored in time (the alert), and seen again afterwards.
    void canaryMissing(const QString &message);
    void canaryRecovered();

private:
    enum class Action
    {
        Open = 1,
        Extend,
        Close
    };

    enum class PublishCause
    {
        Operator = 1, // console or admin API
        Automatic     // auto-publish, by the visibility rule
    };

    // Why an action was refused: the message for people, the code and status for the API.
    struct Refusal
    {
        int status = 409;
        QByteArray code;
        QString message;
    };

    bool windowAction(Action action, qint64 extraMs, const QString &actor, QString *error,
                      std::optional<Http::ReplyTicket> ticket);
    void adminAction(const AdminAction &action, const Http::ReplyTicket &ticket);
    void adminWindowAction(const AdminAction &action, const Http::ReplyTicket &ticket);
    void adminCreateSession(const SessionDefinition &definition, const QString &actor,
                            const Http::ReplyTicket &ticket);
    void adminReplay(const CountingRule &rule, const QString &actor, const Http::ReplyTicket &ticket);
    void reply(const Http::ReplyTicket &ticket, int status, const QByteArray &body);
    bool createSession(SessionDefinition definition, const QString &actor, QString *error);
    // Why the current session cannot be replaced now (empty: it can).
    QString switchRefusal() const;
    // Makes `definition` (already stored or new, with its id) the current session, unopened.
    void makeCurrent(const SessionDefinition &definition, qint64 createdAtMs, const QString &actor);
    void onSessionInspected(const std::optional<SessionSummary> &summary, const QString &error);
    void adminListSessions(const Http::ReplyTicket &ticket);
    void adminOpenSession(qint64 sessionId, const QString &actor, const Http::ReplyTicket &ticket);
    void adminRehearsal(const RehearsalCommand &command, const Http::ReplyTicket &ticket);
    bool startRehearsal(const RehearsalPlan &plan, const QString &actor, QString *error);
    void stopRehearsal(const QString &actor);

    // Whether the session's results may be shown at all now (the visibility rule).
    bool resultsReleased() const;
    // Publishes the live tally as the next picture. Returns false with *refusal when not allowed.
    bool publish(PublishCause cause, const QString &actor, Refusal *refusal,
                 std::optional<Http::ReplyTicket> ticket);
    void putOnAir(PublishedResultsPtr results);
    bool setAutoPublish(bool on, const QString &actor, QString *error,
                        std::optional<Http::ReplyTicket> ticket);
    bool finalize(const QString &actor, Refusal *refusal, std::optional<Http::ReplyTicket> ticket);
    void onCertified(const JournalWriter::CertifyOutcome &outcome, std::shared_ptr<FinalizationInputs> inputs,
                     const QString &actor, std::optional<Http::ReplyTicket> ticket);
    void restorePublished(const PublishedRecord &record);

    IngestQueue::Admission admission() const;
    void publishGate();
    // After any change of m_window: new admission + persisted record (in queue order),
    // republished gate, drain barrier if now closing, deadline timer, windowChanged.
    void windowChangedTo(const QString &eventKind, const QString &detail, const QString &actor,
                         std::optional<Http::ReplyTicket> ticket);
    void onDrained(qint64 sessionId);
    // Sends a barrier through every shard; done runs on the writer thread once every vote
    // admitted before it is answered.
    void sendBarrier(std::function<void(bool, const QString &)> done);
    void switchSession(const SessionRecord &record, std::function<void(bool, const QString &)> done,
                       const QString &actor);
    void armDeadlineTimer();
    SessionRecord currentRecord() const;
    // The event log: noteEvent keeps a line that is stored with its action; raiseAlert keeps
    // and stores one (append-only events table).
    void noteEvent(const EventRow &event);
    // Reads the current session's exclusions back from its audit log (after a start or a
    // switch); exclusionsChanged() follows.
    void reloadExclusions();
    void raiseAlert(const QString &kind, const QString &detail);

    const Options m_options;
    const Clock &m_clock;
    QLockFile m_lock;
    Metrics m_metrics;
    IngestQueue m_queue;
    WriterQueue m_writerQueue;
    std::unique_ptr<WorkerPool> m_pool;
    Orchestrator m_orchestrator;
    QTimer m_orchestratorTimer;
    MetricsSampler m_sampler;
    QTimer m_samplerTimer;
    QElapsedTimer m_uptime; // the sampler's time base: monotonic, so an NTP step bends no graph
    // storeSizeBytes()' cache; engine thread only (the console's getter), hence no lock.
    mutable QElapsedTimer m_storeSizeAge;
    mutable qint64 m_storeSizeBytes = -1;
    quint64 m_nextBarrierId = 1;
    std::atomic<int> m_activeWorkers{0};     // mirror of the pool's count, for the gauge
    std::atomic<qint64> m_workerScaleUps{0}; // orchestrator decisions, for /metrics
    std::atomic<qint64> m_workerScaleDowns{0};
    SnapshotBox m_snapshots;
    IngestGate m_gate;
    // The fraud figures: written by the I/O threads (the vote handler), read here on the
    // poll of the console or the admin API; thread-safe by its shard locks (fraudmonitor.h).
    FraudMonitor m_fraud;
    CountExclusions m_exclusions; // of the current session, as stored; engine thread only
    VoteHandler m_voteHandler;
    std::unique_ptr<JournalWriter> m_writer;
    std::unique_ptr<AccessControl> m_access; // the handlers refer to it: outlives the server
    std::unique_ptr<ApiContext> m_api;       // the router's handlers refer to it
    std::unique_ptr<Http::HttpServer> m_server;
    std::unique_ptr<TlsTerminator> m_tls; // null without HTTPS
    std::unique_ptr<Canary> m_canary;     // null when off; set before the server runs
    QHostAddress m_canaryTarget;
    QTimer m_deadlineTimer;
    QTimer m_publishTimer; // auto-publish, once a second
    PublishedBox m_publishedBox;
    FinalWriter m_finalWriter;
    bool m_finalWriterSet = false;
    std::unique_ptr<ResultFeeds> m_feeds;
    bool m_running = false;

    // The current session; engine thread only.
    SessionDefinition m_session;
    VotingWindow m_window;
    qint64 m_createdAtMs = 0;
    std::shared_ptr<RejectCounters> m_rejects;
    qint64 m_maxSessionId = 0;
    PublishedResultsPtr m_published; // the picture on air (what m_publishedBox serves); null: none
    quint64 m_publishVersion = 0;    // of m_published; restored from the store
    bool m_finalizing = false;       // a certification is with the writer
    std::unique_ptr<RehearsalTraffic> m_rehearsal; // the simulated audience; engine thread only
    QThreadPool m_archivePool;                     // read-only loads of past sessions

    static constexpr qsizetype MaxEventsKept = 2000;
    AlertMonitor m_alertMonitor;
    QList<ConsoleEvent> m_events; // this run's event log, oldest first
    qint64 m_nextEventSeq = 1;
    QString m_lastStorageError;
};
