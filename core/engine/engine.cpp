#include "engine/engine.h"

#include <chrono>
#include <future>

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkInterface>

#include "engine/apiroutes.h"
#include "http/httpserver.h"
#include "ingest/journalwriter.h"
#include "ingest/workerpool.h"

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcEngine, "votedesk.engine")

namespace {
bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QByteArray errorJson(const QByteArray &code, const QString &message)
{
    return QJsonDocument(QJsonObject{{u"error"_s, QString::fromLatin1(code)}, {u"message"_s, message}})
        .toJson(QJsonDocument::Compact);
}
} // namespace

Engine::Engine(Options options, const Clock &clock, QObject *parent)
    : ConsoleBackend(parent)
    , m_options(std::move(options))
    , m_clock(clock)
    , m_lock(m_options.databasePath + u".lock"_s)
    , m_queue(m_options.queueCapacity)
    , m_orchestrator(Orchestrator::Config{m_options.workersMin, m_options.workersMax})
    , m_sampler(m_metrics)
    , m_voteHandler(m_gate, m_queue, m_metrics, m_clock)
    , m_rejects(std::make_shared<RejectCounters>())
{
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &Engine::checkDeadline);
    m_orchestratorTimer.setInterval(100);
    connect(&m_orchestratorTimer, &QTimer::timeout, this, &Engine::orchestrate);
    // Wireshark I/O graph style: one bucket per second, produced here, read in one go.
    m_samplerTimer.setInterval(1000);
    m_samplerTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_samplerTimer, &QTimer::timeout, this, [this] { m_sampler.sample(m_uptime.elapsed() + 1); });

    // Gauges read by /metrics and the sampler from any thread: atomics and locked getters only.
    m_metrics.setGauge(Metrics::kQueueDepthGauge, "Votes admitted and not yet answered",
                       [this] { return double(m_queue.depth()); });
    m_metrics.setGauge(Metrics::kActiveWorkersGauge, "Ingest workers active",
                       [this] { return double(m_activeWorkers.load(std::memory_order_relaxed)); });
    m_metrics.setGauge("votedesk_writer_queue_votes", "Votes counted by workers, waiting for a group commit",
                       [this] { return double(m_writerQueue.votesWaiting()); });
}

Engine::~Engine()
{
    stop();
}

