// Sessions over the engine: the list with state and votes, a draft made current, a past one
// opened read-only, drafts deleted (and nothing else), the last session reopened on start,
// GET /v1/admin/sessions, and rehearsal mode with its simulated traffic through the real
// ingest path.
#include <memory>

#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"
#include "httpclient.h"
#include "loopbackrehearsal.h"
#include "store/sqlitestore.h"

using namespace Qt::Literals::StringLiterals;

namespace {
SessionDefinition definition(const QString &title, bool rehearsal = false)
{
    SessionDefinition def;
    def.title = title;
    def.question = u"Who goes through?"_s;
    def.options = {{u"A"_s, u"Anna"_s, u"#e6194b"_s}, {u"B"_s, u"Ben"_s, u"#3cb44b"_s}};
    def.windowMs = 600'000;
    def.rehearsal = rehearsal;
    return def;
}

const SessionSummary *find(const QList<SessionSummary> &sessions, qint64 id)
{
    for (const SessionSummary &summary : sessions) {
        if (summary.record.definition.id == id)
            return &summary;
    }
    return nullptr;
}
} // namespace

class TestSessions final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(bool withRehearsal = false)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.workersMax = 2;
        auto engine = std::make_unique<Engine>(options);
        if (withRehearsal)
            engine->setRehearsalTraffic(std::make_unique<LoopbackRehearsal>());
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    static QList<SessionSummary> list(Engine &engine)
    {
        QSignalSpy listed(&engine, &ConsoleBackend::sessionsListed);
        engine.requestSessions();
        if (!listed.wait(10'000))
            return {};
        return listed.first().first().value<QList<SessionSummary>>();
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void listsEverySessionWithItsState()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        const qint64 demoId = engine->session().id;
        QString error;
        QVERIFY2(engine->createSession(definition(u"Semi-final"_s), &error), qPrintable(error));
        const qint64 semiId = engine->session().id;
        QVERIFY(semiId > demoId);

        const QList<SessionSummary> sessions = list(*engine);
        QCOMPARE(sessions.size(), 2);
        const SessionSummary *demo = find(sessions, demoId);
        const SessionSummary *semi = find(sessions, semiId);
        QVERIFY(demo && semi);
        QVERIFY(!demo->current);
        QVERIFY(demo->isDraft());
        QVERIFY(semi->current);
        QCOMPARE(semi->record.definition.title, u"Semi-final"_s);
        QCOMPARE(semi->record.window.state, WindowState::Ready);
    }

    void aDraftBecomesCurrentAndTheLastSessionReopensOnStart()
    {
        qint64 demoId = 0;
        {
            auto engine = startEngine();
            QVERIFY(engine);
            demoId = engine->session().id;
            QString error;
            QVERIFY(engine->createSession(definition(u"Final"_s), &error));
            QSignalSpy changed(engine.get(), &ConsoleBackend::sessionChanged);
            QVERIFY2(engine->openSession(demoId, &error), qPrintable(error));
            QVERIFY(changed.wait(10'000));
            QCOMPARE(engine->session().id, demoId);
            QCOMPARE(engine->windowStatus().state, WindowState::Ready);
        }
        qint64 thirdId = 0;
        {
            // The session current when votedesk stopped is the one it starts with.
            auto engine = startEngine();
            QVERIFY(engine);
            QCOMPARE(engine->session().id, demoId);
            QString error;
            QVERIFY(engine->createSession(definition(u"Third"_s), &error));
            thirdId = engine->session().id;
        }
        auto engine = startEngine();
        QVERIFY(engine);
        QCOMPARE(engine->session().id, thirdId);
        QCOMPARE(engine->session().title, u"Third"_s);
        QCOMPARE(list(*engine).size(), 3); // nothing created on start when a session exists
    }

    void aPastSessionOpensReadOnlyAndOnlyDraftsAreDeleted()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QString error;
        QVERIFY(engine->createSession(definition(u"Round one"_s), &error));
        const qint64 roundOne = engine->session().id;
        HttpClient http(engine->port());
        QCOMPARE(http.admin(u"open"_s).status, 200);
        QCOMPARE(http.vote(u"v1"_s, u"A"_s).status, 202);
        QCOMPARE(http.vote(u"v2"_s, u"A"_s).status, 202);
        QCOMPARE(http.vote(u"v3"_s, u"B"_s).status, 202);
        QCOMPARE(http.admin(u"close"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(engine->windowStatus().state, WindowState::Closed, 10'000);

        QVERIFY(engine->createSession(definition(u"Round two"_s), &error));
        const qint64 roundTwo = engine->session().id;

        // The past session is looked at, not resumed.
        QSignalSpy viewed(engine.get(), &ConsoleBackend::sessionViewReady);
        QVERIFY(engine->openSession(roundOne, &error));
        QVERIFY(viewed.wait(10'000));
        const SessionView view = viewed.first().first().value<SessionView>();
        QVERIFY2(view.ok, qPrintable(view.error));
        QCOMPARE(view.summary.record.definition.id, roundOne);
        QCOMPARE(view.summary.record.window.state, WindowState::Closed);
        QVERIFY(view.summary.hasVotes);
        QVERIFY(!view.summary.isDraft());
        QCOMPARE(view.tally.accepted, 3);
        QCOMPARE(view.tally.exact, (std::vector<qint64>{2, 1}));
        bool opened = false;
        for (const AuditEntry &entry : view.audit)
            opened = opened || entry.kind == u"lines_opened";
        QVERIFY(opened);
        QCOMPARE(engine->session().id, roundTwo);
        QCOMPARE(engine->windowStatus().state, WindowState::Ready);

        // A session with votes is kept; the current one is not deleted from under the show.
        QSignalSpy failed(engine.get(), &ConsoleBackend::sessionActionFailed);
        QVERIFY(engine->deleteDraft(roundOne, &error));
        QVERIFY(failed.wait(10'000));
        QVERIFY2(failed.first().first().toString().contains(u"has votes"_s),
                 qPrintable(failed.first().first().toString()));
        QVERIFY(!engine->deleteDraft(roundTwo, &error));
        QVERIFY2(error.contains(u"current session"_s), qPrintable(error));

        // Round two becomes a draft once another session is current: that one goes.
        QVERIFY(engine->createSession(definition(u"Round three"_s), &error));
        QSignalSpy deleted(engine.get(), &ConsoleBackend::sessionDeleted);
        QVERIFY(engine->deleteDraft(roundTwo, &error));
        QVERIFY(deleted.wait(10'000));
        QCOMPARE(deleted.first().first().toLongLong(), roundTwo);
        const QList<SessionSummary> sessions = list(*engine);
        QVERIFY(!find(sessions, roundTwo));
        QVERIFY(find(sessions, roundOne));

        // Its id is never handed out again, not even after a restart.
        const qint64 roundThree = engine->session().id;
        engine.reset();
        engine = startEngine();
        QVERIFY(engine);
        QCOMPARE(engine->session().id, roundThree);
        QVERIFY(engine->createSession(definition(u"Round four"_s), &error));
        QVERIFY(engine->session().id > roundThree);
    }

    void theAdminApiListsTheSessions()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QString error;
        QVERIFY(engine->createSession(definition(u"Dress run"_s, true), &error));
        HttpClient http(engine->port());
        const HttpClient::Response response = http.get(u"/v1/admin/sessions"_s);
        QCOMPARE(response.status, 200);
        const QJsonObject json = response.json();
        QCOMPARE(json.value(u"current"_s).toInteger(), engine->session().id);
        const QJsonArray sessions = json.value(u"sessions"_s).toArray();
        QCOMPARE(sessions.size(), 2);
        const QJsonObject last = sessions.last().toObject();
        QCOMPARE(last.value(u"title"_s).toString(), u"Dress run"_s);
        QCOMPARE(last.value(u"rehearsal"_s).toBool(), true);
        QCOMPARE(last.value(u"state"_s).toString(), u"ready"_s);
        QCOMPARE(last.value(u"current"_s).toBool(), true);
        QCOMPARE(sessions.first().toObject().value(u"draft"_s).toBool(), true);
    }

    void theAdminApiMakesADraftCurrentAndNothingElse()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        const qint64 demo = engine->session().id;
        QString error;
        QVERIFY(engine->createSession(definition(u"Round one"_s), &error));
        const qint64 roundOne = engine->session().id;
        HttpClient http(engine->port());
        QCOMPARE(http.admin(u"open"_s).status, 200);

        // Not while the lines are open; never a past vote; 404 for nothing; 400 for nonsense.
        HttpClient::Response response =
            http.postJson(u"/v1/admin/sessions/open"_s, QJsonObject{{u"id"_s, demo}});
        QCOMPARE(response.status, 409);
        QCOMPARE(response.json().value(u"error"_s).toString(), u"window_open"_s);
        QCOMPARE(http.admin(u"close"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(engine->windowStatus().state, WindowState::Closed, 10'000);
        QCOMPARE(http.postJson(u"/v1/admin/sessions/open"_s, QJsonObject{{u"id"_s, 99}}).status, 404);
        QCOMPARE(http.postJson(u"/v1/admin/sessions/open"_s, QJsonObject{{u"id"_s, u"2"_s}}).status, 400);
        QCOMPARE(http.postJson(u"/v1/admin/sessions/open"_s, QJsonObject{{u"id"_s, 1.5}}).status, 400);

        response = http.postJson(u"/v1/admin/sessions/open"_s, QJsonObject{{u"id"_s, demo}});
        QCOMPARE(response.status, 200);
        QCOMPARE(response.json().value(u"id"_s).toInteger(), demo);
        QCOMPARE(response.json().value(u"state"_s).toString(), u"ready"_s);
        QCOMPARE(engine->session().id, demo);

        response = http.postJson(u"/v1/admin/sessions/open"_s, QJsonObject{{u"id"_s, roundOne}});
        QCOMPARE(response.status, 409);
        QCOMPARE(response.json().value(u"error"_s).toString(), u"not_a_draft"_s);
        QCOMPARE(engine->session().id, demo);
    }

    void theRehearsalFlagRoundTripsThroughTheStore()
    {
        SessionDefinition def = definition(u"Dress run"_s, true);
        def.id = 7;
        def.exportFolder = u"/srv/graphics/dress"_s;
        SqliteStore store(m_dir->filePath(u"store.db"_s), Durability::Normal);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QVERIFY2(store.saveSession(SessionRecord{def, WindowRecord{}, 1}, &error), qPrintable(error));
        const std::optional<SessionRecord> back = store.loadSession(7, &error);
        QVERIFY2(back, qPrintable(error));
        QVERIFY(back->definition.rehearsal);
        QCOMPARE(back->definition.exportFolder, u"/srv/graphics/dress"_s);
        def.rehearsal = false;
        def.id = 8;
        QVERIFY(store.saveSession(SessionRecord{def, WindowRecord{}, 1}, &error));
        QVERIFY(!store.loadSession(8, &error)->definition.rehearsal);
    }

    void aLiveSessionRefusesSimulatedTraffic()
    {
        auto engine = startEngine(true);
        QVERIFY(engine);
        QString error;
        QVERIFY(engine->createSession(definition(u"Live final"_s), &error));
        QVERIFY(!engine->startRehearsal(RehearsalPlan(), &error));
        QVERIFY2(error.contains(u"live session"_s), qPrintable(error));
        QVERIFY(!engine->rehearsalStatus().running);
    }

    void rehearsalTrafficReachesTheTallyAndIsMarked()
    {
        auto engine = startEngine(true);
        QVERIFY(engine);
        QString error;
        QVERIFY(engine->createSession(definition(u"Dress run"_s, true), &error));
        QVERIFY(engine->session().rehearsal);
        QVERIFY(engine->openLines(&error));

        RehearsalPlan plan;
        plan.shape = RehearsalShape::Steady;
        plan.ratePerSecond = 400;
        plan.durationSeconds = 60;
        QVERIFY(!engine->startRehearsal(RehearsalPlan{RehearsalShape::Steady, 0, 60}, &error));
        QVERIFY2(error.contains(u"rate"_s), qPrintable(error));
        QSignalSpy changed(engine.get(), &ConsoleBackend::rehearsalChanged);
        QVERIFY2(engine->startRehearsal(plan, &error), qPrintable(error));
        QVERIFY(engine->rehearsalStatus().running);
        QVERIFY(!engine->startRehearsal(plan, &error)); // one run at a time

        // Through HTTP, the queue, the workers and the commit into the tally.
        QTRY_VERIFY_WITH_TIMEOUT(engine->tally()->accepted >= 200, 20'000);
        QTRY_VERIFY_WITH_TIMEOUT(engine->rehearsalStatus().accepted > 0, 10'000);
        QTRY_VERIFY_WITH_TIMEOUT(engine->counters().rejected > 0, 20'000); // its malformed trickle

        // Closing the lines with traffic still coming: the late votes are refused, not counted.
        QVERIFY(engine->closeLines(&error));
        QTRY_COMPARE_WITH_TIMEOUT(engine->windowStatus().state, WindowState::Closed, 10'000);
        const qint64 counted = engine->tally()->accepted;
        engine->stopRehearsal();
        QTRY_VERIFY_WITH_TIMEOUT(!engine->rehearsalStatus().running, 20'000);
        QVERIFY(changed.count() >= 1);
        const RehearsalStatus status = engine->rehearsalStatus();
        QVERIFY(status.sent >= status.accepted);
        QCOMPARE(engine->tally()->accepted, counted);

        // Everything published says REHEARSAL.
        QVERIFY2(engine->publishResults(&error), qPrintable(error));
        QVERIFY(engine->published());
        QVERIFY(engine->published()->rehearsal);
        HttpClient http(engine->port());
        QCOMPARE(http.get(u"/v1/results"_s).json().value(u"rehearsal"_s).toBool(), true);

        // A restart keeps the flag with the session.
        engine.reset();
        engine = startEngine(true);
        QVERIFY(engine);
        QVERIFY(engine->session().rehearsal);
        QCOMPARE(engine->tally()->accepted, counted);
    }

    // A session that takes only signed votes: the rehearsal signs its voter ids with the
    // session's secret as the show's app would, so its votes pass the real token check and are
    // stored; not one is refused 401 (its only refusals are the malformed trickle).
    void rehearsalOfAVoterTokenSessionIsSigned()
    {
        auto engine = startEngine(true);
        QVERIFY(engine);
        SessionDefinition def = definition(u"Signed dress run"_s, true);
        def.voterToken = VoterTokenMode::Hmac;
        QString error;
        QVERIFY2(engine->createSession(def, &error), qPrintable(error));
        QVERIFY(!engine->session().voterTokenSecret.isEmpty());
        QVERIFY(engine->openLines(&error));
        HttpClient http(engine->port());
        // The session really refuses what is not signed.
        QCOMPARE(http.vote(u"outsider"_s, u"A"_s).status, 401);

        QVERIFY2(engine->startRehearsal(RehearsalPlan{RehearsalShape::Steady, 400, 60}, &error),
                 qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(engine->tally()->accepted >= 200, 20'000);
        QTRY_VERIFY_WITH_TIMEOUT(engine->counters().rejected > 1, 20'000); // the malformed trickle
        engine->stopRehearsal();
        QTRY_VERIFY_WITH_TIMEOUT(!engine->rehearsalStatus().running, 20'000);

        const RehearsalStatus status = engine->rehearsalStatus();
        QVERIFY(status.accepted >= 200);
        QCOMPARE(status.failed, 0);
        // Stored, and the tally holds exactly what was acknowledged.
        QTRY_COMPARE_WITH_TIMEOUT(engine->tally()->accepted, status.accepted, 10'000);
        const QJsonObject rejected = http.adminResults().value(u"rejected_by_reason"_s).toObject();
        // One 401: the outsider's. Every refusal of the rehearsal had the fault it was made with.
        QCOMPARE(rejected.value(u"invalid_token"_s).toInteger(), 1);
        QCOMPARE(status.refused, engine->counters().rejected - 1);
    }

    void theAdminApiStartsAndStopsTheTraffic()
    {
        auto engine = startEngine(true);
        QVERIFY(engine);
        HttpClient http(engine->port());
        const QString path = u"/v1/admin/rehearsal"_s;
        HttpClient::Response response = http.postJson(path, QJsonObject{{u"action"_s, u"start"_s}});
        QCOMPARE(response.status, 409); // the demo session is live
        QCOMPARE(response.json().value(u"error"_s).toString(), u"not_a_rehearsal"_s);

        QString error;
        QVERIFY(engine->createSession(definition(u"Dress run"_s, true), &error));
        QCOMPARE(http.postJson(path, QJsonObject{{u"action"_s, u"go"_s}}).status, 400);
        QCOMPARE(http.postJson(path, QJsonObject{{u"action"_s, u"start"_s}, {u"shape"_s, u"wave"_s}}).status,
                 400);
        QCOMPARE(http.postJson(path, QJsonObject{{u"action"_s, u"start"_s}, {u"rate"_s, 99999}}).status, 400);
        QCOMPARE(http.postJson(path, QJsonObject{{u"action"_s, u"start"_s}, {u"rate"_s, 2.5}}).status, 400);
        response = http.postJson(
            path, QJsonObject{{u"action"_s, u"start"_s}, {u"rate"_s, 5000}, {u"duration_seconds"_s, 3600}});
        QCOMPARE(response.status, 400);
        QVERIFY(response.json().value(u"message"_s).toString().contains(u"at most 3000000 votes"_s));
        QVERIFY(!engine->rehearsalStatus().running);

        response = http.postJson(path, QJsonObject{{u"action"_s, u"start"_s},
                                                   {u"shape"_s, u"ramp"_s},
                                                   {u"rate"_s, 300},
                                                   {u"duration_seconds"_s, 120}});
        QCOMPARE(response.status, 200);
        QCOMPARE(response.json().value(u"running"_s).toBool(), true);
        QCOMPARE(response.json().value(u"shape"_s).toString(), u"ramp"_s);
        QCOMPARE(response.json().value(u"rate"_s).toInt(), 300);
        QVERIFY(engine->rehearsalStatus().running);
        QCOMPARE(http.postJson(path, QJsonObject{{u"action"_s, u"start"_s}}).status, 409);
        QTRY_VERIFY_WITH_TIMEOUT(engine->rehearsalStatus().sent > 0, 20'000);

        QCOMPARE(http.postJson(path, QJsonObject{{u"action"_s, u"stop"_s}}).status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(!engine->rehearsalStatus().running, 20'000);
    }

    void switchingSessionsStopsTheTraffic()
    {
        auto engine = startEngine(true);
        QVERIFY(engine);
        QString error;
        QVERIFY(engine->createSession(definition(u"Dress run"_s, true), &error));
        QVERIFY2(engine->startRehearsal(RehearsalPlan{RehearsalShape::Spike, 200, 600}, &error),
                 qPrintable(error));
        QVERIFY(engine->rehearsalStatus().running);
        // The lines never opened: the simulated votes are refused (window_not_open), and the
        // session can still be switched, which ends the traffic.
        QTRY_VERIFY_WITH_TIMEOUT(engine->rehearsalStatus().refused > 0, 20'000);
        QVERIFY(engine->createSession(definition(u"Live"_s), &error));
        QTRY_VERIFY_WITH_TIMEOUT(!engine->rehearsalStatus().running, 20'000);
        QCOMPARE(engine->tally()->accepted, 0);
    }
};

QTEST_GUILESS_MAIN(TestSessions)
#include "tst_sessions.moc"
