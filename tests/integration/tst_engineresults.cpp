// The engine's results side over loopback: what the public results endpoints may show and
// when (visibility, publish, auto-publish), ETag/304, CORS and content types, finalization
// (certified by a recount from the store, refused when the store was tampered with), policy
// replay, and the operator audit log with who did what.
#include <memory>
#include <mutex>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"
#include "engine/publisheddocuments.h"
#include "httpclient.h"
#include "tally/tally.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Every public results document, for the checks that hold for all of them.
QStringList publicPaths()
{
    QStringList paths;
    for (const PublishedDocument &document : publishedDocuments())
        paths.append(QString::fromLatin1(document.path));
    return paths;
}

QJsonObject sessionJson(const QString &title, const QString &policy, const QString &visibility,
                        std::optional<bool> autoPublish = std::nullopt, int optionCap = 0)
{
    QJsonObject json{
        {u"title"_s, title},
        {u"question"_s, u"Who stays?"_s},
        {u"window_seconds"_s, 600},
        {u"policy"_s, policy},
        {u"option_cap"_s, optionCap},
        {u"visibility"_s, visibility},
        {u"options"_s, QJsonArray{QJsonObject{{u"key"_s, u"X"_s}, {u"label"_s, u"Xavier"_s}},
                                  QJsonObject{{u"key"_s, u"Y"_s}, {u"label"_s, u"Yasmin, \"Y\""_s}},
                                  QJsonObject{{u"key"_s, u"Z"_s}, {u"label"_s, u"Zoë"_s}}}}};
    if (autoPublish)
        json.insert(u"auto_publish"_s, *autoPublish);
    return json;
}
} // namespace