bool Engine::start(QString *error)
{
    if (m_running)
        return true;
    const QFileInfo database(m_options.databasePath);
    if (m_options.databasePath.isEmpty())
        return fail(error, u"no database path given"_s);
    if (!QDir().mkpath(database.absolutePath()))
        return fail(error, u"cannot create the data folder %1"_s.arg(database.absolutePath()));

    // One process per database: two writers would hand out the same vote sequence numbers.
    m_lock.setStaleLockTime(0);
    if (!m_lock.tryLock(0)) {
        qint64 pid = 0;
        QString host;
        QString app;
        m_lock.getLockInfo(&pid, &host, &app);
        if (m_lock.error() == QLockFile::LockFailedError) {
            return fail(error, u"%1 is in use by another votedesk (process %2 on %3); close it first"_s
                                   .arg(database.absoluteFilePath())
                                   .arg(pid)
                                   .arg(host));
        }
        return fail(error, u"cannot create the lock file %1.lock"_s.arg(database.absoluteFilePath()));
    }

    m_pool = std::make_unique<WorkerPool>(m_queue, m_writerQueue, m_orchestrator.config().maxWorkers);
    // Crossing: an I/O thread that queued a vote wakes the worker owning its shard.
    m_queue.setWakeHandler([pool = m_pool.get()](std::uint64_t shards) { pool->wakeOwners(shards); });
    m_writer =
        std::make_unique<JournalWriter>(JournalWriter::Config{m_options.databasePath, m_options.durability,
                                                              m_options.batchSize, m_options.batchWindowMs},
                                        m_queue, m_writerQueue, *m_pool, m_snapshots, m_metrics, m_clock);
    // Crossing: the writer thread reports storage errors through a queued call.
    m_writer->setStorageErrorHandler([this](const QString &message) {
        QMetaObject::invokeMethod(
            this, [this, message] { Q_EMIT storageError(message); }, Qt::QueuedConnection);
    });
    m_writer->setStorageRecoveredHandler([this] {
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT storageRecovered(); }, Qt::QueuedConnection);
    });
    JournalWriter::LoadResult loaded = m_writer->start();
    if (!loaded.ok) {
        m_writer.reset();
        m_pool.reset();
        m_lock.unlock();
        return fail(error, loaded.error);
    }
    // The writer has replayed the log into the ledgers; now the workers may own them.
    m_pool->start(m_orchestrator.config().minWorkers);
    m_activeWorkers.store(m_pool->activeWorkers(), std::memory_order_relaxed);
    m_maxSessionId = loaded.maxSessionId;
    const qint64 now = m_clock.nowMs();

    if (loaded.current) {
        m_session = loaded.current->definition;
        m_createdAtMs = loaded.current->createdAtMs;
        m_rejects = loaded.rejects;
        const WindowState before = loaded.current->window.state;
        m_window = VotingWindow::resume(loaded.current->window, m_session.lateToleranceMs, now);
        if (before == WindowState::Open && m_window.state() == WindowState::Closing) {
            windowChangedTo(u"lines_closed"_s, u"the close instant passed while votedesk was not running"_s,
                            std::nullopt);
        } else {
            m_queue.setAdmission(admission());
            publishGate();
            if (m_window.state() == WindowState::Closing) // stopped while draining: finish it
                windowChangedTo(u"drain_resumed"_s, u"resuming the drain after a restart"_s, std::nullopt);
        }
        qCInfo(lcEngine) << "resumed session" << m_session.id << m_session.title << "in state"
                         << windowStateName(m_window.state());
    } else {
        SessionDefinition demo = SessionDefinition::demo();
        demo.id = ++m_maxSessionId;
        m_session = demo;
        m_window = VotingWindow(demo.windowMs, demo.lateToleranceMs);
        m_createdAtMs = now;
        m_rejects = std::make_shared<RejectCounters>();
        switchSession(currentRecord(), {});
        qCInfo(lcEngine) << "created the demo session" << demo.id;
    }

    m_api = std::make_unique<ApiContext>(ApiContext{
        m_gate, m_queue, m_snapshots, m_metrics, m_clock, m_voteHandler,
        [this] {
            const Http::HttpServerCounters &c = m_server->counters();
            auto v = [](const std::atomic<qint64> &a) {
                return double(a.load(std::memory_order_relaxed));
            };
            return QList<Metrics::Sample>{
                {"votedesk_http_connections_accepted_total", "counter", "TCP connections accepted",
                 v(c.connectionsAccepted)},
                {"votedesk_http_connections_open", "gauge", "TCP connections open", v(c.connectionsOpen)},
                {"votedesk_http_requests_total", "counter", "HTTP requests parsed", v(c.requests)},
                {"votedesk_http_protocol_errors_total", "counter", "Requests refused by the HTTP layer",
                 v(c.protocolErrors)},
                {"votedesk_worker_scale_ups_total", "counter", "Orchestrator decisions to add a worker",
                 v(m_workerScaleUps)},
                {"votedesk_worker_scale_downs_total", "counter", "Orchestrator decisions to retire a worker",
                 v(m_workerScaleDowns)},
                {"votedesk_http_connections_refused_total", "counter", "Connections over --max-connections",
                 v(c.connectionsRefused)},
                {"votedesk_http_request_timeouts_total", "counter", "Requests not complete in time (408)",
                 v(c.requestTimeouts)},
                {"votedesk_http_idle_timeouts_total", "counter", "Connections closed after --idle-timeout-ms",
                 v(c.idleTimeouts)},
            };
        },
        // Crossing: admin actions come from an I/O thread and run on the engine's thread.
        [this](const QString &action, qint64 seconds, const Http::ReplyTicket &ticket) {
            QMetaObject::invokeMethod(
                this, [this, action, seconds, ticket] { adminWindowAction(action, seconds, ticket); },
                Qt::QueuedConnection);
        },
        [this](const SessionDefinition &definition, const Http::ReplyTicket &ticket) {
            QMetaObject::invokeMethod(
                this, [this, definition, ticket] { adminCreateSession(definition, ticket); },
                Qt::QueuedConnection);
        },
        // Crossing: straight from the I/O thread into the writer's queue (thread-safe); the
        // writer answers from its thread.
        [this](qint64 afterSeq, qint64 limit, const Http::ReplyTicket &ticket) {
            m_writerQueue.push(m_writer->exportVotes(
                afterSeq, limit,
                [ticket](bool ok, qint64 sessionId, const QByteArray &csv, const QString &problem) {
                    if (!ok) {
                        Http::sendReply(ticket,
                                        Http::HttpResponse::jsonError(503, "storage_unavailable", problem)
                                            .addHeader("Retry-After", "2"));
                        return;
                    }
                    Http::sendReply(ticket,
                                    Http::HttpResponse(200, "text/csv; charset=utf-8", csv)
                                        .addHeader("X-Votedesk-Session", QByteArray::number(sessionId)));
                }));
        }});

    Http::HttpServer::Options serverOptions;
    serverOptions.ioThreads = qMax(1, m_options.ioThreads);
    serverOptions.maxConnections = m_options.maxConnections;
    serverOptions.headerTimeoutMs = m_options.headerTimeoutMs;
    serverOptions.idleTimeoutMs = m_options.idleTimeoutMs;
    // Each I/O thread wakes the workers once per round of socket events (see flushWakeups).
    serverOptions.afterRound = [this] {
        m_queue.flushWakeups();
    };
    m_server = std::make_unique<Http::HttpServer>(buildApiRouter(*m_api), serverOptions);
    // Requests the HTTP layer refuses itself (too large, malformed) are counted as rejected
    // votes of the current session. Called on the I/O thread; RejectCounters are atomic.
    m_server->setProtocolErrorObserver([this](int, const QByteArray &code) {
        m_metrics.votesRejected.fetch_add(1, std::memory_order_relaxed);
        RejectReason reason;
        if (parseRejectCode(code, &reason))
            m_gate.load()->rejects->add(reason);
    });
    QString listenError;
    if (!m_server->listen(m_options.bindAddress, m_options.port, &listenError)) {
        m_server.reset();
        m_pool->stop();
        m_writer->stop();
        m_writer.reset();
        m_pool.reset();
        m_lock.unlock();
        return fail(error, u"cannot listen on %1 port %2: %3"_s.arg(m_options.bindAddress.toString())
                               .arg(m_options.port)
                               .arg(listenError));
    }
    m_running = true;
    armDeadlineTimer();
    m_orchestratorTimer.start();
    m_uptime.start();
    m_sampler.sample(m_uptime.elapsed() + 1); // primes: the first real sample comes in a second
    m_samplerTimer.start();
    Q_EMIT sessionChanged();
    Q_EMIT windowChanged();
    return true;
}

