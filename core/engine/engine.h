#pragma once

#include <memory>

#include <QElapsedTimer>
#include <QHostAddress>
#include <QLockFile>
#include <QTimer>

#include "engine/consolebackend.h"
#include "ingest/ingestgate.h"
#include "ingest/ingestqueue.h"
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
class JournalWriter;
class WorkerPool;
struct ApiContext;

// The composition root of core: one object that the console, the headless server and the
// integration tests all run. It owns the store writer, the ingest queue, the HTTP server and
// the voting window of the current session.
//
// Threads: the engine lives in the thread that created it (the GUI thread in the console) and
// is the only owner of the window state machine and the session. I/O threads reach it only
// through queued invocations (admin actions); the journal writer reaches it the same way
// (drain barriers, storage errors). What I/O threads read is published to them as immutable
// copies: IngestGate (session + window) and the queue's admission rule.
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
        int ioThreads = 1;            // HTTP event loops (the app defaults to the number of cores)
        int maxConnections = 10'000;  // more are answered 503 and closed
        int headerTimeoutMs = 10'000; // a request must be complete this long after it began
        int idleTimeoutMs = 60'000;   // an idle keep-alive connection is closed after this
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
    QString databasePath() const { return m_options.databasePath; }

    // ConsoleBackend
    SessionDefinition session() const override;
    WindowStatus windowStatus() const override;
    TallySnapshotPtr tally() const override;
    SessionCounters counters() const override;
    QString ingestUrl() const override;
    bool openLines(QString *error) override;
    bool extendLines(int seconds, QString *error) override;
    bool closeLines(QString *error) override;

    // Creates a session from a validated definition and makes it current. Refused while the
    // current session's lines are open or closing.
    bool createSession(SessionDefinition definition, QString *error);

    // Checks the close deadline against the clock now. A timer calls it; tests that drive a
    // manual clock call it after moving time.
    void checkDeadline();

    const Metrics &metrics() const { return m_metrics; }
    QList<SecondSample> metricsSeries() const override;
    SecondSample latestMetrics() const override;
    int activeWorkers() const;
    // One orchestrator step (a 100 ms timer calls it; tests may call it).
    void orchestrate();

Q_SIGNALS:
    // A commit failed: votes are being answered 503 storage_unavailable. For the alert strip.
    void storageError(const QString &message);
    // The store takes writes again after storageError (space freed, file system writable):
    // votes are accepted again without anyone stepping in. For clearing the alert.
    void storageRecovered();

private:
    enum class Action
    {
        Open = 1,
        Extend,
        Close
    };

    bool windowAction(Action action, qint64 extraMs, QString *error, std::optional<Http::ReplyTicket> ticket);
    void adminWindowAction(const QString &action, qint64 seconds, const Http::ReplyTicket &ticket);
    void adminCreateSession(const SessionDefinition &definition, const Http::ReplyTicket &ticket);
    void reply(const Http::ReplyTicket &ticket, int status, const QByteArray &body);

    IngestQueue::Admission admission() const;
    void publishGate();
    // After any change of m_window: new admission + persisted record (in queue order),
    // republished gate, drain barrier if now closing, deadline timer, windowChanged.
    void windowChangedTo(const QString &eventKind, const QString &detail,
                         std::optional<Http::ReplyTicket> ticket);
    void onDrained(qint64 sessionId);
    // Sends a barrier through every shard; done runs on the writer thread once every vote
    // admitted before it is answered.
    void sendBarrier(std::function<void(bool, const QString &)> done);
    void switchSession(const SessionRecord &record, std::function<void(bool, const QString &)> done);
    void armDeadlineTimer();
    SessionRecord currentRecord() const;

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
    quint64 m_nextBarrierId = 1;
    std::atomic<int> m_activeWorkers{0};     // mirror of the pool's count, for the gauge
    std::atomic<qint64> m_workerScaleUps{0}; // orchestrator decisions, for /metrics
    std::atomic<qint64> m_workerScaleDowns{0};
    SnapshotBox m_snapshots;
    IngestGate m_gate;
    VoteHandler m_voteHandler;
    std::unique_ptr<JournalWriter> m_writer;
    std::unique_ptr<ApiContext> m_api; // the router's handlers refer to it
    std::unique_ptr<Http::HttpServer> m_server;
    QTimer m_deadlineTimer;
    bool m_running = false;

    // The current session; engine thread only.
    SessionDefinition m_session;
    VotingWindow m_window;
    qint64 m_createdAtMs = 0;
    std::shared_ptr<RejectCounters> m_rejects;
    qint64 m_maxSessionId = 0;
};
