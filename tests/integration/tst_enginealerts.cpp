// The console's event log from a running engine: operator actions and alerts arrive in
// eventsSince() with time, actor and severity, and are in the store's events table (the audit
// log) so they outlive the run. A clock jump is made with ManualClock::stepWallMs; a port in
// use by starting a second engine on the first one's port.
#include <memory>

#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"
#include "httpclient.h"
#include "store/faultinjection.h"

using namespace Qt::Literals::StringLiterals;

class TestEngineAlerts final : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;

    std::unique_ptr<Engine> startEngine(const Clock &clock, const QString &file = u"votedesk.db"_s,
                                        quint16 port = 0, QString *error = nullptr,
                                        qsizetype queueCapacity = 100'000)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(file);
        options.port = port;
        options.queueCapacity = queueCapacity;
        auto engine = std::make_unique<Engine>(options, clock);
        QString problem;
        if (!engine->start(&problem)) {
            if (error)
                *error = problem;
            return nullptr;
        }
        return engine;
    }

    static QList<AuditEntry> auditLog(Engine &engine)
    {
        QSignalSpy ready(&engine, &ConsoleBackend::auditLogReady);
        engine.requestAuditLog();
        if (!ready.wait(5000))
            return {};
        return ready.at(0).at(0).value<QList<AuditEntry>>();
    }

    // The newest line of a kind (the engine's own 1 s timer runs the same rules between a
    // test's steps, so the newest line overall may be another one).
    static ConsoleEvent lastOf(const Engine &engine, const QString &kind)
    {
        const QList<ConsoleEvent> events = engine.eventsSince(0);
        for (auto it = events.crbegin(); it != events.crend(); ++it)
            if (it->kind == kind)
                return *it;
        return {};
    }

    static QStringList kinds(const QList<ConsoleEvent> &events)
    {
        QStringList out;
        for (const ConsoleEvent &event : events)
            out.append(event.kind);
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // A pass-through VFS until a test switches a fault on (store/faultinjection.h).
        FaultInjection::installFaultyStorage();
    }

    void cleanup()
    {
        FaultInjection::setStorageFault(FaultInjection::StorageFault::None);
        FaultInjection::setWalWritesStalled(false);
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void operatorActionsAreLoggedWithWhoAndWhen()
    {
        ManualClock clock;
        auto engine = startEngine(clock);
        QVERIFY(engine);
        const qint64 before = engine->eventsSince(0).isEmpty() ? 0 : engine->eventsSince(0).constLast().seq;

        QVERIFY(engine->openLines(nullptr));
        clock.advanceMs(1000);
        QVERIFY(engine->extendLines(30, nullptr));
        clock.advanceMs(1000);
        QVERIFY(engine->closeLines(nullptr));

        const QList<ConsoleEvent> events = engine->eventsSince(before);
        QVERIFY2(kinds(events).mid(0, 3) ==
                     (QStringList{u"lines_opened"_s, u"lines_extended"_s, u"lines_closed"_s}),
                 qPrintable(kinds(events).join(u',')));
        QCOMPARE(events.at(0).actor, u"console"_s);
        QCOMPARE(events.at(0).severity, Severity::Info);
        QCOMPARE(events.at(1).atMs, events.at(0).atMs + 1000);
        QCOMPARE(events.at(2).atMs, events.at(0).atMs + 2000);
        // Consecutive: the poller asks for what is newer than the last it saw.
        QCOMPARE(events.at(1).seq, events.at(0).seq + 1);
        QCOMPARE(kinds(engine->eventsSince(events.at(1).seq)).value(0), u"lines_closed"_s);
        QVERIFY(engine->eventsSince(engine->eventsSince(0).constLast().seq).isEmpty());
    }

    void clockJumpIsRaisedAndStored()
    {
        ManualClock clock;
        qint64 sessionId = 0;
        {
            auto engine = startEngine(clock);
            QVERIFY(engine);
            sessionId = engine->session().id;
            engine->checkAlerts(); // primes the monitor
            clock.advanceMs(1000);
            engine->checkAlerts();
            QVERIFY(!kinds(engine->eventsSince(0)).contains(u"clock_jump"_s));

            clock.stepWallMs(-5000); // the wall clock alone goes back five seconds
            engine->checkAlerts();
            const QList<ConsoleEvent> events = engine->eventsSince(0);
            QCOMPARE(events.constLast().kind, u"clock_jump"_s);
            QCOMPARE(events.constLast().severity, Severity::Warning);
            QCOMPARE(events.constLast().actor, u"system"_s);
            QVERIFY2(events.constLast().detail.contains(u"-5.0 s"_s), qPrintable(events.constLast().detail));

            const QList<AuditEntry> audit = auditLog(*engine);
            QVERIFY(!audit.isEmpty());
            QCOMPARE(audit.constLast().kind, u"clock_jump"_s);
            engine->stop();
        }
        // Persisted with the session: a restart reads it back.
        auto engine = startEngine(clock);
        QVERIFY(engine);
        QCOMPARE(engine->session().id, sessionId);
        bool found = false;
        for (const AuditEntry &entry : auditLog(*engine))
            found = found || entry.kind == u"clock_jump"_s;
        QVERIFY(found);
    }

    void storageErrorAndRefusalsAreRaised()
    {
        ManualClock clock;
        auto engine = startEngine(clock);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"before"_s, u"A"_s).status, 202);
        engine->checkAlerts(); // the monitor's baseline: nothing refused yet

        FaultInjection::setStorageFault(FaultInjection::StorageFault::Full);
        for (const QString &voter : {u"during1"_s, u"during2"_s})
            QCOMPARE(client.vote(voter, u"B"_s).status, 503);
        QTRY_VERIFY(kinds(engine->eventsSince(0)).contains(u"storage_error"_s));
        const ConsoleEvent error = lastOf(*engine, u"storage_error"_s);
        QCOMPARE(error.kind, u"storage_error"_s);
        QCOMPARE(error.severity, Severity::Critical);

        clock.advanceMs(1000);
        engine->checkAlerts();
        const ConsoleEvent refused = lastOf(*engine, u"overloaded"_s);
        QCOMPARE(refused.kind, u"overloaded"_s);
        QCOMPARE(refused.severity, Severity::Warning);
        QVERIFY2(refused.detail.contains(u"requests refused with 503"_s), qPrintable(refused.detail));

        FaultInjection::setStorageFault(FaultInjection::StorageFault::None);
        QTRY_VERIFY_WITH_TIMEOUT(kinds(engine->eventsSince(0)).contains(u"storage_recovered"_s), 10'000);
        // What the store could take is in the session's log; the recovery names the error.
        QStringList stored;
        QString recovery;
        for (const AuditEntry &entry : auditLog(*engine)) {
            stored.append(entry.kind);
            if (entry.kind == u"storage_recovered"_s)
                recovery = entry.detail;
        }
        QVERIFY2(stored.contains(u"storage_recovered"_s), qPrintable(stored.join(u',')));
        QVERIFY2(recovery.contains(error.detail), qPrintable(recovery));
    }

    void queueAboveEightyPercentIsRaised()
    {
        ManualClock clock;
        auto engine = startEngine(clock, u"votedesk.db"_s, 0, nullptr, 1);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"warm"_s, u"A"_s).status, 202);
        engine->checkAlerts();

        // One vote held in the pipeline by a stalled commit: the queue (capacity 1) is full.
        FaultInjection::setWalWritesStalled(true);
        QNetworkAccessManager manager;
        manager.setProxy(QNetworkProxy::NoProxy);
        QNetworkRequest request(QUrl(u"http://127.0.0.1:%1/v1/votes"_s.arg(engine->port())));
        request.setRawHeader("Content-Type", "application/json");
        std::unique_ptr<QNetworkReply> held(
            manager.post(request, QByteArray("{\"voter\":\"held\",\"option\":\"B\"}")));
        QTRY_COMPARE(engine->counters().queueDepth, 1);
        clock.advanceMs(1000);
        engine->checkAlerts();
        QVERIFY2(lastOf(*engine, u"queue_high"_s).detail.contains(u"100 %"_s),
                 qPrintable(kinds(engine->eventsSince(0)).join(u',')));

        FaultInjection::setWalWritesStalled(false);
        QTRY_VERIFY(held->isFinished());
        QTRY_COMPARE(engine->counters().queueDepth, 0);
        clock.advanceMs(1000);
        engine->checkAlerts();
        QCOMPARE(lastOf(*engine, u"queue_normal"_s).kind, u"queue_normal"_s);
        QVERIFY(lastOf(*engine, u"queue_normal"_s).seq > lastOf(*engine, u"queue_high"_s).seq);
    }

    void portInUseIsNamedAndStored()
    {
        ManualClock clock;
        auto first = startEngine(clock);
        QVERIFY(first);
        QString error;
        auto second = startEngine(clock, u"second.db"_s, first->port(), &error);
        QVERIFY(!second);
        QVERIFY2(error.contains(u"port %1"_s.arg(first->port())), qPrintable(error));

        // The second database keeps the reason in its session's log.
        second = startEngine(clock, u"second.db"_s);
        QVERIFY(second);
        QList<AuditEntry> audit = auditLog(*second);
        bool found = false;
        for (const AuditEntry &entry : audit)
            found = found ||
                    (entry.kind == u"port_in_use"_s && entry.detail.contains(QString::number(first->port())));
        QVERIFY(found);
        QCOMPARE(eventSeverity(u"port_in_use"_s), Severity::Critical);
    }

    void audienceUrlFollowsTheSetting()
    {
        ManualClock clock;
        auto engine = startEngine(clock);
        QVERIFY(engine);
        QCOMPARE(engine->audienceUrl(), u"http://127.0.0.1:%1/vote"_s.arg(engine->port()));
        engine->stop();
        engine.reset();

        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.serveAudiencePage = false;
        Engine off(options, clock);
        QVERIFY(off.start(nullptr));
        QVERIFY(off.audienceUrl().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestEngineAlerts)
#include "tst_enginealerts.moc"