void Engine::stop()
{
    const bool wasRunning = m_running;
    m_running = false;
    m_deadlineTimer.stop();
    m_orchestratorTimer.stop();
    m_samplerTimer.stop();
    // Order matters. New votes are refused (503, retry) while every vote already admitted
    // flows through the workers and is committed and answered; then the writer closes the
    // store; only then does the server go (its I/O threads deliver those answers).
    if (wasRunning && m_pool && m_writer) {
        m_queue.refuseAll(true);
        // Shared: if the wait below gives up, the barrier may still complete later.
        auto drained = std::make_shared<std::promise<void>>();
        std::future<void> done = drained->get_future();
        sendBarrier([drained](bool, const QString &) { drained->set_value(); });
        if (done.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
            qCWarning(lcEngine) << "the pipeline did not drain within 30 s; stopping anyway";
    }
    // The I/O threads may still run handlers until the server is closed: everything a handler
    // reaches (queue, writer queue, writer object, pool) stays alive until then; the threads
    // behind them stop first, so late pushes are refused or simply never answered.
    if (m_pool)
        m_pool->stop();
    if (m_writer)
        m_writer->stop(); // commits what is left and answers it while the I/O threads still run
    if (m_server) {
        m_server->close();
        m_server.reset();
    }
    m_writer.reset();
    m_pool.reset();
    m_api.reset();
    if (m_lock.isLocked())
        m_lock.unlock();
}

quint16 Engine::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

SessionRecord Engine::currentRecord() const
{
    return SessionRecord{m_session, m_window.record(), m_createdAtMs};
}

IngestQueue::Admission Engine::admission() const
{
    IngestQueue::Admission a;
    a.sessionId = m_session.id;
    a.state = m_window.state();
    a.acceptFromMs = m_window.record().openedAtMs;
    a.acceptUntilMs = m_window.acceptUntilMs();
    return a;
}

void Engine::publishGate()
{
    m_gate.publish(std::make_shared<const GateState>(GateState{m_session, m_window.record(), m_rejects}));
}

void Engine::windowChangedTo(const QString &eventKind, const QString &detail,
                             std::optional<Http::ReplyTicket> ticket)
{
    JournalWriter::Completion done;
    if (ticket) {
        // Answer the automation only once the new state is in the store.
        QByteArray body =
            windowStatusJson(GateState{m_session, m_window.record(), m_rejects}, m_clock.nowMs());
        done = [ticket = *ticket, body = std::move(body)](bool ok, const QString &error) {
            Http::sendReply(ticket,
                            ok ? Http::HttpResponse::json(200, body)
                               : Http::HttpResponse::json(503, errorJson("storage_unavailable", error))
                                     .addHeader("Retry-After", "2"));
        };
    }
    m_writerQueue.push(m_writer->saveSession(currentRecord(), eventKind, detail, std::move(done)));
    publishGate();
    if (m_window.state() == WindowState::Closing) {
        // Every vote admitted before the close is ahead of this barrier in its shard.
        const qint64 sessionId = m_session.id;
        sendBarrier([this, sessionId](bool, const QString &) {
            QMetaObject::invokeMethod(
                this, [this, sessionId] { onDrained(sessionId); }, Qt::QueuedConnection);
        });
    } else {
        m_queue.setAdmission(admission());
    }
    armDeadlineTimer();
    Q_EMIT windowChanged();
}

void Engine::onDrained(qint64 sessionId)
{
    if (!m_running || sessionId != m_session.id || m_window.state() != WindowState::Closing)
        return;
    m_window.markDrained();
    windowChangedTo(u"results_frozen"_s, u"every vote received before the close is stored"_s, std::nullopt);
}

void Engine::armDeadlineTimer()
{
    if (m_window.state() != WindowState::Open) {
        m_deadlineTimer.stop();
        return;
    }
    // Re-checked at least every 250 ms: the deadline is in wall-clock time, the timer in
    // monotonic time, and the two can drift apart (NTP steps).
    const qint64 remaining = m_window.nextDeadlineMs() - m_clock.nowMs();
    m_deadlineTimer.start(int(qBound(qint64(0), remaining, qint64(250))));
}

void Engine::checkDeadline()
{
    if (m_window.expireIfDue(m_clock.nowMs()))
        windowChangedTo(u"lines_closed"_s, u"closed on time"_s, std::nullopt);
    else
        armDeadlineTimer();
}

bool Engine::windowAction(Action action, qint64 extraMs, QString *error,
                          std::optional<Http::ReplyTicket> ticket)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    checkDeadline(); // the close instant may have passed since the timer last looked
    const qint64 now = m_clock.nowMs();
    switch (action) {
    case Action::Open:
        if (!m_window.open(now, error))
            return false;
        windowChangedTo(u"lines_opened"_s, u"closes at %1"_s.arg(isoTime(m_window.record().closesAtMs)),
                        ticket);
        return true;
    case Action::Extend:
        if (!m_window.extend(now, extraMs, error))
            return false;
        windowChangedTo(
            u"lines_extended"_s,
            u"+%1 s, closes at %2"_s.arg(extraMs / 1000).arg(isoTime(m_window.record().closesAtMs)), ticket);
        return true;
    case Action::Close:
        if (!m_window.closeNow(now, error))
            return false;
        windowChangedTo(u"lines_closed"_s, u"closed by the operator"_s, ticket);
        return true;
    }
    return false;
}

