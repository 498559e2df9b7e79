// The canary (semantic monitoring, engine/canary.h) against a running Engine: the app's own
// test vote goes through the public endpoint and the store, is never counted anywhere, and
// raises the alert when it is not stored in time (a failing store, a commit that hangs).
#include <memory>

#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "../integration/httpclient.h"
#include "engine/canary.h"
#include "engine/engine.h"
#include "store/faultinjection.h"

using namespace Qt::Literals::StringLiterals;
using FaultInjection::StorageFault;

class TestCanary final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(int intervalMs, int deadlineMs, AccessOptions access = {})
    {
        Engine::Options options;
        options.databasePath = dbPath();
        options.port = 0;
        options.workersMax = 2;
        options.canaryIntervalMs = intervalMs;
        options.canaryDeadlineMs = deadlineMs;
        options.access = std::move(access);
        auto engine = std::make_unique<Engine>(options);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    QString dbPath() const { return m_dir->filePath(u"votedesk.db"_s); }

    // What a second reader finds in the file: (session, voter) of every stored row.
    static QList<QPair<qint64, QString>> storedRows(const QString &path)
    {
        QList<QPair<qint64, QString>> rows;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"reader"_s);
            db.setDatabaseName(path);
            db.setConnectOptions(u"QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"_s);
            if (db.open()) {
                QSqlQuery query(db);
                query.exec(u"SELECT session_id, voter FROM votes ORDER BY seq"_s);
                while (query.next())
                    rows.append({query.value(0).toLongLong(), query.value(1).toString()});
            }
        }
        QSqlDatabase::removeDatabase(u"reader"_s);
        return rows;
    }

    static double metric(HttpClient &client, const QByteArray &series)
    {
        const QByteArray text = client.get(u"/metrics"_s).body;
        for (const QByteArray &line : text.split('\n')) {
            if (line.startsWith(QByteArray(series + ' ')))
                return line.mid(series.size() + 1).toDouble();
        }
        return -1;
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void initTestCase() { FaultInjection::installFaultyStorage(); }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void cleanup()
    {
        FaultInjection::setStorageFault(StorageFault::None);
        FaultInjection::setWalWritesStalled(false);
    }

    void canaryIsStoredAndNeverCounted()
    {
        auto engine = startEngine(100, 5'000);
        QVERIFY(engine);
        QVERIFY(engine->canary());
        QSignalSpy seen(engine->canary(), &Canary::probeSeen);
        QSignalSpy missing(engine.get(), &Engine::canaryMissing);
        // Seen before the lines open: no window admits or refuses it.
        QVERIFY(seen.wait(5'000));
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"fan"_s, u"B"_s).status, 202);
        QTRY_VERIFY_WITH_TIMEOUT(seen.size() >= 3, 10'000);
        QVERIFY(seen.first().first().toLongLong() > 0);
        QVERIFY(missing.isEmpty());

        // Nothing of the session counts it: tallies, rejections, the vote log, the metrics.
        const QJsonObject results = client.adminResults();
        QCOMPARE(results.value(u"accepted"_s).toInteger(), 1);
        QCOMPARE(results.value(u"unique_voters"_s).toInteger(), 1);
        QCOMPARE(results.value(u"rejected"_s).toInteger(), 0);
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"B"_s).toInteger(), 1);
        const QByteArray log = client.get(u"/v1/admin/votes"_s).body;
        QVERIFY2(!log.contains("canary"), log.constData());
        QCOMPARE(metric(client, "votedesk_votes_accepted_total"), 1.0);

        // ... and yet it is in the store, under session 0.
        const auto rows = storedRows(dbPath());
        qsizetype canaries = 0;
        for (const auto &[session, voter] : rows) {
            if (session == 0) {
                QVERIFY(voter.startsWith(u"canary."_s));
                ++canaries;
            } else {
                QCOMPARE(voter, u"fan"_s);
            }
        }
        QVERIFY(canaries >= 3);

        QVERIFY(metric(client, "votedesk_canary_latency_seconds") > 0);
        QVERIFY(metric(client, "votedesk_canary_seen_total") >= 3);
        QCOMPARE(metric(client, "votedesk_canary_failing"), 0.0);
        // The 1 s series carries its latency for the console's graph.
        QTRY_VERIFY_WITH_TIMEOUT(engine->latestMetrics().canaryLatencyMs > 0, 5'000);

        // A restart recounts from the store: still one vote, the canaries nowhere.
        engine->stop();
        engine = startEngine(0, 5'000);
        QVERIFY(engine);
        QVERIFY(!engine->canary());
        QCOMPARE(engine->tally()->accepted, 1);
        QCOMPARE(HttpClient(engine->port()).adminResults().value(u"unique_voters"_s).toInteger(), 1);
    }

    void canaryMissingWhenTheStoreFailsRaisesTheAlert()
    {
        auto engine = startEngine(100, 2'000);
        QVERIFY(engine);
        QSignalSpy seen(engine->canary(), &Canary::probeSeen);
        QSignalSpy missing(engine.get(), &Engine::canaryMissing);
        QSignalSpy recovered(engine.get(), &Engine::canaryRecovered);
        QVERIFY(seen.wait(5'000));

        FaultInjection::setStorageFault(StorageFault::Full);
        QVERIFY(missing.wait(10'000));
        QVERIFY(missing.first().first().toString().contains(u"canary"_s));
        QVERIFY(engine->canary()->failing());
        HttpClient client(engine->port());
        QCOMPARE(metric(client, "votedesk_canary_failing"), 1.0);
        QVERIFY(metric(client, "votedesk_canary_missed_total") >= 1);
        QTRY_VERIFY_WITH_TIMEOUT(engine->latestMetrics().canaryLatencyMs < 0, 5'000);
        // Raised once, not once per probe.
        const qint64 missedSoFar = engine->canary()->missed.load();
        QTRY_VERIFY_WITH_TIMEOUT(engine->canary()->missed.load() > missedSoFar + 1, 10'000);
        QCOMPARE(missing.size(), 1);
        // The canary's refusals are not the session's statistics.
        QCOMPARE(client.adminResults().value(u"rejected"_s).toInteger(), 0);

        FaultInjection::setStorageFault(StorageFault::None);
        QVERIFY(recovered.wait(15'000));
        QVERIFY(!engine->canary()->failing());
        // Both ends are in the console's event log, the miss as critical.
        bool sawMissing = false;
        bool sawRecovered = false;
        for (const ConsoleEvent &event : engine->eventsSince(0)) {
            if (event.kind == u"canary_missing"_s) {
                sawMissing = true;
                QCOMPARE(event.severity, Severity::Critical);
            }
            sawRecovered = sawRecovered || event.kind == u"canary_recovered"_s;
        }
        QVERIFY(sawMissing);
        QVERIFY(sawRecovered);
    }

    void canaryMissingWhenACommitHangs()
    {
        auto engine = startEngine(100, 300);
        QVERIFY(engine);
        QSignalSpy seen(engine->canary(), &Canary::probeSeen);
        QSignalSpy missing(engine.get(), &Engine::canaryMissing);
        QVERIFY(seen.wait(5'000));
        // The store neither fails nor answers: only the deadline can tell.
        FaultInjection::setWalWritesStalled(true);
        QVERIFY(missing.wait(10'000));
        QVERIFY2(missing.first().first().toString().contains(u"no answer within 300 ms"_s),
                 qPrintable(missing.first().first().toString()));
        FaultInjection::setWalWritesStalled(false);
        QSignalSpy recovered(engine.get(), &Engine::canaryRecovered);
        QVERIFY(recovered.wait(10'000));
    }

    void onlyTheLocalMachineMaySendACanary()
    {
        AccessOptions access;
        access.trustedProxies.push_back(*IpRange::parse(u"127.0.0.1/32"_s));
        auto engine = startEngine(0, 5'000, access);
        QVERIFY(engine);
        HttpClient client(engine->port());
        const QByteArray body = R"({"voter":"canary.1","option":"canary"})";
        // Relayed by a proxy: a stranger's request, refused and counted.
        const HttpClient::Response relayed =
            client.post(u"/v1/votes"_s, body, "application/json",
                        {{"X-Votedesk-Canary", "1"}, {"X-Forwarded-For", "203.0.113.9"}});
        QCOMPARE(relayed.status, 400);
        QCOMPARE(relayed.json().value(u"error"_s).toString(), u"bad_request"_s);
        const HttpClient::Response wrongPrefix =
            client.post(u"/v1/votes"_s, R"({"voter":"u1","option":"A"})", "application/json",
                        {{"X-Votedesk-Canary", "1"}});
        QCOMPARE(wrongPrefix.status, 400);
        QCOMPARE(wrongPrefix.json().value(u"error"_s).toString(), u"invalid_voter"_s);
        // Without the flag the prefix is reserved: no voter may pass for the canary.
        const HttpClient::Response impostor =
            client.post(u"/v1/votes"_s, R"({"voter":"canary.1","option":"A"})");
        QCOMPARE(impostor.status, 400);
        QCOMPARE(impostor.json().value(u"error"_s).toString(), u"invalid_voter"_s);
        QCOMPARE(client.adminResults().value(u"rejected"_s).toInteger(), 3);
        // From loopback it is taken, stored under session 0 and answered with its receipt.
        const HttpClient::Response local =
            client.post(u"/v1/votes"_s, body, "application/json", {{"X-Votedesk-Canary", "1"}});
        QCOMPARE(local.status, 202);
        QVERIFY(local.json().value(u"receipt"_s).toString().startsWith(u"0-"_s));
        QCOMPARE(engine->tally()->accepted, 0);
    }
};

QTEST_GUILESS_MAIN(TestCanary)
#include "tst_canary.moc"
