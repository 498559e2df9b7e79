// The fraud figures against a running Engine: votes over HTTP on loopback, one stuffer among
// fans, each "client" named by a trusted local proxy (127.0.0.1/32) in X-Forwarded-For the way
// a deployment behind a proxy sees them. GET /v1/admin/fraud and ConsoleBackend::fraud() must
// both name the stuffer first and count what was refused.
#include <memory>

#include <QJsonArray>
#include <QJsonObject>
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