bool Engine::openLines(QString *error)
{
    return windowAction(Action::Open, 0, error, std::nullopt);
}

bool Engine::extendLines(int seconds, QString *error)
{
    return windowAction(Action::Extend, qint64(seconds) * 1000, error, std::nullopt);
}

bool Engine::closeLines(QString *error)
{
    return windowAction(Action::Close, 0, error, std::nullopt);
}

void Engine::reply(const Http::ReplyTicket &ticket, int status, const QByteArray &body)
{
    // After stop() the I/O contexts are gone; a queued admin call that arrives late is dropped.
    if (m_running)
        Http::sendReply(ticket, Http::HttpResponse::json(status, body));
}

void Engine::adminWindowAction(const QString &action, qint64 seconds, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    const Action kind = action == u"open"     ? Action::Open
                        : action == u"extend" ? Action::Extend
                                              : Action::Close;
    QString error;
    if (windowAction(kind, seconds * 1000, &error, ticket))
        return; // answered once the change is stored
    QByteArray code;
    switch (m_window.state()) {
    case WindowState::Draft:
    case WindowState::Ready:
        code = "window_not_open";
        break;
    case WindowState::Open:
        code = "window_open";
        break;
    case WindowState::Closing:
    case WindowState::Closed:
    case WindowState::Final:
        code = "window_closed";
        break;
    }
    reply(ticket, 409, errorJson(code, error));
}