class TestEngineResults final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(const Clock &clock = SystemClock::instance())
    {
        Engine::Options options;
        options.databasePath = databasePath();
        options.port = 0;
        options.workersMax = 2;
        auto engine = std::make_unique<Engine>(options, clock);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    QString databasePath() const { return m_dir->filePath(u"votedesk.db"_s); }

    // A second connection on the live database (WAL lets it in next to the writer).
    bool tamper(const QString &sql)
    {
        bool ok = false;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"tamper"_s);
            db.setDatabaseName(databasePath());
            db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=10000"_s);
            if (db.open()) {
                QSqlQuery query(db);
                ok = query.exec(sql) && query.numRowsAffected() > 0;
                if (!ok)
                    qWarning() << sql << query.lastError().text();
            }
        }
        QSqlDatabase::removeDatabase(u"tamper"_s);
        return ok;
    }

    // The session's log recounted under `rule` by a reader of the file, not by the engine.
    Tally recountFromFile(const SessionDefinition &session, const CountingRule &rule)
    {
        Tally tally(session.id, int(session.options.size()), rule);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"recount"_s);
            db.setDatabaseName(databasePath());
            db.setConnectOptions(u"QSQLITE_OPEN_READONLY"_s);
            if (db.open()) {
                QSqlQuery query(db);
                query.prepare(u"SELECT voter, option FROM votes WHERE session_id = ? ORDER BY seq"_s);
                query.addBindValue(session.id);
                query.exec();
                while (query.next())
                    tally.apply(query.value(0).toString(), session.indexOf(query.value(1).toString()));
            }
        }
        QSqlDatabase::removeDatabase(u"recount"_s);
        return tally;
    }

    static qint64 exactOf(const QJsonObject &results, const QString &key)
    {
        return results.value(u"exact"_s).toObject().value(key).toInteger(-1);
    }

    void createSession(HttpClient &client, const QJsonObject &definition)
    {
        const auto created = client.postJson(u"/v1/admin/sessions"_s, definition);
        QCOMPARE(created.status, 201);
    }

    void closeAndDrain(Engine &engine, HttpClient &client)
    {
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE(engine.windowStatus().state, WindowState::Closed);
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    // on_publish (the default): not one public results document exists before the operator
    // publishes, whatever the state; afterwards they show the picture taken, not the tally.
    void nothingIsServedBeforePublish()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QCOMPARE(engine->session().visibility, ResultsVisibility::OnPublish);
        QVERIFY(!engine->autoPublish());
        QSignalSpy published(engine.get(), &ConsoleBackend::resultsPublished);
        HttpClient client(engine->port());
        QVERIFY(publicPaths().contains(u"/v1/results"_s));
        QVERIFY(publicPaths().contains(u"/v1/results.csv"_s));

        auto expectNotPublished = [&] {
            for (const QString &path : publicPaths()) {
                const auto response = client.get(path);
                QVERIFY2(response.status == 404, qPrintable(path));
                QCOMPARE(response.json().value(u"error"_s).toString(), u"not_published"_s);
                QVERIFY(!response.json().value(u"message"_s).toString().isEmpty());
                QCOMPARE(response.header("Access-Control-Allow-Origin"), QByteArray("*"));
                QVERIFY(response.header("ETag").isEmpty());
            }
        };
        expectNotPublished();
        QCOMPARE(client.get(u"/v1/session"_s).json().value(u"results_published"_s).toBool(), false);

        // Nothing to publish before the lines open.
        const auto early = client.admin(u"publish"_s);
        QCOMPARE(early.status, 409);
        QCOMPARE(early.json().value(u"error"_s).toString(), u"window_not_open"_s);
        QString error;
        QVERIFY(!engine->publishResults(&error));
        QVERIFY(error.contains(u"not opened"_s));

        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"u1"_s, u"B"_s).status, 202);
        QCOMPARE(client.vote(u"u2"_s, u"B"_s).status, 202);
        QCOMPARE(client.vote(u"u3"_s, u"A"_s).status, 202);
        engine->autoPublishTick(); // auto-publish is off: changes nothing
        expectNotPublished();
        QCOMPARE(published.count(), 0);
        QVERIFY(!engine->published());

        const auto first = client.admin(u"publish"_s);
        QCOMPARE(first.status, 200);
        QCOMPARE(first.json().value(u"version"_s).toInteger(), 1);
        QCOMPARE(first.json().value(u"final"_s).toBool(), false);
        QCOMPARE(first.json().value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 2);
        QCOMPARE(published.count(), 1);
        QVERIFY(engine->published());
        QCOMPARE(engine->published()->publishVersion, 1u);
        QCOMPARE(engine->publishVersion(), 1u);

        const QByteArray etag = '"' + QByteArray::number(engine->session().id) + "-1\"";
        const auto json = client.get(u"/v1/results"_s);
        QCOMPARE(json.status, 200);
        QCOMPARE(json.header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(json.header("ETag"), etag);
        QCOMPARE(json.header("Cache-Control"), QByteArray("max-age=1"));
        QCOMPARE(json.header("Access-Control-Allow-Origin"), QByteArray("*"));
        QCOMPARE(json.json().value(u"total"_s).toInteger(), 3);
        QCOMPARE(json.json().value(u"version"_s).toInteger(), 1);
        QCOMPARE(json.json().value(u"state"_s).toString(), u"open"_s);
        QCOMPARE(json.json().value(u"results"_s).toArray().first().toObject().value(u"key"_s).toString(),
                 u"B"_s);
        const auto csv = client.get(u"/v1/results.csv"_s);
        QCOMPARE(csv.status, 200);
        QCOMPARE(csv.header("Content-Type"), QByteArray("text/csv; charset=utf-8; header=present"));
        QCOMPARE(csv.header("ETag"), etag);
        QCOMPARE(csv.body, QByteArray("rank,key,label,votes,percent,total,status\r\n"
                                      "1,B,Act B,2,66.7,3,PROVISIONAL\r\n"
                                      "2,A,Act A,1,33.3,3,PROVISIONAL\r\n"
                                      "3,C,Act C,0,0.0,3,PROVISIONAL\r\n"
                                      "3,D,Act D,0,0.0,3,PROVISIONAL\r\n"));
        for (const QString &path : publicPaths()) {
            const auto unchanged = client.get(path, {{"If-None-Match", etag}});
            QVERIFY2(unchanged.status == 304, qPrintable(path));
            QCOMPARE(unchanged.header("ETag"), etag);
            QVERIFY(unchanged.body.isEmpty());
        }
        QCOMPARE(client.get(u"/v1/session"_s).json().value(u"results_published"_s).toBool(), true);

        // More votes: the graphics keep the picture taken until the next publish.
        QCOMPARE(client.vote(u"u4"_s, u"C"_s).status, 202);
        QCOMPARE(client.get(u"/v1/results.csv"_s).body, csv.body);
        QCOMPARE(client.get(u"/v1/results"_s, {{"If-None-Match", etag}}).status, 304);
        QVERIFY(engine->publishResults(&error));
        QCOMPARE(engine->publishVersion(), 2u);
        const auto second = client.get(u"/v1/results"_s, {{"If-None-Match", etag}});
        QCOMPARE(second.status, 200);
        QCOMPARE(second.header("ETag"), '"' + QByteArray::number(engine->session().id) + "-2\"");
        QCOMPARE(second.json().value(u"total"_s).toInteger(), 4);
        const QJsonObject admin = client.adminResults();
        QCOMPARE(admin.value(u"published"_s).toObject().value(u"version"_s).toInteger(), 2);
        QCOMPARE(admin.value(u"visibility"_s).toString(), u"on_publish"_s);

        // A new session starts with nothing on air.
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        createSession(client, sessionJson(u"Next"_s, u"last_wins"_s, u"on_publish"_s));
        QVERIFY(!engine->published());
        expectNotPublished();
    }

    // after_close: the close releases the results (published by itself once drained); an
    // operator's publish before it is refused; late votes are counted as late, never tallied.
    void afterCloseIsReleasedByTheClose()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        createSession(client, sessionJson(u"Semi"_s, u"unlimited"_s, u"after_close"_s));
        QCOMPARE(engine->session().visibility, ResultsVisibility::AfterClose);
        QVERIFY(engine->autoPublish());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(client.vote(u"v%1"_s.arg(i), i < 3 ? u"X"_s : u"Z"_s).status, 202);
        engine->autoPublishTick();
        for (const QString &path : publicPaths())
            QCOMPARE(client.get(path).status, 404);
        const auto early = client.admin(u"publish"_s);
        QCOMPARE(early.status, 409);
        QVERIFY(early.json().value(u"message"_s).toString().contains(u"after_close"_s));

        closeAndDrain(*engine, client);
        // Released at once by the close, not at the next tick.
        const auto results = client.get(u"/v1/results"_s);
        QCOMPARE(results.status, 200);
        QCOMPARE(results.json().value(u"state"_s).toString(), u"closed"_s);
        QCOMPARE(results.json().value(u"total"_s).toInteger(), 5);
        const QByteArray etag = results.header("ETag");

        const auto late = client.vote(u"late"_s, u"Y"_s);
        QCOMPARE(late.status, 409);
        QCOMPARE(late.json().value(u"error"_s).toString(), u"window_closed"_s);
        QCOMPARE(engine->counters().late, 1);
        QCOMPARE(client.adminResults().value(u"late"_s).toInteger(), 1);
        engine->autoPublishTick();
        QCOMPARE(client.get(u"/v1/results"_s, {{"If-None-Match", etag}}).status, 304);
        QCOMPARE(engine->tally()->accepted, 5);
    }

    void afterCloseWithoutAutoPublishWaitsForTheOperator()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        createSession(client, sessionJson(u"Manual"_s, u"last_wins"_s, u"after_close"_s, false));
        QVERIFY(!engine->autoPublish());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"a"_s, u"Y"_s).status, 202);
        closeAndDrain(*engine, client);
        QCOMPARE(client.get(u"/v1/results.csv"_s).status, 404);
        QCOMPARE(client.admin(u"publish"_s).status, 200);
        QCOMPARE(client.get(u"/v1/results.csv"_s).status, 200);
    }

    // live: on air from the start and following the tally (ticks of the auto-publish timer);
    // the operator can switch auto-publish off, and then only a publish changes the picture.
    void liveFollowsTheTally()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        createSession(client, sessionJson(u"Live"_s, u"capped:2"_s, u"live"_s));
        QVERIFY(engine->autoPublish());
        const auto before = client.get(u"/v1/results"_s);
        QCOMPARE(before.status, 200);
        QCOMPARE(before.json().value(u"total"_s).toInteger(), 0);
        QCOMPARE(before.json().value(u"state"_s).toString(), u"ready"_s);
        QCOMPARE(before.json().value(u"policy"_s).toString(), u"capped:2"_s);

        QCOMPARE(client.admin(u"open"_s).status, 200);
        QVERIFY(engine->publishVersion() >= 2); // the state change is on air too
        QCOMPARE(client.get(u"/v1/results"_s).json().value(u"state"_s).toString(), u"open"_s);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(client.vote(u"fan"_s, u"Y"_s).status, 202); // capped:2: the third is raw only
        // (The 1 s timer may have published some of them already; a tick publishes the rest.)
        engine->autoPublishTick();
        const quint64 followed = engine->publishVersion();
        const auto after = client.get(u"/v1/results"_s);
        QCOMPARE(after.json().value(u"total"_s).toInteger(), 2);
        QCOMPARE(after.json().value(u"version"_s).toInteger(), qint64(followed));
        engine->autoPublishTick(); // nothing changed: nothing republished
        QCOMPARE(engine->publishVersion(), followed);

        const auto off = client.postJson(
            u"/v1/admin/window"_s, QJsonObject{{u"action"_s, u"auto_publish"_s}, {u"enabled"_s, false}});
        QCOMPARE(off.status, 200);
        QCOMPARE(off.json().value(u"auto_publish"_s).toBool(), false);
        QVERIFY(!engine->autoPublish());
        QCOMPARE(client.adminResults().value(u"auto_publish"_s).toBool(), false);
        QCOMPARE(client.vote(u"other"_s, u"X"_s).status, 202);
        engine->autoPublishTick();
        QCOMPARE(engine->publishVersion(), followed);
        QCOMPARE(client.get(u"/v1/results"_s).json().value(u"total"_s).toInteger(), 2);
        QString error;
        QVERIFY(engine->setAutoPublish(true, &error));
        QCOMPARE(client.get(u"/v1/results"_s).json().value(u"total"_s).toInteger(), 3);
        QCOMPARE(client.postJson(u"/v1/admin/window"_s, QJsonObject{{u"action"_s, u"auto_publish"_s}}).status,
                 400);

        // The toggle is kept with the session.
        QVERIFY(engine->setAutoPublish(false, &error));
        engine.reset();
        engine = startEngine();
        QVERIFY(engine);
        QVERIFY(!engine->autoPublish());
    }

    // What was on air is on air again after a restart: same picture, same ETag.
    void thePublishedPictureSurvivesARestart()
    {
        QByteArray etag;
        QByteArray body;
        {
            auto engine = startEngine();
            QVERIFY(engine);
            HttpClient client(engine->port());
            QVERIFY(engine->openLines(nullptr));
            QCOMPARE(client.vote(u"r1"_s, u"C"_s).status, 202);
            QVERIFY(engine->publishResults(nullptr));
            QCOMPARE(client.vote(u"r2"_s, u"A"_s).status, 202); // not published
            const auto response = client.get(u"/v1/results.csv"_s);
            etag = response.header("ETag");
            body = response.body;
        }
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(engine->publishVersion(), 1u);
        const auto response = client.get(u"/v1/results.csv"_s);
        QCOMPARE(response.status, 200);
        QCOMPARE(response.header("ETag"), etag);
        QCOMPARE(response.body, body);
        QCOMPARE(engine->tally()->accepted, 2);
    }

    // Finalize: only once closed and drained; a recount from the store that matches freezes
    // the results as a final picture, hands the feed side what the report needs, and stays
    // final across a restart.
    void finalizeCertifiesAndFreezes()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        createSession(client, sessionJson(u"Final"_s, u"capped:2"_s, u"on_publish"_s, std::nullopt, 1));
        const qint64 sessionId = engine->session().id;

        // What the final writer saw, on the writer thread.
        std::mutex mutex;
        qint64 logRows = 0;
        qint64 hookAccepted = -1;
        bool hookFinal = false;
        engine->setFinalWriter(
            [&](const FinalizationInputs &inputs, const VoteLogReader &log, FinalFiles *, QString *error) {
                qint64 rows = 0;
                if (!log([&rows](const VoteRow &) { ++rows; }, error))
                    return false;
                std::lock_guard lock(mutex);
                logRows = rows;
                hookAccepted = inputs.accepted;
                hookFinal = inputs.results.final;
                return true;
            });
        QSignalSpy finalized(engine.get(), &ConsoleBackend::finalized);
        QSignalSpy failed(engine.get(), &ConsoleBackend::finalizeFailed);

        QCOMPARE(client.admin(u"finalize"_s).json().value(u"error"_s).toString(), u"window_not_open"_s);
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.admin(u"extend"_s, 30).status, 200);
        // fan: X, X (option cap 1: raw only), Y, Z (capped:2: raw only); two single voters.
        for (const auto &[voter, option] :
             {std::pair{u"fan"_s, u"X"_s}, std::pair{u"fan"_s, u"X"_s}, std::pair{u"fan"_s, u"Y"_s},
              std::pair{u"fan"_s, u"Z"_s}, std::pair{u"a"_s, u"Z"_s}, std::pair{u"b"_s, u"Z"_s}})
            QCOMPARE(client.vote(voter, option).status, 202);
        const auto open = client.admin(u"finalize"_s);
        QCOMPARE(open.status, 409);
        QCOMPARE(open.json().value(u"error"_s).toString(), u"window_open"_s);
        QCOMPARE(client.admin(u"close"_s).status, 200);
        // Finalizing while the queue drains is refused, afterwards it is allowed: either way
        // the window is never final before it is closed.
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(client.vote(u"late"_s, u"X"_s).status, 409);

        const auto done = client.admin(u"finalize"_s);
        QCOMPARE(done.status, 200);
        QCOMPARE(done.json().value(u"final"_s).toBool(), true);
        QCOMPARE(done.json().value(u"state"_s).toString(), u"final"_s);
        QCOMPARE(exactOf(done.json(), u"X"_s), 1);
        QCOMPARE(exactOf(done.json(), u"Y"_s), 1);
        QCOMPARE(exactOf(done.json(), u"Z"_s), 2);
        QCOMPARE(engine->windowStatus().state, WindowState::Final);
        QCOMPARE(finalized.count(), 1);
        QCOMPARE(failed.count(), 0);
        {
            std::lock_guard lock(mutex);
            QCOMPARE(logRows, 6);
            QCOMPARE(hookAccepted, 6);
            QVERIFY(hookFinal);
        }
        const auto inputs = finalized.first().first().value<FinalizationInputs>();
        QVERIFY(inputs.results.final);
        QCOMPARE(inputs.results.window.state, WindowState::Final);
        QCOMPARE(inputs.results.tally.exact, (std::vector<qint64>{1, 1, 2}));
        QCOMPARE(inputs.results.tally.raw, (std::vector<qint64>{2, 1, 3}));
        QCOMPARE(inputs.accepted, 6);
        QCOMPARE(inputs.uniqueVoters, 3);
        QCOMPARE(inputs.late, 1);
        QCOMPARE(inputs.rejectedByReason.value(u"window_closed"_s), 1);
        QCOMPARE(inputs.extendedAtMs.size(), 1);
        QVERIFY(inputs.openedAtMs > 0 && inputs.closedAtMs >= inputs.openedAtMs);
        QVERIFY(inputs.finalizedAtMs >= inputs.closedAtMs);
        QCOMPARE(inputs.audit.last().kind, u"finalized"_s);
        QCOMPARE(inputs.audit.last().actor, u"admin-api 127.0.0.1"_s);
        QCOMPARE(inputs.results.publishVersion, engine->publishVersion());

        // Frozen: the public picture is final, a publish changes nothing, finalize again is refused.
        const auto results = client.get(u"/v1/results"_s);
        QCOMPARE(results.status, 200); // finalize publishes the certified result
        QCOMPARE(results.json().value(u"final"_s).toBool(), true);
        QCOMPARE(results.json().value(u"state"_s).toString(), u"final"_s);
        const quint64 version = engine->publishVersion();
        QCOMPARE(client.admin(u"publish"_s).json().value(u"version"_s).toInteger(), qint64(version));
        engine->autoPublishTick();
        QCOMPARE(engine->publishVersion(), version);
        QCOMPARE(client.admin(u"finalize"_s).json().value(u"error"_s).toString(), u"already_final"_s);
        QCOMPARE(client.vote(u"later"_s, u"X"_s).status, 409);

        engine.reset();
        engine = startEngine();
        QVERIFY(engine);
        QCOMPARE(engine->session().id, sessionId);
        QCOMPARE(engine->windowStatus().state, WindowState::Final);
        QVERIFY(engine->published() && engine->published()->final);
        QCOMPARE(engine->publishVersion(), version);
    }

    // Someone changed a stored vote through a second connection: the recount differs from the
    // live tally, finalization is refused naming each difference, and the session stays closed.
    void finalizeRefusesWhenTheStoreWasTamperedWith()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QSignalSpy failed(engine.get(), &ConsoleBackend::finalizeFailed);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        for (int i = 0; i < 6; ++i)
            QCOMPARE(client.vote(u"t%1"_s.arg(i), i < 4 ? u"A"_s : u"B"_s).status, 202);
        closeAndDrain(*engine, client);
        QVERIFY(tamper(u"UPDATE votes SET option = 'D' WHERE voter = 't1' AND session_id = %1"_s.arg(
            engine->session().id)));

        const auto refused = client.admin(u"finalize"_s);
        QCOMPARE(refused.status, 409);
        QCOMPARE(refused.json().value(u"error"_s).toString(), u"recount_mismatch"_s);
        const QString message = refused.json().value(u"message"_s).toString();
        QVERIFY2(message.contains(u"exact A: live 4, recount 3"_s), qPrintable(message));
        QVERIFY2(message.contains(u"exact D: live 0, recount 1"_s), qPrintable(message));
        const QJsonArray differences = refused.json().value(u"differences"_s).toArray();
        QCOMPARE(differences.size(), 4);
        QCOMPARE(differences[0].toObject().value(u"field"_s).toString(), u"exact"_s);
        QCOMPARE(differences[0].toObject().value(u"option"_s).toString(), u"A"_s);
        QCOMPARE(differences[0].toObject().value(u"live"_s).toInteger(), 4);
        QCOMPARE(differences[0].toObject().value(u"recount"_s).toInteger(), 3);
        QCOMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.first().first().toString().contains(u"exact A"_s));
        QVERIFY(!engine->published());

        // The console's path is refused the same way, asynchronously.
        QString error;
        QVERIFY(engine->finalizeResults(&error));
        QTRY_COMPARE(failed.count(), 2);
        QCOMPARE(engine->windowStatus().state, WindowState::Closed);

        // A deleted vote shows in the totals too.
        QVERIFY(tamper(u"DELETE FROM votes WHERE voter = 't5'"_s));
        const auto deleted = client.admin(u"finalize"_s);
        QCOMPARE(deleted.status, 409);
        QVERIFY(deleted.json().value(u"message"_s).toString().contains(u"accepted: live 6, recount 5"_s));

        // Each refusal is in the audit log, with who asked.
        int refusals = 0;
        for (const QJsonValue &entry :
             QJsonDocument::fromJson(client.get(u"/v1/admin/audit"_s).body).array()) {
            if (entry.toObject().value(u"kind"_s).toString() == u"finalize_refused") {
                ++refusals;
                QVERIFY(entry.toObject().value(u"detail"_s).toString().contains(u"recount"_s));
            }
        }
        QCOMPARE(refusals, 3);
    }

    // The feed side's final step may refuse (disk full): the session stays closed and the
    // operator can try again.
    void aRefusingFinalWriterKeepsTheSessionClosed()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"w"_s, u"A"_s).status, 202);
        closeAndDrain(*engine, client);
        engine->setFinalWriter(
            [](const FinalizationInputs &, const VoteLogReader &, FinalFiles *, QString *error) {
                *error = u"no space left in the export folder"_s;
                return false;
            });
        const auto refused = client.admin(u"finalize"_s);
        QCOMPARE(refused.status, 500);
        QCOMPARE(refused.json().value(u"error"_s).toString(), u"final_export_failed"_s);
        QVERIFY(refused.json().value(u"message"_s).toString().contains(u"no space left"_s));
        QCOMPARE(engine->windowStatus().state, WindowState::Closed);
        engine->setFinalWriter({}); // without one, finalization still certifies and freezes
        QCOMPARE(client.admin(u"finalize"_s).status, 200);
        QCOMPARE(engine->windowStatus().state, WindowState::Final);
    }

    // Policy replay: the stored log re-tallied under any rule equals a fresh count from the
    // file; the live tally is shown next to it and nothing changes.
    void policyReplayMatchesAFreshCount()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        for (int i = 0; i < 60; ++i) {
            const QString option = QString(QChar(u'A' + (i * 7 + i / 5) % 4));
            QCOMPARE(client.vote(u"p%1"_s.arg(i % 9), option).status, 202);
        }
        const std::vector<qint64> liveExact = engine->tally()->exact;
        const SessionDefinition session = engine->session();

        for (const auto &[query, rule] :
             {std::pair{u"policy=last_wins"_s, CountingRule(VotePolicy::LastWins)},
              std::pair{u"policy=first_wins"_s, CountingRule(VotePolicy::FirstWins)},
              std::pair{u"policy=unlimited"_s, CountingRule(VotePolicy::Unlimited)},
              std::pair{u"policy=capped:3"_s, CountingRule(VotePolicy::Capped, 3)},
              std::pair{u"policy=capped%3A5&option_cap=2"_s, CountingRule(VotePolicy::Capped, 5, 2)},
              std::pair{u"policy=unlimited&option_cap=1"_s, CountingRule(VotePolicy::Unlimited, 0, 1)}}) {
            const auto response = client.get(u"/v1/admin/replay?"_s + query);
            QVERIFY2(response.status == 200, response.body.constData());
            const QJsonObject replay = response.json();
            QCOMPARE(replay.value(u"policy"_s).toString(), rule.policyName());
            QCOMPARE(replay.value(u"live_policy"_s).toString(), u"last_wins"_s);
            const Tally fresh = recountFromFile(session, rule);
            int differing = 0;
            for (int o = 0; o < session.options.size(); ++o) {
                const QString key = session.options[o].key;
                QCOMPARE(exactOf(replay, key), fresh.exact()[std::size_t(o)]);
                QCOMPARE(replay.value(u"live_exact"_s).toObject().value(key).toInteger(),
                         liveExact[std::size_t(o)]);
                differing += fresh.exact()[std::size_t(o)] != liveExact[std::size_t(o)] ? 1 : 0;
            }
            const QJsonArray differences = replay.value(u"differences"_s).toArray();
            QCOMPARE(differences.size(), differing);
            for (const QJsonValue &difference : differences) {
                const QJsonObject d = difference.toObject();
                QCOMPARE(d.value(u"replay"_s).toInteger() - d.value(u"live"_s).toInteger(),
                         d.value(u"difference"_s).toInteger());
            }
            QCOMPARE(replay.value(u"accepted"_s).toInteger(), 60);
            QCOMPARE(replay.value(u"unique_voters"_s).toInteger(), 9);
        }
        QCOMPARE(engine->tally()->exact, liveExact); // nothing changed

        QCOMPARE(client.get(u"/v1/admin/replay?policy=most_wins"_s).status, 400);
        QCOMPARE(client.get(u"/v1/admin/replay?policy=capped:0"_s).status, 400);
        QCOMPARE(client.get(u"/v1/admin/replay?policy=last_wins&option_cap=2"_s).status, 400);
        QCOMPARE(client.get(u"/v1/admin/replay"_s).status, 400);

        // The console's path: the answer comes as a signal.
        QSignalSpy replayed(engine.get(), &ConsoleBackend::policyReplayReady);
        QString error;
        QVERIFY(engine->replayPolicy(u"first_wins"_s, 0, &error));
        QTRY_COMPARE(replayed.count(), 1);
        const auto replay = replayed.first().first().value<PolicyReplay>();
        QVERIFY(replay.ok);
        QCOMPARE(replay.replayed.exact, recountFromFile(session, VotePolicy::FirstWins).exact());
        QCOMPARE(replay.live.exact, liveExact);
        QVERIFY(!engine->replayPolicy(u"capped"_s, 0, &error));
        QVERIFY(error.contains(u"capped:N"_s));
    }

    // The audit log: who (console, admin API with the peer's address, the system), when and
    // what, in order; readable through the admin API and by the console without blocking it.
    void auditLogRecordsWhoDidWhat()
    {
        ManualClock clock;
        auto engine = startEngine(clock);
        QVERIFY(engine);
        HttpClient client(engine->port());
        createSession(client, sessionJson(u"Audited"_s, u"capped:20"_s, u"on_publish"_s, std::nullopt, 5));
        QVERIFY(engine->openLines(nullptr));
        QCOMPARE(client.vote(u"v"_s, u"X"_s).status, 202);
        QVERIFY(engine->publishResults(nullptr));
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(client.get(u"/v1/admin/replay?policy=first_wins"_s).status, 200);
        QCOMPARE(client.admin(u"finalize"_s).status, 200);

        struct Expected
        {
            QString kind;
            QString actor;
        };
        const QList<Expected> expected{{u"session_activated"_s, u"admin-api 127.0.0.1"_s},
                                       {u"lines_opened"_s, u"console"_s},
                                       {u"results_published"_s, u"console"_s},
                                       {u"lines_closed"_s, u"admin-api 127.0.0.1"_s},
                                       {u"results_frozen"_s, u"system"_s},
                                       {u"policy_replayed"_s, u"admin-api 127.0.0.1"_s},
                                       {u"finalized"_s, u"admin-api 127.0.0.1"_s}};
        auto check = [&](const QList<AuditEntry> &entries) {
            QCOMPARE(entries.size(), expected.size());
            for (qsizetype i = 0; i < entries.size(); ++i) {
                QCOMPARE(entries[i].kind, expected[i].kind);
                QCOMPARE(entries[i].actor, expected[i].actor);
                QCOMPARE(entries[i].atMs, clock.nowMs());
                QVERIFY(!entries[i].detail.isEmpty());
            }
            QVERIFY(entries[0].detail.contains(u"capped:20, at most 5 per option"_s));
            QVERIFY(entries[5].detail.contains(u"first_wins"_s));
        };

        const auto response = client.get(u"/v1/admin/audit"_s);
        QCOMPARE(response.status, 200);
        QVERIFY(response.header("Access-Control-Allow-Origin").isEmpty());
        QList<AuditEntry> fromApi;
        for (const QJsonValue &value : QJsonDocument::fromJson(response.body).array()) {
            const QJsonObject o = value.toObject();
            fromApi.append({o.value(u"at_ms"_s).toInteger(), o.value(u"kind"_s).toString(),
                            o.value(u"detail"_s).toString(), o.value(u"actor"_s).toString()});
            QVERIFY(o.value(u"at"_s).toString().endsWith(u'Z'));
        }
        check(fromApi);

        bool answered = false;
        engine->auditLog([&](bool ok, const QList<AuditEntry> &entries, const QString &) {
            QVERIFY(ok);
            check(entries);
            answered = true;
        });
        QVERIFY(!answered); // asynchronous: the store is the writer's
        QTRY_VERIFY(answered);
        QSignalSpy ready(engine.get(), &ConsoleBackend::auditLogReady);
        engine->requestAuditLog();
        QTRY_COMPARE(ready.count(), 1);
        check(ready.first().first().value<QList<AuditEntry>>());

        // Another session's log by id; the demo session's creation was the system's.
        const auto first = client.get(u"/v1/admin/audit?session=1"_s);
        QCOMPARE(first.status, 200);
        const QJsonArray demo = QJsonDocument::fromJson(first.body).array();
        QVERIFY(!demo.isEmpty());
        QCOMPARE(demo.first().toObject().value(u"actor"_s).toString(), u"system"_s);
        QCOMPARE(client.get(u"/v1/admin/audit?session=x"_s).status, 400);
    }
};

QTEST_GUILESS_MAIN(TestEngineResults)
#include "tst_engineresults.moc"
