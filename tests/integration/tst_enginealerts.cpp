// The console's event log from a running engine: operator actions and alerts arrive in
// eventsSince() with time, actor and severity, and are in the store's events table (the audit
// log) so they outlive the run. A clock jump is made with ManualClock::stepWallMs; a port in
// use by starting a second engine on the first one's port.
#include <memory>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"

using namespace Qt::Literals::StringLiterals;

class TestEngineAlerts final : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;

    std::unique_ptr<Engine> startEngine(const Clock &clock, const QString &file = u"votedesk.db"_s,
                                        quint16 port = 0, QString *error = nullptr)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(file);
        options.port = port;
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

    static QStringList kinds(const QList<ConsoleEvent> &events)
    {
        QStringList out;
        for (const ConsoleEvent &event : events)
            out.append(event.kind);
        return out;
    }

private Q_SLOTS:
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
