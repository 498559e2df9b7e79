// The fraud figures against a running Engine: votes over HTTP on loopback, one stuffer among
// fans, each "client" named by a trusted local proxy (127.0.0.1/32) in X-Forwarded-For the way
// a deployment behind a proxy sees them. GET /v1/admin/fraud and ConsoleBackend::fraud() must
// both name the stuffer first and count what was refused.
#include <algorithm>
#include <memory>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "../integration/httpclient.h"
#include "engine/engine.h"

using namespace Qt::Literals::StringLiterals;

namespace {
using Headers = QList<QPair<QByteArray, QByteArray>>;

Headers from(const QByteArray &address)
{
    return {{"X-Forwarded-For", address}};
}
} // namespace

class TestFraud final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine()
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.workersMax = 2;
        options.access.trustedProxies.push_back(*IpRange::parse(u"127.0.0.1/32"_s));
        auto engine = std::make_unique<Engine>(options);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    static HttpClient::Response vote(HttpClient &client, const QByteArray &voter, const QByteArray &address)
    {
        return client.post(u"/v1/votes"_s, R"({"voter":")" + voter + R"(","option":"A"})", "application/json",
                           from(address));
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void stufferTopsTheFigures()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());

        // Before the lines open: refused (409 window_not_open), counted as refused.
        QCOMPARE(vote(client, "early", "198.51.100.200").status, 409);
        QCOMPARE(client.admin(u"open"_s).status, 200);

        const int stuffed = 30;
        const int fans = 10;
        int stufferAccepted = 0;
        for (int i = 0; i < stuffed; ++i) {
            const int status = vote(client, "stuffer", "203.0.113.66").status;
            QVERIFY2(status == 202 || status == 409 || status == 429, QByteArray::number(status).constData());
            stufferAccepted += status == 202 ? 1 : 0;
        }
        for (int i = 0; i < fans; ++i) {
            const QByteArray n = QByteArray::number(i);
            QCOMPARE(vote(client, "fan" + n, "198.51.100." + n).status, 202);
        }

        const HttpClient::Response response = client.get(u"/v1/admin/fraud?limit=5"_s);
        QCOMPARE(response.status, 200);
        const QJsonObject body = response.json();
        const qint64 total = 1 + stuffed + fans;
        QCOMPARE(body.value(u"total"_s).toInteger(), total);
        const qint64 rejected = body.value(u"rejected"_s).toInteger();
        QCOMPARE(rejected, 1 + stuffed - stufferAccepted);
        QCOMPARE(body.value(u"rejected_share"_s).toDouble(), double(rejected) / double(total));
        // The session's reject counters saw the same refusals.
        QCOMPARE(client.adminResults().value(u"rejected"_s).toInteger(), rejected);

        const QJsonArray voters = body.value(u"top_voters"_s).toArray();
        QCOMPARE(voters.size(), 5);
        QCOMPARE(voters.first().toObject().value(u"key"_s).toString(), u"stuffer"_s);
        QCOMPARE(voters.first().toObject().value(u"count"_s).toInteger(), stuffed);
        QCOMPARE(voters.first().toObject().value(u"count_min"_s).toInteger(), stuffed); // no eviction
        const QJsonArray addresses = body.value(u"top_addresses"_s).toArray();
        QCOMPARE(addresses.first().toObject().value(u"key"_s).toString(), u"203.0.113.66"_s);
        QCOMPARE(addresses.first().toObject().value(u"count"_s).toInteger(), stuffed);

        qint64 perSecondSum = 0;
        for (const QJsonValue &count : body.value(u"per_second"_s).toArray())
            perSecondSum += count.toInteger();
        QCOMPARE(perSecondSum, total); // the test ran in well under a minute
        QVERIFY(body.value(u"peak_per_second"_s).toInteger() >= 1);

        // The console reads the same figures through ConsoleBackend.
        const FraudSnapshot snapshot = engine->fraud(5);
        QCOMPARE(snapshot.total, total);
        QCOMPARE(snapshot.topVoters.first().key, u"stuffer"_s);
        QCOMPARE(snapshot.topAddresses.first().key, u"203.0.113.66"_s);
    }

    void exclusionChangesReplayAndFinalizeAndIsAudited()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        const QJsonObject definition{
            {u"title"_s, u"Stuffed"_s},
            {u"window_seconds"_s, 600},
            {u"policy"_s, u"unlimited"_s},
            {u"options"_s, QJsonArray{QJsonObject{{u"key"_s, u"A"_s}, {u"label"_s, u"Alpha"_s}},
                                      QJsonObject{{u"key"_s, u"B"_s}, {u"label"_s, u"Beta"_s}}}}};
        QCOMPARE(client.postJson(u"/v1/admin/sessions"_s, definition).status, 201);
        QCOMPARE(client.admin(u"open"_s).status, 200);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(client.vote(u"stuffer"_s, u"A"_s).status, 202);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(client.vote(u"fan%1"_s.arg(i), u"B"_s).status, 202);

        auto exclude = [&client](const QString &kind, const QString &value, const QString &reason) {
            return client.postJson(
                u"/v1/admin/exclusions"_s,
                QJsonObject{{u"kind"_s, kind}, {u"value"_s, value}, {u"reason"_s, reason}});
        };
        QCOMPARE(exclude(u"voter"_s, u"stuffer"_s, u"   "_s).status, 400); // a reason is required
        QCOMPARE(exclude(u"voter"_s, u"not an id"_s, u"x"_s).status, 400); // not a voter id
        QCOMPARE(exclude(u"colour"_s, u"stuffer"_s, u"x"_s).status, 400);  // no such kind
        QCOMPARE(exclude(u"address_range"_s, u"203.0.113.0/99"_s, u"botnet"_s).status, 400);
        QCOMPARE(client.get(u"/v1/admin/exclusions"_s).status, 405);
        const HttpClient::Response excluded =
            exclude(u"voter"_s, u"stuffer"_s, u"five votes in a second from one id"_s);
        QCOMPARE(excluded.status, 200);
        QCOMPARE(excluded.json().value(u"exclusions"_s).toArray().size(), 1);
        QCOMPARE(exclude(u"voter"_s, u"stuffer"_s, u"again"_s).status, 400); // once is enough
        QCOMPARE(engine->exclusions().size(), 1);
        QCOMPARE(engine->exclusions().first().actor.startsWith(u"admin-api"_s), true);

        // The live tally still counts everything; the replay shows what certifying would count.
        QCOMPARE(client.adminResults().value(u"exact"_s).toObject().value(u"A"_s).toInteger(), 5);
        const QJsonObject replay = client.get(u"/v1/admin/replay?policy=unlimited"_s).json();
        QCOMPARE(replay.value(u"excluded_votes"_s).toInteger(), 5);
        QCOMPARE(replay.value(u"exact"_s).toObject().value(u"A"_s).toInteger(), 0);
        QCOMPARE(replay.value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 3);
        QCOMPARE(replay.value(u"exclusions"_s).toArray().first().toObject().value(u"reason"_s).toString(),
                 u"five votes in a second from one id"_s);

        QSignalSpy finalized(engine.get(), &ConsoleBackend::finalized);
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        const HttpClient::Response done = client.admin(u"finalize"_s);
        QCOMPARE(done.status, 200);
        // The certified result is the replay's, not the live tally's.
        QCOMPARE(done.json().value(u"exact"_s).toObject().value(u"A"_s).toInteger(), 0);
        QCOMPARE(done.json().value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 3);
        QCOMPARE(finalized.count(), 1);
        const auto inputs = finalized.first().first().value<FinalizationInputs>();
        const bool inReport =
            std::any_of(inputs.audit.cbegin(), inputs.audit.cend(), [](const AuditEntry &e) {
                return e.kind == u"count_excluded"_s && e.detail.contains(u"stuffer"_s) &&
                       e.detail.contains(u"five votes in a second from one id"_s);
            });
        QVERIFY(inReport);
        // The stored line leads with what was certified, then the live tally it was checked against.
        QVERIFY2(
            inputs.audit.last().detail.startsWith(
                u"certified with 1 exclusions applied (count_excluded): exact A 0 \u00b7 B 3; without them "
                u"the recount from the store matches the live tally, exact A 5 \u00b7 B 3;"_s),
            qPrintable(inputs.audit.last().detail));

        // The final report names the exclusion in a section of its own, with the votes it left out.
        QFile report(m_dir->filePath(u"export/final-report.txt"_s));
        QVERIFY2(report.open(QIODevice::ReadOnly), qPrintable(report.fileName()));
        const QString text = QString::fromUtf8(report.readAll());
        const qsizetype section = text.indexOf(u"EXCLUDED FROM THE COUNT BY THE OPERATOR\n"_s);
        QVERIFY2(section >= 0, qPrintable(text));
        const QString body = text.mid(section, text.indexOf(u"\n\n"_s, section) - section);
        QVERIFY2(QRegularExpression(u"Votes left out: +5\\n"_s).match(body).hasMatch(), qPrintable(body));
        QVERIFY2(QRegularExpression(u"voter +stuffer +admin-api \\S+ +five votes in a second from one id"_s)
                     .match(body)
                     .hasMatch(),
                 qPrintable(body));
        QFile html(m_dir->filePath(u"export/final-report.html"_s));
        QVERIFY(html.open(QIODevice::ReadOnly));
        QVERIFY(html.readAll().contains(
            "<h2>Excluded from the count by the operator</h2>\n<p>Votes left out: 5."));
        QCOMPARE(exclude(u"voter"_s, u"fan1"_s, u"too late"_s).status, 409);

        // The audit log (stored with the session) has the line with its reason and actor.
        const QJsonArray audit = QJsonDocument::fromJson(client.get(u"/v1/admin/audit"_s).body).array();
        bool audited = false;
        for (const QJsonValue &event : audit) {
            const QJsonObject line = event.toObject();
            audited = audited || (line.value(u"kind"_s).toString() == u"count_excluded"_s &&
                                  line.value(u"detail"_s).toString().contains(u"stuffer"_s));
        }
        QVERIFY2(audited, QJsonDocument(audit).toJson().constData());
    }

    void addressRangeExclusionUsesTheStoredAddresses()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        // A botnet of ten ids in 203.0.113.0/24 voting A, three fans elsewhere voting B.
        for (int i = 0; i < 10; ++i) {
            const QByteArray n = QByteArray::number(i);
            QCOMPARE(vote(client, "bot" + n, "203.0.113." + n).status, 202);
        }
        for (int i = 0; i < 3; ++i) {
            const QByteArray n = QByteArray::number(i);
            const HttpClient::Response fan =
                client.post(u"/v1/votes"_s, R"({"voter":"fan)" + n + R"(","option":"B"})", "application/json",
                            from("198.51.100." + n));
            QCOMPARE(fan.status, 202);
        }
        const HttpClient::Response excluded = client.postJson(
            u"/v1/admin/exclusions"_s, QJsonObject{{u"kind"_s, u"address_range"_s},
                                                   {u"value"_s, u"203.0.113.77/24"_s},
                                                   {u"reason"_s, u"ten ids from one /24 within a second"_s}});
        QCOMPARE(excluded.status, 200);
        // Stored canonical, host bits cleared.
        QCOMPARE(engine->exclusions().first().value, u"203.0.113.0/24"_s);

        const QString policy = engine->session().rule().policyName();
        const QJsonObject replay = client.get(u"/v1/admin/replay?policy="_s + policy).json();
        QCOMPARE(replay.value(u"excluded_votes"_s).toInteger(), 10);
        QCOMPARE(replay.value(u"exact"_s).toObject().value(u"A"_s).toInteger(), 0);
        QCOMPARE(replay.value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 3);

        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        const HttpClient::Response done = client.admin(u"finalize"_s);
        QCOMPARE(done.status, 200);
        QCOMPARE(done.json().value(u"exact"_s).toObject().value(u"A"_s).toInteger(), 0);
        QCOMPARE(done.json().value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 3);
    }

    void endpointIsAdminOnlyAndChecksItsLimit()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        const HttpClient::Response remote = client.get(u"/v1/admin/fraud"_s, from("203.0.113.9"));
        QCOMPARE(remote.status, 403);
        QCOMPARE(remote.json().value(u"error"_s).toString(), u"forbidden"_s);
        QCOMPARE(client.get(u"/v1/admin/fraud?limit=0"_s).status, 400);
        QCOMPARE(client.get(u"/v1/admin/fraud?limit=x"_s).status, 400);
        const QJsonObject empty = client.get(u"/v1/admin/fraud"_s).json();
        QCOMPARE(empty.value(u"total"_s).toInteger(), 0);
        QCOMPARE(empty.value(u"rejected_share"_s).toDouble(), 0.0);
        QVERIFY(empty.value(u"top_voters"_s).toArray().isEmpty());
    }
};

QTEST_MAIN(TestFraud)
#include "tst_fraud.moc"
