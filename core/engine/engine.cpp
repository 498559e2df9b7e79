#include "engine/engine.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <future>

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkInterface>
#include <QRandomGenerator>
#include <QThreadPool>

#include "engine/apiroutes.h"
#include "engine/canary.h"
#include "engine/tlsterminator.h"
#include "http/httpserver.h"
#include "ingest/journalwriter.h"
#include "ingest/votevalidator.h"
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
    connect(&m_samplerTimer, &QTimer::timeout, this, [this] {
        m_sampler.sample(m_uptime.elapsed() + 1);
        checkAlerts();
    });
    // The graphics poll at about a second too: publishing more often would only churn files.
    m_publishTimer.setInterval(1000);
    connect(&m_publishTimer, &QTimer::timeout, this, &Engine::autoPublishTick);

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
    // The HTTPS listener's certificate first: a show that asked for TLS must not start without.
    QSslConfiguration tlsConfiguration;
    if (m_options.tls.enabled) {
        QString problem;
        if (!TlsTerminator::loadConfiguration(m_options.tls.certificatePath, m_options.tls.keyPath,
                                              &tlsConfiguration, &problem))
            return fail(error, problem);
        const QHostAddress bound = m_options.bindAddress;
        if (!bound.isLoopback() && bound != QHostAddress::Any && bound != QHostAddress::AnyIPv4)
            return fail(error, u"the HTTPS listener relays to the plain one over 127.0.0.1: --bind must be "
                               u"127.0.0.1 or 0.0.0.0 with TLS"_s);
    }

    // The feeds' settings are checked (and the default export folder made) before anything runs.
    m_feeds = std::make_unique<ResultFeeds>(m_options.feeds, database.absoluteFilePath(),
                                            [box = &m_publishedBox]() -> PublishedResultsPtr {
                                                const PublishedViewPtr view = box->load();
                                                return view ? view->results : nullptr;
                                            });
    connect(m_feeds.get(), &ResultFeeds::exportFailed, this, &Engine::exportFailed);
    connect(m_feeds.get(), &ResultFeeds::exportRecovered, this, &Engine::exportRecovered);
    if (!m_feeds->prepare(error)) {
        m_feeds.reset();
        return false;
    }
    if (!m_finalWriterSet)
        m_finalWriter = m_feeds->finalWriter();

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
            this,
            [this, message] {
                // Logged here too; stored only if the store takes this one line (it usually
                // does not: that is the fault). The recovery line below names it again.
                m_lastStorageError = message;
                raiseAlert(u"storage_error"_s, message);
                Q_EMIT storageError(message);
            },
            Qt::QueuedConnection);
    });
    m_writer->setStorageRecoveredHandler([this] {
        QMetaObject::invokeMethod(
            this,
            [this] {
                raiseAlert(u"storage_recovered"_s,
                           u"the store takes writes again after: %1"_s.arg(m_lastStorageError));
                Q_EMIT storageRecovered();
            },
            Qt::QueuedConnection);
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
        if (loaded.published)
            restorePublished(*loaded.published);
        if (before == WindowState::Open && m_window.state() == WindowState::Closing) {
            windowChangedTo(u"lines_closed"_s, u"the close instant passed while votedesk was not running"_s,
                            Actor::system(), std::nullopt);
        } else {
            m_queue.setAdmission(admission());
            publishGate();
            if (m_window.state() == WindowState::Closing) // stopped while draining: finish it
                windowChangedTo(u"drain_resumed"_s, u"resuming the drain after a restart"_s, Actor::system(),
                                std::nullopt);
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
        switchSession(currentRecord(), {}, Actor::system());
        qCInfo(lcEngine) << "created the demo session" << demo.id;
    }

    if (m_options.canaryIntervalMs > 0) {
        // The canary must reach the server as a local client: through loopback when the server
        // listens on every address or on loopback; on one other address it cannot. Created
        // before the server runs: /metrics reads it from the I/O threads.
        const QHostAddress bound = m_options.bindAddress;
        const bool any =
            bound == QHostAddress::Any || bound == QHostAddress::AnyIPv4 || bound == QHostAddress::AnyIPv6;
        if (any || bound.isLoopback()) {
            m_canary = std::make_unique<Canary>(
                Canary::Config{m_options.canaryIntervalMs, m_options.canaryDeadlineMs}, m_metrics);
            // Same thread: into the event log (the console's alert list) and out as signals.
            connect(m_canary.get(), &Canary::missing, this, [this](const QString &message) {
                raiseAlert(u"canary_missing"_s, message);
                Q_EMIT canaryMissing(message);
            });
            connect(m_canary.get(), &Canary::recovered, this, [this] {
                raiseAlert(u"canary_recovered"_s, u"the canary vote is stored again"_s);
                Q_EMIT canaryRecovered();
            });
            m_canaryTarget = bound == QHostAddress::AnyIPv6 || bound == QHostAddress::LocalHostIPv6
                                 ? QHostAddress(QHostAddress::LocalHostIPv6)
                                 : (bound.isLoopback() ? bound : QHostAddress(QHostAddress::LocalHost));
        } else {
            qCWarning(lcEngine) << "no canary: the server listens only on" << bound.toString()
                                << "and the canary is taken only from loopback";
        }
    }
    // Before the server: the I/O threads read the feeds' status and metrics. Its first check
    // writes what is on air (a restored picture) into the export folder.
    m_feeds->start(m_session);

    m_api = std::make_unique<ApiContext>(ApiContext{
        m_gate, m_queue, m_snapshots, m_publishedBox, m_metrics, m_clock, m_voteHandler,
        [this] {
            const Http::HttpServerCounters &c = m_server->counters();
            auto v = [](const std::atomic<qint64> &a) {
                return double(a.load(std::memory_order_relaxed));
            };
            QList<Metrics::Sample> samples{
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
            samples += m_feeds->metricSamples(); // export folder, CasparCG
            samples += m_access->samples();
            if (m_canary)
                samples += m_canary->samples();
            return samples;
        },
        // Crossing: admin actions come from an I/O thread and run on the engine's thread.
        [this](const AdminAction &action, const Http::ReplyTicket &ticket) {
            QMetaObject::invokeMethod(
                this, [this, action, ticket] { adminAction(action, ticket); }, Qt::QueuedConnection);
        },
        [this](const SessionDefinition &definition, const QString &actor, const Http::ReplyTicket &ticket) {
            QMetaObject::invokeMethod(
                this, [this, definition, actor, ticket] { adminCreateSession(definition, actor, ticket); },
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
        },
        // Crossing: a replay is audited by the engine, so it goes through the engine's thread.
        [this](const CountingRule &rule, const QString &actor, const Http::ReplyTicket &ticket) {
            QMetaObject::invokeMethod(
                this, [this, rule, actor, ticket] { adminReplay(rule, actor, ticket); },
                Qt::QueuedConnection);
        },
        // Crossing: straight into the writer's queue; the writer answers from its thread.
        [this](qint64 sessionId, const Http::ReplyTicket &ticket) {
            m_writerQueue.push(m_writer->loadAudit(sessionId, [ticket](bool ok, const QList<EventRow> &events,
                                                                       const QString &problem) {
                if (!ok) {
                    Http::sendReply(ticket, Http::HttpResponse::jsonError(503, "storage_unavailable", problem)
                                                .addHeader("Retry-After", "2"));
                    return;
                }
                QList<AuditEntry> entries;
                entries.reserve(events.size());
                for (const EventRow &event : events)
                    entries.append(auditEntryFrom(event));
                Http::sendReply(ticket, Http::HttpResponse::json(200, auditLogJson(entries)));
            }));
        }});

    m_api->serveAudiencePage = m_options.serveAudiencePage;
    m_access = std::make_unique<AccessControl>(m_options.access);
    // The TLS terminator proves itself with this (ClientAddressResolver): 32 random bytes per run.
    QByteArray relaySecret;
    if (m_options.tls.enabled) {
        std::array<quint32, 8> words;
        QRandomGenerator::system()->fillRange(words.data(), words.size());
        relaySecret =
            QByteArray(reinterpret_cast<const char *>(words.data()), qsizetype(sizeof(words))).toHex();
        m_access->setRelaySecret(relaySecret);
    }
    m_api->access = m_access.get();
    m_voteHandler.setAccessControl(m_access.get());
    m_voteHandler.setFraudMonitor(&m_fraud);
    m_api->fraud = &m_fraud;
    // Crossing: the exclusions belong to the engine's thread, so the request goes through it.
    m_api->exclude = [this](const CountExclusion &exclusion, const Http::ReplyTicket &ticket) {
        QMetaObject::invokeMethod(
            this,
            [this, exclusion, ticket] {
                QString problem;
                if (!excludeFromCount(exclusion, &problem)) {
                    const bool conflict =
                        m_running && (m_finalizing || m_window.state() == WindowState::Final);
                    reply(ticket, conflict ? 409 : 400,
                          errorJson(conflict ? "already_final" : "bad_request", problem));
                    return;
                }
                reply(ticket, 200,
                      QJsonDocument(QJsonObject{{u"session"_s, m_session.id},
                                                {u"exclusions"_s, exclusionsJson(m_exclusions)}})
                          .toJson(QJsonDocument::Compact));
            },
            Qt::QueuedConnection);
    };
    m_api->listSessions = [this](const Http::ReplyTicket &ticket) {
        adminListSessions(ticket);
    };
    // Crossing: from an I/O thread to the engine's thread.
    m_api->rehearsal = [this](const RehearsalCommand &command, const Http::ReplyTicket &ticket) {
        QMetaObject::invokeMethod(
            this, [this, command, ticket] { adminRehearsal(command, ticket); }, Qt::QueuedConnection);
    };
    m_api->openSession = [this](qint64 sessionId, const QString &actor, const Http::ReplyTicket &ticket) {
        QMetaObject::invokeMethod(
            this, [this, sessionId, actor, ticket] { adminOpenSession(sessionId, actor, ticket); },
            Qt::QueuedConnection);
    };
    m_api->feedStatus = [feeds = m_feeds.get()] {
        return feeds->statusJson();
    };
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
        // Into the session's log before the writer stops (it commits what is queued): the
        // crew finds why the show did not start next to what it did.
        m_writerQueue.push(m_writer->appendEvent(
            EventRow{0, m_session.id, m_clock.nowMs(), u"port_in_use"_s,
                     u"cannot listen on %1 port %2: %3"_s.arg(m_options.bindAddress.toString())
                         .arg(m_options.port)
                         .arg(listenError),
                     Actor::system()}));
        m_server.reset();
        m_feeds->stop();
        m_pool->stop();
        m_writer->stop();
        m_writer.reset();
        m_pool.reset();
        m_lock.unlock();
        return fail(error, u"cannot listen on %1 port %2: %3"_s.arg(m_options.bindAddress.toString())
                               .arg(m_options.port)
                               .arg(listenError));
    }
    if (m_options.tls.enabled) {
        m_tls = std::make_unique<TlsTerminator>(tlsConfiguration, m_server->serverPort(), relaySecret);
        if (!m_tls->listen(m_options.tls.bindAddress, m_options.tls.port, &listenError)) {
            m_tls.reset();
            m_pool->stop();
            m_writer->stop();
            m_server->close();
            m_server.reset();
            m_writer.reset();
            m_pool.reset();
            m_lock.unlock();
            return fail(error, u"cannot listen for HTTPS on %1 port %2: %3"_s
                                   .arg(m_options.tls.bindAddress.toString())
                                   .arg(m_options.tls.port)
                                   .arg(listenError));
        }
    }
    m_running = true;
    reloadExclusions();
    if (m_canary)
        m_canary->start(m_canaryTarget, m_server->serverPort());
    armDeadlineTimer();
    m_orchestratorTimer.start();
    m_uptime.start();
    m_sampler.sample(m_uptime.elapsed() + 1); // primes: the first real sample comes in a second
    m_samplerTimer.start();
    m_publishTimer.start();
    Q_EMIT sessionChanged();
    Q_EMIT windowChanged();
    autoPublishTick(); // a live session's picture is on air from the start
    return true;
}

void Engine::stop()
{
    // The simulated audience first: it talks to the server that is about to go.
    stopRehearsal();
    m_rehearsal.reset(); // joins its thread
    m_archivePool.waitForDone();
    const bool wasRunning = m_running;
    m_running = false;
    if (m_canary)
        m_canary->stop();
    m_deadlineTimer.stop();
    m_orchestratorTimer.stop();
    m_samplerTimer.stop();
    m_publishTimer.stop();
    if (m_feeds)
        m_feeds->stop(); // waits for a file write in progress
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
    if (m_tls) {
        m_tls->close(); // its relays are clients of the server: they go first
        m_tls.reset();
    }
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

quint16 Engine::tlsPort() const
{
    return m_tls ? m_tls->port() : 0;
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

void Engine::windowChangedTo(const QString &eventKind, const QString &detail, const QString &actor,
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
    const EventRow event{0, m_session.id, m_clock.nowMs(), eventKind, detail, actor};
    noteEvent(event);
    m_writerQueue.push(m_writer->saveSession(currentRecord(), event, std::move(done)));
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
    autoPublishTick(); // live follows the state; after_close is released by the close
}

void Engine::onDrained(qint64 sessionId)
{
    if (!m_running || sessionId != m_session.id || m_window.state() != WindowState::Closing)
        return;
    m_window.markDrained();
    windowChangedTo(u"results_frozen"_s, u"every vote received before the close is stored"_s, Actor::system(),
                    std::nullopt);
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
        windowChangedTo(u"lines_closed"_s, u"closed on time"_s, Actor::system(), std::nullopt);
    else
        armDeadlineTimer();
}

bool Engine::windowAction(Action action, qint64 extraMs, const QString &actor, QString *error,
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
                        actor, ticket);
        return true;
    case Action::Extend:
        if (!m_window.extend(now, extraMs, error))
            return false;
        windowChangedTo(
            u"lines_extended"_s,
            u"+%1 s, closes at %2"_s.arg(extraMs / 1000).arg(isoTime(m_window.record().closesAtMs)), actor,
            ticket);
        return true;
    case Action::Close:
        if (!m_window.closeNow(now, error))
            return false;
        windowChangedTo(u"lines_closed"_s, u"closed by the operator"_s, actor, ticket);
        return true;
    }
    return false;
}

bool Engine::openLines(QString *error)
{
    return windowAction(Action::Open, 0, Actor::console(), error, std::nullopt);
}

bool Engine::extendLines(int seconds, QString *error)
{
    return windowAction(Action::Extend, qint64(seconds) * 1000, Actor::console(), error, std::nullopt);
}

bool Engine::closeLines(QString *error)
{
    return windowAction(Action::Close, 0, Actor::console(), error, std::nullopt);
}

void Engine::reply(const Http::ReplyTicket &ticket, int status, const QByteArray &body)
{
    // After stop() the I/O contexts are gone; a queued admin call that arrives late is dropped.
    if (m_running)
        Http::sendReply(ticket, Http::HttpResponse::json(status, body));
}

void Engine::adminWindowAction(const AdminAction &action, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    const Action kind = action.name == u"open"     ? Action::Open
                        : action.name == u"extend" ? Action::Extend
                                                   : Action::Close;
    QString error;
    if (windowAction(kind, action.seconds * 1000, action.actor, &error, ticket))
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
    return createSession(std::move(definition), Actor::console(), error);
}

QString Engine::switchRefusal() const
{
    if (m_finalizing)
        return u"\u201c%1\u201d is being finalized; wait for the certification"_s.arg(m_session.title);
    if (m_window.state() == WindowState::Open || m_window.state() == WindowState::Closing) {
        return u"the lines of \"%1\" are %2; close them before switching to another session"_s.arg(
            m_session.title, windowStateName(m_window.state()));
    }
    return {};
}

bool Engine::createSession(SessionDefinition definition, const QString &actor, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    checkDeadline();
    if (const QString refusal = switchRefusal(); !refusal.isEmpty())
        return fail(error, refusal);
    definition.id = m_maxSessionId + 1;
    // A session with voter tokens gets its secret here, whoever created it (API or console).
    if (definition.voterToken == VoterTokenMode::Hmac && definition.voterTokenSecret.isEmpty())
        definition.voterTokenSecret = QString::fromLatin1(VoterToken::newSecret());
    const QString problem = definition.validate();
    if (!problem.isEmpty())
        return fail(error, problem);
    ++m_maxSessionId;
    makeCurrent(definition, m_clock.nowMs(), actor);
    return true;
}

void Engine::makeCurrent(const SessionDefinition &definition, qint64 createdAtMs, const QString &actor)
{
    // Simulated votes are for the session they were started for: none may reach the next one.
    stopRehearsal();
    m_session = definition;
    m_window = VotingWindow(definition.windowMs, definition.lateToleranceMs);
    m_createdAtMs = createdAtMs;
    m_rejects = std::make_shared<RejectCounters>();
    // The figures are per session like the reject counters. A request an I/O thread is
    // handling at this instant may still land in the new figures: they are indicators, the
    // count itself comes from the store.
    m_fraud.reset();
    m_exclusions.clear();
    // Nothing of the new session is on air until its visibility allows it.
    m_published.reset();
    m_publishVersion = 0;
    m_publishedBox.publish(nullptr);
    m_feeds->setSession(m_session); // its folder may be another; the files keep the last picture
    switchSession(currentRecord(), {}, actor);
    reloadExclusions();
    armDeadlineTimer();
    qCInfo(lcEngine) << "session" << m_session.id << m_session.title << "is current";
    Q_EMIT sessionChanged();
    Q_EMIT windowChanged();
    autoPublishTick();
}

void Engine::requestSessions()
{
    if (!m_running)
        return;
    // Crossing: listed on the writer thread (in order after every session write), handed
    // back through a queued call.
    m_writerQueue.push(
        m_writer->listSessions([this](bool ok, const QList<SessionSummary> &sessions, const QString &error) {
            QMetaObject::invokeMethod(
                this,
                [this, ok, sessions, error] {
                    if (ok)
                        Q_EMIT sessionsListed(sessions);
                    else
                        Q_EMIT sessionActionFailed(u"cannot list the sessions: "_s + error);
                },
                Qt::QueuedConnection);
        }));
}

bool Engine::openSession(qint64 sessionId, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    if (sessionId <= 0)
        return fail(error, u"no session %1"_s.arg(sessionId));
    // Crossing: the record is read on the writer thread, in order with every earlier write.
    m_writerQueue.push(m_writer->inspectSession(
        sessionId, [this](const std::optional<SessionSummary> &summary, const QString &problem) {
            QMetaObject::invokeMethod(
                this, [this, summary, problem] { onSessionInspected(summary, problem); },
                Qt::QueuedConnection);
        }));
    return true;
}

void Engine::onSessionInspected(const std::optional<SessionSummary> &summary, const QString &error)
{
    if (!m_running)
        return;
    if (!summary) {
        Q_EMIT sessionActionFailed(error.isEmpty() ? u"no such session"_s : error);
        return;
    }
    const SessionDefinition &definition = summary->record.definition;
    if (summary->isDraft() && definition.id != m_session.id) {
        // A draft is made current as it is: it has no votes, so the pipeline starts it empty.
        checkDeadline();
        if (const QString refusal = switchRefusal(); !refusal.isEmpty()) {
            Q_EMIT sessionActionFailed(refusal);
            return;
        }
        makeCurrent(definition, summary->record.createdAtMs, Actor::console());
        return;
    }
    // Anything else is looked at, never resumed: a past vote is not reopened. The recount of
    // its log runs on a pool thread with its own connection (the writer keeps committing).
    // Crossing: the view comes back through a queued call.
    const QString path = m_options.databasePath;
    const qint64 sessionId = definition.id;
    // stop() waits for the pool, so `this` outlives the task.
    m_archivePool.start([this, path, sessionId] {
        SessionView view = SessionArchive::load(path, sessionId);
        QMetaObject::invokeMethod(
            this,
            [this, view] {
                if (view.ok)
                    Q_EMIT sessionViewReady(view);
                else
                    Q_EMIT sessionActionFailed(
                        u"cannot read session %1: %2"_s.arg(view.summary.record.definition.id)
                            .arg(view.error));
            },
            Qt::QueuedConnection);
    });
}

bool Engine::deleteDraft(qint64 sessionId, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    if (sessionId == m_session.id)
        return fail(error,
                    u"\u201c%1\u201d is the current session; switch to another one before deleting it"_s.arg(
                        m_session.title));
    // The store checks and deletes in one transaction on the writer thread; the outcome comes
    // back through a queued call.
    m_writerQueue.push(m_writer->deleteDraft(sessionId, Actor::console(),
                                             [this, sessionId](bool ok, const QString &problem) {
                                                 QMetaObject::invokeMethod(
                                                     this,
                                                     [this, ok, sessionId, problem] {
                                                         if (ok)
                                                             Q_EMIT sessionDeleted(sessionId);
                                                         else
                                                             Q_EMIT sessionActionFailed(problem);
                                                     },
                                                     Qt::QueuedConnection);
                                             }));
    return true;
}

void Engine::adminOpenSession(qint64 sessionId, const QString &actor, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    // Crossing: read on the writer thread, decided back on this one.
    m_writerQueue.push(m_writer->inspectSession(sessionId, [this, sessionId, actor, ticket](
                                                               const std::optional<SessionSummary> &summary,
                                                               const QString &) {
        QMetaObject::invokeMethod(
            this,
            [this, sessionId, actor, ticket, summary] {
                if (!m_running)
                    return;
                if (!summary) {
                    reply(ticket, 404, errorJson("not_found", u"there is no session %1"_s.arg(sessionId)));
                    return;
                }
                if (!summary->current) {
                    if (!summary->isDraft()) {
                        reply(ticket, 409,
                              errorJson("not_a_draft",
                                        u"session %1 was opened (%2): a past vote is never reopened; read it "
                                        u"with GET /v1/admin/audit?session=%1"_s.arg(sessionId)
                                            .arg(windowStateName(summary->record.window.state))));
                        return;
                    }
                    checkDeadline();
                    if (const QString refusal = switchRefusal(); !refusal.isEmpty()) {
                        reply(ticket, 409, errorJson("window_open", refusal));
                        return;
                    }
                    makeCurrent(summary->record.definition, summary->record.createdAtMs, actor);
                }
                // Answer once the switch is stored: queued behind the activation.
                QJsonObject body = m_session.toJson();
                body.insert(u"state"_s, windowStateName(m_window.state()));
                const QByteArray json = QJsonDocument(body).toJson(QJsonDocument::Compact);
                m_writerQueue.push(m_writer->saveSession(
                    currentRecord(), EventRow{}, [ticket, json](bool ok, const QString &problem) {
                        Http::sendReply(
                            ticket, ok ? Http::HttpResponse::json(200, json)
                                       : Http::HttpResponse::jsonError(503, "storage_unavailable", problem)
                                             .addHeader("Retry-After", "2"));
                    }));
            },
            Qt::QueuedConnection);
    }));
}

void Engine::adminListSessions(const Http::ReplyTicket &ticket)
{
    // Crossing: called on an I/O thread; the writer queue is thread-safe and the writer answers
    // through the ticket from its thread.
    m_writerQueue.push(m_writer->listSessions(
        [ticket](bool ok, const QList<SessionSummary> &sessions, const QString &problem) {
            if (!ok) {
                Http::sendReply(ticket, Http::HttpResponse::jsonError(503, "storage_unavailable", problem)
                                            .addHeader("Retry-After", "2"));
                return;
            }
            Http::sendReply(ticket, Http::HttpResponse::json(200, sessionListJson(sessions)));
        }));
}

void Engine::setRehearsalTraffic(std::unique_ptr<RehearsalTraffic> traffic)
{
    if (m_rehearsal)
        m_rehearsal->stop();
    m_rehearsal = std::move(traffic);
}

bool Engine::startRehearsal(const RehearsalPlan &plan, QString *error)
{
    return startRehearsal(plan, Actor::console(), error);
}

bool Engine::startRehearsal(const RehearsalPlan &plan, const QString &actor, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    if (!m_session.rehearsal) {
        return fail(error, u"\u201c%1\u201d is a live session: simulated traffic is only for sessions "
                           u"created as a rehearsal"_s.arg(m_session.title));
    }
    if (!m_rehearsal)
        return fail(error, u"this build has no rehearsal traffic"_s);
    if (m_rehearsal->status().running)
        return fail(error, u"simulated traffic is already running; stop it first"_s);
    if (const QString problem = plan.validate(); !problem.isEmpty())
        return fail(error, problem);
    RehearsalTarget target;
    // The real ingest path: the simulated audience connects to our own port like phones do.
    target.address = m_options.bindAddress;
    if (target.address == QHostAddress::Any || target.address == QHostAddress::AnyIPv4)
        target.address = QHostAddress(QHostAddress::LocalHost);
    else if (target.address == QHostAddress::AnyIPv6)
        target.address = QHostAddress(QHostAddress::LocalHostIPv6);
    target.port = port();
    target.sessionId = m_session.id;
    for (const VoteOption &option : m_session.options)
        target.optionKeys.append(option.key);
    if (m_session.voterToken == VoterTokenMode::Hmac) {
        VoterToken::Key key;
        if (!VoterToken::decodeSecret(m_session.voterTokenSecret, &key))
            return fail(error, u"the session's voter-token secret is not usable: no vote could be signed"_s);
        target.voterTokenSecret = key.view().toByteArray();
    }
    // Crossing: `finished` runs on the traffic's thread; the signal is sent from ours. stop()
    // joins the traffic before the engine goes, so `this` outlives the call.
    const bool started = m_rehearsal->start(
        target, plan,
        [this] {
            QMetaObject::invokeMethod(
                this, [this] { Q_EMIT rehearsalChanged(); }, Qt::QueuedConnection);
        },
        error);
    if (!started)
        return false;
    m_writerQueue.push(
        m_writer->appendEvent(EventRow{0, m_session.id, m_clock.nowMs(), u"rehearsal_started"_s,
                                       u"simulated traffic: "_s + plan.describe(), actor}));
    Q_EMIT rehearsalChanged();
    return true;
}

void Engine::stopRehearsal()
{
    stopRehearsal(Actor::console());
}

void Engine::stopRehearsal(const QString &actor)
{
    if (!m_rehearsal || !m_rehearsal->status().running)
        return;
    m_rehearsal->stop();
    const RehearsalStatus status = m_rehearsal->status();
    if (m_writer) {
        m_writerQueue.push(m_writer->appendEvent(
            EventRow{0, status.sessionId, m_clock.nowMs(), u"rehearsal_stopped"_s,
                     u"simulated traffic stopped after %1 votes sent"_s.arg(status.sent), actor}));
    }
}

void Engine::adminRehearsal(const RehearsalCommand &command, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    if (command.start) {
        if (!m_session.rehearsal) {
            reply(
                ticket, 409,
                errorJson("not_a_rehearsal", u"\u201c%1\u201d is a live session: simulated traffic is only "
                                             u"for sessions created as a rehearsal"_s.arg(m_session.title)));
            return;
        }
        if (rehearsalStatus().running) {
            reply(ticket, 409, errorJson("already_running", u"simulated traffic is already running"_s));
            return;
        }
        QString error;
        if (!startRehearsal(command.plan, command.actor, &error)) {
            const bool badPlan = !command.plan.validate().isEmpty();
            reply(ticket, badPlan ? 400 : 503, errorJson(badPlan ? "bad_request" : "not_available", error));
            return;
        }
    } else {
        stopRehearsal(command.actor);
    }
    reply(ticket, 200, rehearsalStatusJson(rehearsalStatus()));
}

RehearsalStatus Engine::rehearsalStatus() const
{
    return m_rehearsal ? m_rehearsal->status() : RehearsalStatus();
}

void Engine::adminCreateSession(const SessionDefinition &definition, const QString &actor,
                                const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    QString error;
    if (!createSession(definition, actor, &error)) {
        const bool busy = m_window.state() == WindowState::Open || m_window.state() == WindowState::Closing;
        reply(ticket, busy ? 409 : 400, errorJson(busy ? "window_open" : "bad_request", error));
        return;
    }
    // Answer once the new session is stored and current: queued behind the activation.
    QJsonObject body = m_session.toJson();
    body.insert(u"state"_s, windowStateName(m_window.state()));
    const QByteArray json = QJsonDocument(body).toJson(QJsonDocument::Compact);
    m_writerQueue.push(
        m_writer->saveSession(currentRecord(), EventRow{}, [ticket, json](bool ok, const QString &problem) {
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

void Engine::switchSession(const SessionRecord &record, std::function<void(bool, const QString &)> done,
                           const QString &actor)
{
    // The writer switches its published tally first; then each shard switches its ledger, in
    // order with its votes, when its worker reaches the marker.
    m_writerQueue.push(m_writer->activateSession(record, m_rejects, std::move(done), actor));
    IngestQueue::Marker marker;
    marker.kind = IngestQueue::Marker::Kind::SwitchSession;
    marker.sessionId = record.definition.id;
    marker.optionCount = int(record.definition.options.size());
    marker.rule = record.definition.rule();
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

qint64 Engine::storeSizeBytes() const
{
    if (m_storeSizeAge.isValid() && m_storeSizeAge.elapsed() < 1000)
        return m_storeSizeBytes;
    m_storeSizeAge.start();
    const QFileInfo database(m_options.databasePath);
    if (!database.exists()) {
        m_storeSizeBytes = -1;
        return m_storeSizeBytes;
    }
    // The WAL holds every commit since the last checkpoint: under load it is most of what
    // grows, so leaving it out would show a store that stands still while the disk fills.
    const QFileInfo wal(m_options.databasePath + u"-wal"_s);
    m_storeSizeBytes = database.size() + (wal.exists() ? wal.size() : 0);
    return m_storeSizeBytes;
}

qint64 Engine::uptimeMs() const
{
    return m_running && m_uptime.isValid() ? m_uptime.elapsed() : 0;
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

FraudSnapshot Engine::fraud(int limit) const
{
    const qint64 steadyMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count();
    return m_fraud.snapshot(limit, steadyMs);
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

// Results: publishing, auto-publish, finalization, replay, audit. All on the engine's thread;
// the store work goes through the writer's queue and comes back as queued invocations.

void Engine::adminAction(const AdminAction &action, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    Refusal refusal;
    if (action.name == u"publish") {
        if (!publish(PublishCause::Operator, action.actor, &refusal, ticket))
            reply(ticket, refusal.status, errorJson(refusal.code, refusal.message));
        return;
    }
    if (action.name == u"finalize") {
        if (!finalize(action.actor, &refusal, ticket))
            reply(ticket, refusal.status, errorJson(refusal.code, refusal.message));
        return;
    }
    if (action.name == u"auto_publish") {
        QString error;
        if (!setAutoPublish(action.enabled, action.actor, &error, ticket))
            reply(ticket, 503, errorJson("storage_unavailable", error));
        return;
    }
    adminWindowAction(action, ticket);
}

bool Engine::resultsReleased() const
{
    switch (m_session.visibility) {
    case ResultsVisibility::Live:
        return true;
    case ResultsVisibility::AfterClose:
        return m_window.state() == WindowState::Closed || m_window.state() == WindowState::Final;
    case ResultsVisibility::OnPublish:
        return m_publishVersion > 0; // the operator's first publish released them
    }
    return false;
}

void Engine::autoPublishTick()
{
    if (!m_running || m_finalizing || !m_session.autoPublish || m_window.state() == WindowState::Final ||
        !resultsReleased())
        return;
    // Compare what airs, not version numbers: a restart renumbers the live tally.
    const TallySnapshotPtr live = tally();
    if (m_published && m_published->session.id == m_session.id &&
        m_published->window.state == m_window.state() && m_published->tally.exact == live->exact &&
        m_published->tally.raw == live->raw && m_published->tally.accepted == live->accepted &&
        m_published->tally.uniqueVoters == live->uniqueVoters)
        return;
    publish(PublishCause::Automatic, Actor::system(), nullptr, std::nullopt);
}

bool Engine::publishResults(QString *error)
{
    Refusal refusal;
    if (publish(PublishCause::Operator, Actor::console(), &refusal, std::nullopt))
        return true;
    return fail(error, refusal.message);
}

bool Engine::publish(PublishCause cause, const QString &actor, Refusal *refusal,
                     std::optional<Http::ReplyTicket> ticket)
{
    auto refuse = [refusal](int status, const QByteArray &code, const QString &message) {
        if (refusal)
            *refusal = Refusal{status, code, message};
        return false;
    };
    if (!m_running)
        return refuse(503, "storage_unavailable", u"votedesk is not running"_s);
    if (cause == PublishCause::Operator)
        checkDeadline(); // the close instant may have passed since the timer last looked
    if (m_finalizing)
        return refuse(409, "finalizing", u"the results are being certified; the final picture follows"_s);
    switch (m_window.state()) {
    case WindowState::Draft:
    case WindowState::Ready:
        if (cause == PublishCause::Operator)
            return refuse(409, "window_not_open",
                          u"the lines have not opened yet: there is nothing to publish"_s);
        break;
    case WindowState::Open:
    case WindowState::Closing:
        if (m_session.visibility == ResultsVisibility::AfterClose) {
            return refuse(
                409, "window_open",
                u"this vote's results are shown only once the lines are closed (visibility after_close)"_s);
        }
        break;
    case WindowState::Closed:
        break;
    case WindowState::Final:
        // The certified picture stays on air: publishing again changes nothing.
        if (!m_published)
            return refuse(409, "already_final", u"the results are final"_s);
        if (ticket)
            reply(*ticket, 200, QJsonDocument(publishedJson(*m_published)).toJson(QJsonDocument::Compact));
        return true;
    }

    const qint64 now = m_clock.nowMs();
    auto results = std::make_shared<PublishedResults>();
    results->session = m_session;
    results->tally = *tally();
    results->window = m_window.record();
    results->publishVersion = m_publishVersion + 1;
    results->publishedAtMs = now;
    results->rehearsal = m_session.rehearsal;
    putOnAir(results);

    // The audit log keeps what people did; auto-publish, which runs every second while votes
    // come in, is logged once, when it first puts the session's results on air.
    EventRow event;
    if (cause == PublishCause::Operator || results->publishVersion == 1) {
        event = EventRow{
            0,
            m_session.id,
            now,
            u"results_published"_s,
            u"version %1: exact %2 (%3 votes counted raw, state %4)%5"_s.arg(
                QString::number(results->publishVersion), describeCounts(results->tally.exact, m_session),
                QString::number(results->tally.accepted), windowStateName(results->window.state),
                cause == PublishCause::Automatic ? u"; automatically from now on (visibility %1)"_s.arg(
                                                       resultsVisibilityName(m_session.visibility))
                                                 : QString()),
            actor};
    }
    JournalWriter::Completion done;
    if (ticket) {
        QByteArray body = QJsonDocument(publishedJson(*results)).toJson(QJsonDocument::Compact);
        done = [ticket = *ticket, body = std::move(body)](bool ok, const QString &error) {
            Http::sendReply(ticket, ok ? Http::HttpResponse::json(200, body)
                                       : Http::HttpResponse::jsonError(503, "storage_unavailable", error)
                                             .addHeader("Retry-After", "2"));
        };
    }
    if (!event.kind.isEmpty())
        noteEvent(event);
    m_writerQueue.push(m_writer->savePublished(toPublishedRecord(*results), event, std::move(done)));
    return true;
}

void Engine::putOnAir(PublishedResultsPtr results)
{
    m_published = results;
    m_publishVersion = results ? results->publishVersion : 0;
    // Rendered here, once per publish; the I/O threads only hand out the bytes.
    m_publishedBox.publish(results ? renderPublishedView(results, m_options.feeds.documents()) : nullptr);
    if (results) {
        m_feeds->published(results); // the files and CasparCG follow now, not at the next check
        Q_EMIT resultsPublished();
    }
}

void Engine::restorePublished(const PublishedRecord &record)
{
    PublishedResults results;
    QString error;
    if (!fromPublishedRecord(record, m_session, &results, &error)) {
        qCWarning(lcEngine).noquote() << error;
        return;
    }
    m_published = std::make_shared<const PublishedResults>(std::move(results));
    m_publishVersion = m_published->publishVersion;
    m_publishedBox.publish(renderPublishedView(m_published, m_options.feeds.documents()));
}

bool Engine::setAutoPublish(bool on, QString *error)
{
    return setAutoPublish(on, Actor::console(), error, std::nullopt);
}

bool Engine::setAutoPublish(bool on, const QString &actor, QString *error,
                            std::optional<Http::ReplyTicket> ticket)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    const QByteArray body = QJsonDocument(QJsonObject{{u"session"_s, m_session.id}, {u"auto_publish"_s, on}})
                                .toJson(QJsonDocument::Compact);
    JournalWriter::Completion done;
    if (ticket) {
        done = [ticket = *ticket, body](bool ok, const QString &problem) {
            Http::sendReply(ticket, ok ? Http::HttpResponse::json(200, body)
                                       : Http::HttpResponse::jsonError(503, "storage_unavailable", problem)
                                             .addHeader("Retry-After", "2"));
        };
    }
    if (m_session.autoPublish == on) {
        if (done)
            done(true, {});
        return true;
    }
    m_session.autoPublish = on;
    publishGate();
    const QString detail = on ? u"the results on air follow the tally once visibility %1 allows"_s.arg(
                                    resultsVisibilityName(m_session.visibility))
                              : u"only the operator's publish changes the results on air"_s;
    const EventRow event{
        0, m_session.id, m_clock.nowMs(), on ? u"auto_publish_on"_s : u"auto_publish_off"_s, detail, actor};
    noteEvent(event);
    m_writerQueue.push(m_writer->saveSession(currentRecord(), event, std::move(done)));
    autoPublishTick();
    return true;
}

bool Engine::finalizeResults(QString *error)
{
    Refusal refusal;
    if (finalize(Actor::console(), &refusal, std::nullopt))
        return true;
    return fail(error, refusal.message);
}

bool Engine::finalize(const QString &actor, Refusal *refusal, std::optional<Http::ReplyTicket> ticket)
{
    auto refuse = [refusal](int status, const QByteArray &code, const QString &message) {
        if (refusal)
            *refusal = Refusal{status, code, message};
        return false;
    };
    if (!m_running)
        return refuse(503, "storage_unavailable", u"votedesk is not running"_s);
    checkDeadline();
    if (m_finalizing)
        return refuse(409, "finalizing", u"a finalization is already running"_s);
    switch (m_window.state()) {
    case WindowState::Draft:
    case WindowState::Ready:
        return refuse(409, "window_not_open",
                      u"the lines have not opened yet: there is nothing to certify"_s);
    case WindowState::Open:
        return refuse(409, "window_open", u"close the lines before finalizing"_s);
    case WindowState::Closing:
        return refuse(409, "draining",
                      u"the votes received before the close are still being stored; finalize once closed"_s);
    case WindowState::Final:
        return refuse(409, "already_final", u"the results are already final (certified)"_s);
    case WindowState::Closed:
        break;
    }

    // Everything of the engine's the report needs, taken now; the tally comes from the recount.
    m_finalizing = true;
    const qint64 now = m_clock.nowMs();
    auto inputs = std::make_shared<FinalizationInputs>();
    PublishedResults &results = inputs->results;
    results.session = m_session;
    results.window = m_window.record();
    results.window.state = WindowState::Final;
    results.publishVersion = m_publishVersion + 1;
    results.publishedAtMs = now;
    results.final = true;
    results.rehearsal = m_session.rehearsal;
    inputs->metrics = m_sampler.samples();
    inputs->rejectedByReason = m_rejects->byCode();
    inputs->rejected = m_rejects->total();
    inputs->late = m_rejects->count(RejectReason::WindowClosed);
    inputs->openedAtMs = results.window.openedAtMs;
    inputs->closesAtMs = results.window.closesAtMs;
    inputs->closedAtMs = results.window.closedAtMs;
    inputs->finalizedAtMs = now;
    inputs->databasePath = m_options.databasePath;

    SessionRecord finalRecord = currentRecord();
    finalRecord.window.state = WindowState::Final;
    // Closed and drained: the live tally no longer changes, so what the line names is what the
    // recount must match (the writer refuses otherwise).
    const TallySnapshotPtr live = tally();
    const QString liveSummary =
        u"exact %1; %2 votes from %3 voters, %4 late; results frozen as version %5"_s.arg(
            describeCounts(live->exact, m_session), QString::number(live->accepted),
            QString::number(live->uniqueVoters), QString::number(inputs->late),
            QString::number(results.publishVersion));
    const EventRow event{0,
                         m_session.id,
                         now,
                         u"finalized"_s,
                         u"certified: the recount from the store matches the live tally; "_s + liveSummary,
                         actor};
    const qint64 tallyVersion = qint64(live->version);

    // Runs on the writer thread once the recount matched (see JournalWriter::certify). It alone
    // touches *inputs until `done` hands them back to this thread through a queued call.
    JournalWriter::CertifyHook hook = [inputs, event, liveSummary, tallyVersion, writer = m_finalWriter](
                                          const TallyCounts &recount, const QList<EventRow> &audit,
                                          const VoteLogReader &log, PublishedRecord *picture,
                                          EventRow *finalEvent, QString *error) {
        TallySnapshot &certified = inputs->results.tally;
        certified.sessionId = inputs->results.session.id;
        certified.version = quint64(tallyVersion);
        certified.takenAtMs = inputs->finalizedAtMs;
        certified.raw = recount.raw;
        certified.exact = recount.exact;
        certified.accepted = recount.accepted;
        certified.uniqueVoters = recount.uniqueVoters;
        qsizetype excluded = 0;
        inputs->accepted = recount.accepted;
        inputs->uniqueVoters = recount.uniqueVoters;
        for (const EventRow &row : audit) {
            inputs->audit.append(auditEntryFrom(row));
            if (row.kind == u"lines_extended")
                inputs->extendedAtMs.append(row.atMs);
            excluded += row.kind == QLatin1StringView(CountExclusion::kEventKind) ? 1 : 0;
        }
        // The line names the live tally's counts; with exclusions the certified ones differ, and
        // the report, the stored line and the console must lead with what was certified.
        EventRow shown = event;
        if (excluded > 0) {
            shown.detail =
                u"certified with %1 exclusions applied (count_excluded): exact %2; without them "
                u"the recount from the store matches the live tally, "_s.arg(
                    QString::number(excluded), describeCounts(recount.exact, inputs->results.session)) +
                liveSummary;
            finalEvent->detail = shown.detail;
        }
        inputs->audit.append(auditEntryFrom(shown));
        *picture = toPublishedRecord(inputs->results);
        if (!writer)
            return true;
        FinalFiles written;
        if (!writer(*inputs, log, &written, error))
            return false;
        // The stored audit line names what was written (the report, rendered before, cannot).
        if (!written.isEmpty())
            finalEvent->detail += u"; final files: "_s + written.describe();
        inputs->written = std::move(written);
        return true;
    };
    m_writerQueue.push(m_writer->certify(
        finalRecord, event, std::move(hook),
        [this, inputs, actor, ticket](const JournalWriter::CertifyOutcome &outcome) {
            QMetaObject::invokeMethod(
                this, [this, outcome, inputs, actor, ticket] { onCertified(outcome, inputs, actor, ticket); },
                Qt::QueuedConnection);
        }));
    return true;
}

void Engine::onCertified(const JournalWriter::CertifyOutcome &outcome,
                         std::shared_ptr<FinalizationInputs> inputs, const QString &actor,
                         std::optional<Http::ReplyTicket> ticket)
{
    m_finalizing = false;
    if (!m_running)
        return;
    using Result = JournalWriter::CertifyOutcome::Result;
    if (outcome.result == Result::Certified) {
        QString error;
        if (!m_window.finalize(&error))
            qCWarning(lcEngine).noquote() << "certified, but" << error;
        m_queue.setAdmission(admission());
        publishGate();
        putOnAir(std::make_shared<const PublishedResults>(inputs->results));
        qCInfo(lcEngine) << "session" << m_session.id << "is final";
        if (!inputs->audit.isEmpty())
            noteEvent(EventRow{0, m_session.id, inputs->audit.constLast().atMs,
                               inputs->audit.constLast().kind, inputs->audit.constLast().detail,
                               inputs->audit.constLast().actor});
        Q_EMIT windowChanged();
        Q_EMIT finalized(*inputs);
        if (ticket) {
            QJsonObject body = publishedJson(inputs->results);
            if (!inputs->written.isEmpty())
                body.insert(u"final_files"_s, inputs->written.toJson());
            reply(*ticket, 200, QJsonDocument(body).toJson(QJsonDocument::Compact));
        }
        return;
    }

    int status = 409;
    QByteArray code;
    QString message;
    QJsonObject body;
    switch (outcome.result) {
    case Result::Mismatch:
        code = "recount_mismatch";
        message = u"the recount from the store does not match the live tally: "_s %
                  describeDifferences(outcome.differences, m_session);
        if (!outcome.error.isEmpty())
            message += (outcome.differences.isEmpty() ? QString() : u"; "_s) + outcome.error;
        body.insert(u"differences"_s, differencesJson(outcome.differences, m_session));
        break;
    case Result::Refused:
        status = 500;
        code = "final_export_failed";
        message = u"the final files could not be written: "_s + outcome.error;
        break;
    case Result::WrongSession:
        code = "session_changed";
        message = outcome.error;
        break;
    case Result::StorageFailed:
    case Result::Certified:
        status = 503;
        code = "storage_unavailable";
        message = outcome.error;
        break;
    }
    qCWarning(lcEngine).noquote() << "finalization refused:" << message;
    const EventRow refusedEvent{0, m_session.id, m_clock.nowMs(), u"finalize_refused"_s, message, actor};
    noteEvent(refusedEvent);
    m_writerQueue.push(m_writer->appendEvent(refusedEvent));
    Q_EMIT finalizeFailed(message);
    if (ticket) {
        body.insert(u"error"_s, QString::fromLatin1(code));
        body.insert(u"message"_s, message);
        reply(*ticket, status, QJsonDocument(body).toJson(QJsonDocument::Compact));
    }
}

bool Engine::replayPolicy(const QString &policy, int optionCap, QString *error)
{
    CountingRule rule;
    if (!CountingRule::parsePolicy(policy, &rule, error))
        return false;
    rule.optionCap = optionCap;
    return replayPolicy(
        rule, Actor::console(), [this](const PolicyReplay &replay) { Q_EMIT policyReplayReady(replay); },
        error);
}

bool Engine::replayPolicy(const CountingRule &rule, const QString &actor, ReplayDone done, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    const QString problem = rule.validate();
    if (!problem.isEmpty())
        return fail(error, problem);
    // Crossing: the replay runs on the writer thread (the store is there); its outcome comes
    // back through a queued call, where it is compared, audited and handed to `done`.
    m_writerQueue.push(m_writer->replayLog(rule, [this, rule, actor,
                                                  done](const JournalWriter::ReplayOutcome &outcome) {
        QMetaObject::invokeMethod(
            this,
            [this, rule, actor, done, outcome] {
                PolicyReplay replay;
                replay.sessionId = outcome.sessionId;
                replay.rule = rule;
                replay.liveRule = m_session.rule();
                replay.replayed = outcome.replayed;
                replay.live = outcome.live;
                replay.exclusions = outcome.exclusions;
                replay.excludedVotes = outcome.excludedVotes;
                replay.ok = outcome.ok && outcome.sessionId == m_session.id;
                replay.error = outcome.ok ? u"the session changed during the replay"_s : outcome.error;
                if (replay.ok) {
                    replay.error.clear();
                    replay.differences = compareTallies(outcome.live, outcome.replayed);
                    const qsizetype differing = std::count_if(
                        replay.differences.cbegin(), replay.differences.cend(),
                        [](const TallyDifference &d) { return d.field == TallyDifference::Field::Exact; });
                    const EventRow replayed{
                        0,
                        m_session.id,
                        m_clock.nowMs(),
                        u"policy_replayed"_s,
                        u"%1: exact %2, live (%3) %4; %5 options differ; %6 votes of %7 exclusions left "
                        u"out; nothing was changed"_s.arg(
                            rule.describe(), describeCounts(outcome.replayed.exact, m_session),
                            m_session.rule().describe(), describeCounts(outcome.live.exact, m_session),
                            QString::number(differing), QString::number(outcome.excludedVotes),
                            QString::number(outcome.exclusions.size())),
                        actor};
                    noteEvent(replayed);
                    m_writerQueue.push(m_writer->appendEvent(replayed));
                }
                done(replay);
            },
            Qt::QueuedConnection);
    }));
    return true;
}

void Engine::adminReplay(const CountingRule &rule, const QString &actor, const Http::ReplyTicket &ticket)
{
    if (!m_running)
        return;
    QString error;
    const bool started = replayPolicy(
        rule, actor,
        [this, ticket](const PolicyReplay &replay) {
            if (!replay.ok) {
                reply(ticket, 503, errorJson("storage_unavailable", replay.error));
                return;
            }
            reply(ticket, 200, policyReplayJson(replay, m_session));
        },
        &error);
    if (!started)
        reply(ticket, 400, errorJson("bad_request", error));
}

void Engine::auditLog(AuditDone done)
{
    if (!m_running) {
        done(false, {}, u"votedesk is not running"_s);
        return;
    }
    m_writerQueue.push(m_writer->loadAudit(
        m_session.id, [this, done](bool ok, const QList<EventRow> &events, const QString &error) {
            QList<AuditEntry> entries;
            entries.reserve(events.size());
            for (const EventRow &event : events)
                entries.append(auditEntryFrom(event));
            // Crossing: back to the engine's thread.
            QMetaObject::invokeMethod(
                this, [done, ok, entries, error] { done(ok, entries, error); }, Qt::QueuedConnection);
        }));
}

bool Engine::excludeFromCount(CountExclusion::Kind kind, const QString &value, const QString &reason,
                              QString *error)
{
    return excludeFromCount(CountExclusion{kind, value, reason, Actor::console(), 0}, error);
}

bool Engine::excludeFromCount(CountExclusion exclusion, QString *error)
{
    if (!m_running)
        return fail(error, u"votedesk is not running"_s);
    // Once certified the count is frozen; while certifying, an exclusion could miss the recount.
    if (m_finalizing || m_window.state() == WindowState::Final)
        return fail(error, u"the results are final (or being certified): nothing can be excluded now"_s);
    exclusion.reason = exclusion.reason.simplified();
    if (exclusion.reason.isEmpty())
        return fail(error,
                    u"write down why it is excluded: the reason goes to the audit log and the report"_s);
    if (exclusion.reason.size() > 500)
        return fail(error, u"keep the reason under 500 characters"_s);
    switch (exclusion.kind) {
    case CountExclusion::Kind::Voter:
        if (!VoteValidator::isValidVoter(exclusion.value.toLatin1()) ||
            exclusion.value.toLatin1() != exclusion.value.toUtf8())
            return fail(error, u"not a voter id: 1-64 characters of A-Z a-z 0-9 . _ : @ + -"_s);
        break;
    case CountExclusion::Kind::AddressRange: {
        // Stored in canonical form (host bits cleared) so the recount parses back the same range.
        // Votes stored before schema 4 have no address and are never in a range.
        const std::optional<IpRange> range = IpRange::parse(exclusion.value);
        if (!range)
            return fail(error, u"not an address range: 203.0.113.0/24, 2001:db8::/32 or one address"_s);
        exclusion.value = range->toString();
        break;
    }
    default:
        return fail(error, u"exclude a voter or an address range"_s);
    }
    for (const CountExclusion &existing : std::as_const(m_exclusions)) {
        if (existing.kind == exclusion.kind && existing.value == exclusion.value)
            return fail(error, u"%1 is already excluded"_s.arg(exclusion.value));
    }
    exclusion.atMs = m_clock.nowMs();
    const EventRow event{0,
                         m_session.id,
                         exclusion.atMs,
                         QString::fromLatin1(CountExclusion::kEventKind),
                         exclusion.eventDetail(),
                         exclusion.actor};
    noteEvent(event);
    // Crossing: into the writer's queue. A policy replay or a certification pushed after this
    // reads it back from the store (CountExclusion::fromEvent), so queue order is all it needs.
    m_writerQueue.push(m_writer->appendEvent(event));
    m_exclusions.append(exclusion);
    qCInfo(lcEngine) << "session" << m_session.id << exclusion.eventDetail() << "by" << exclusion.actor;
    Q_EMIT exclusionsChanged();
    return true;
}

void Engine::reloadExclusions()
{
    const qint64 sessionId = m_session.id;
    m_writerQueue.push(m_writer->loadAudit(
        sessionId, [this, sessionId](bool ok, const QList<EventRow> &events, const QString &) {
            CountExclusions loaded;
            for (const EventRow &event : events) {
                if (auto exclusion =
                        CountExclusion::fromEvent(event.kind, event.detail, event.actor, event.atMs))
                    loaded.append(*exclusion);
            }
            // Crossing: back to the engine's thread, which owns m_exclusions.
            QMetaObject::invokeMethod(
                this,
                [this, ok, sessionId, loaded] {
                    if (!ok || sessionId != m_session.id)
                        return;
                    // One made meanwhile was queued after this read: keep it too.
                    CountExclusions merged = loaded;
                    for (const CountExclusion &mine : std::as_const(m_exclusions)) {
                        const bool stored =
                            std::any_of(loaded.cbegin(), loaded.cend(), [&](const CountExclusion &e) {
                                return e.kind == mine.kind && e.value == mine.value;
                            });
                        if (!stored)
                            merged.append(mine);
                    }
                    m_exclusions = merged;
                    Q_EMIT exclusionsChanged();
                },
                Qt::QueuedConnection);
        }));
}

void Engine::requestAuditLog()
{
    auditLog(
        [this](bool, const QList<AuditEntry> &entries, const QString &) { Q_EMIT auditLogReady(entries); });
}

// The console's event log: what the crew and the pipeline did, and the alerts. Engine thread
// only (the console polls it through eventsSince on the same thread).

void Engine::noteEvent(const EventRow &event)
{
    m_events.append(ConsoleEvent{m_nextEventSeq++, event.atMs, eventSeverity(event.kind), event.kind,
                                 event.detail, event.actor});
    // A bounded memory of this run; the store keeps them all.
    if (m_events.size() > MaxEventsKept)
        m_events.remove(0, m_events.size() - MaxEventsKept);
}

void Engine::raiseAlert(const QString &kind, const QString &detail)
{
    const EventRow event{0, m_session.id, m_clock.nowMs(), kind, detail, Actor::system()};
    noteEvent(event);
    qCWarning(lcEngine).noquote() << kind << detail;
    // Append-only, in queue order with the votes and the session's other lines.
    if (m_writer)
        m_writerQueue.push(m_writer->appendEvent(event));
}

void Engine::checkAlerts()
{
    if (!m_running)
        return;
    const qint64 refused = m_rejects->count(RejectReason::Overloaded) +
                           m_rejects->count(RejectReason::StorageUnavailable) +
                           m_server->counters().connectionsRefused.load(std::memory_order_relaxed);
    const AlertMonitor::Tick tick{m_clock.nowMs(), m_clock.monotonicMs(), m_queue.depth(),
                                  qint64(m_options.queueCapacity), refused};
    for (const AlertMonitor::Alert &alert : m_alertMonitor.tick(tick))
        raiseAlert(alert.kind, alert.detail);
}

QList<ConsoleEvent> Engine::eventsSince(qint64 seq) const
{
    // Sequence numbers are consecutive: the first newer one is at a computable place.
    if (m_events.isEmpty() || m_events.constLast().seq <= seq)
        return {};
    const qint64 first = m_events.constFirst().seq;
    const qsizetype from = seq < first ? 0 : qsizetype(seq - first + 1);
    return m_events.mid(from);
}

QString Engine::audienceUrl() const
{
    if (!m_options.serveAudiencePage)
        return {};
    QString url = ingestUrl();
    url.chop(int(qstrlen("/v1/votes")));
    return url + u"/vote"_s;
}