bool Engine::createSession(SessionDefinition definition, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    checkDeadline();
    if (m_window.state() == WindowState::Open || m_window.state() == WindowState::Closing) {
        return fail(error,
                    u"the lines of \"%1\" are %2; close them before switching to another session"_s.arg(
                        m_session.title, windowStateName(m_window.state())));
    }
    definition.id = m_maxSessionId + 1;
    const QString problem = definition.validate();
    if (!problem.isEmpty())
        return fail(error, problem);
    ++m_maxSessionId;
    m_session = definition;
    m_window = VotingWindow(definition.windowMs, definition.lateToleranceMs);
    m_createdAtMs = m_clock.nowMs();
    m_rejects = std::make_shared<RejectCounters>();
    switchSession(currentRecord(), {});
    armDeadlineTimer();
    Q_EMIT sessionChanged();
    Q_EMIT windowChanged();
    return true;
}

void Engine::adminCreateSession(const SessionDefinition &definition, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    QString error;
    if (!createSession(definition, &error)) {
        const bool busy = m_window.state() == WindowState::Open || m_window.state() == WindowState::Closing;
        reply(ticket, busy ? 409 : 400, errorJson(busy ? "window_open" : "bad_request", error));
        return;
    }
    // Answer once the new session is stored and current: queued behind the activation.
    QJsonObject body = m_session.toJson();
    body.insert(u"state"_s, windowStateName(m_window.state()));
    const QByteArray json = QJsonDocument(body).toJson(QJsonDocument::Compact);
    m_writerQueue.push(
        m_writer->saveSession(currentRecord(), {}, {}, [ticket, json](bool ok, const QString &problem) {
            Http::sendReply(ticket, ok ? Http::HttpResponse::json(201, json)
                                       : Http::HttpResponse::jsonError(503, "storage_unavailable", problem)
                                             .addHeader("Retry-After", "2"));
        }));
}

void Engine::sendBarrier(std::function<void(bool, const QString &)> done)
{
    const quint64 id = m_nextBarrierId++;
    // The writer learns of the barrier before any shard's marker can reach it.
    m_writerQueue.push(m_writer->expectBarrier(id, std::move(done)));
    IngestQueue::Marker marker;
    marker.kind = IngestQueue::Marker::Kind::Barrier;
    marker.id = id;
    m_queue.setAdmission(admission(), marker);
}

void Engine::switchSession(const SessionRecord &record, std::function<void(bool, const QString &)> done)
{
    // The writer switches its published tally first; then each shard switches its ledger, in
    // order with its votes, when its worker reaches the marker.
    m_writerQueue.push(m_writer->activateSession(record, m_rejects, std::move(done)));
    IngestQueue::Marker marker;
    marker.kind = IngestQueue::Marker::Kind::SwitchSession;
    marker.sessionId = record.definition.id;
    marker.optionCount = int(record.definition.options.size());
    marker.policy = record.definition.policy;
    m_queue.setAdmission(admission(), marker);
    publishGate();
}

QList<SecondSample> Engine::metricsSeries() const
{
    return m_sampler.samples();
}

SecondSample Engine::latestMetrics() const
{
    return m_sampler.latest();
}

int Engine::activeWorkers() const
{
    return m_pool ? m_pool->activeWorkers() : 0;
}

void Engine::orchestrate()
{
    if (!m_running || !m_pool)
        return;
    const qint64 nowNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
    Orchestrator::Observation observation;
    observation.nowMs = nowNs / 1'000'000;
    observation.queueDepth = m_queue.depth();
    observation.oldestAgeMs = m_queue.oldestAgeNs(nowNs) / 1'000'000;
    observation.activeWorkers = m_pool->activeWorkers();
    const Orchestrator::Decision decision = m_orchestrator.decide(observation);
    if (!decision.changed)
        return;
    m_pool->setActiveWorkers(decision.workers);
    m_activeWorkers.store(decision.workers, std::memory_order_relaxed);
    m_workerScaleUps.store(m_orchestrator.scaleUps(), std::memory_order_relaxed);
    m_workerScaleDowns.store(m_orchestrator.scaleDowns(), std::memory_order_relaxed);
    qCInfo(lcEngine).noquote() << decision.reason;
}

SessionDefinition Engine::session() const
{
    return m_session;
}

WindowStatus Engine::windowStatus() const
{
    WindowStatus status;
    const WindowRecord &record = m_window.record();
    status.state = record.state;
    status.nowMs = m_clock.nowMs();
    status.remainingMs = m_window.remainingMs(status.nowMs);
    status.openedAtMs = record.openedAtMs;
    status.closesAtMs = record.closesAtMs;
    status.closedAtMs = record.closedAtMs;
    return status;
}

TallySnapshotPtr Engine::tally() const
{
    TallySnapshotPtr snapshot = m_snapshots.load();
    if (snapshot->sessionId == m_session.id && snapshot->raw.size() == std::size_t(m_session.options.size()))
        return snapshot;
    // The writer has not switched to this session yet: show it empty rather than mismatched.
    auto empty = std::make_shared<TallySnapshot>();
    empty->sessionId = m_session.id;
    empty->raw.assign(std::size_t(m_session.options.size()), 0);
    empty->exact = empty->raw;
    return empty;
}

SessionCounters Engine::counters() const
{
    SessionCounters c;
    c.rejected = m_rejects->total();
    c.late = m_rejects->count(RejectReason::WindowClosed);
    c.rejectedByReason = m_rejects->byCode();
    c.queueDepth = m_queue.depth();
    return c;
}

QString Engine::ingestUrl() const
{
    QHostAddress host = m_options.bindAddress;
    if (host == QHostAddress::Any || host == QHostAddress::AnyIPv4 || host == QHostAddress::AnyIPv6) {
        // Listening everywhere: give the team the address other machines can reach.
        host = QHostAddress(QHostAddress::LocalHost);
        for (const QHostAddress &candidate : QNetworkInterface::allAddresses()) {
            if (candidate.protocol() == QAbstractSocket::IPv4Protocol && !candidate.isLoopback()) {
                host = candidate;
                break;
            }
        }
    }
    const QString hostText =
        host.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + host.toString() + u']' : host.toString();
    return u"http://%1:%2/v1/votes"_s.arg(hostText).arg(port());
}
