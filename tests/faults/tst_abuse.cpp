// Abuse and access against a running Engine (README, "Guarantees"): the admin API behind
// loopback or the admin token, voter tokens, rate limits, X-Forwarded-For only from trusted
// proxies. Every refusal has its status, JSON code and counter.
//
// A "remote" client is simulated the way a real deployment sees one: through a trusted proxy
// (127.0.0.1/32 configured as one) that names it in X-Forwarded-For. Traffic stays on loopback.
#include <memory>

#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "../integration/httpclient.h"
#include "access/votertoken.h"
#include "engine/engine.h"

using namespace Qt::Literals::StringLiterals;

namespace {
using Headers = QList<QPair<QByteArray, QByteArray>>;
const QByteArray kToken = "admin-token-for-tests-0123456789";
const Headers kRemote{{"X-Forwarded-For", "203.0.113.9"}};
} // namespace

class TestAbuse final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(const AccessOptions &access)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.workersMax = 2;
        options.access = access;
        auto engine = std::make_unique<Engine>(options);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    static AccessOptions behindLocalProxy()
    {
        AccessOptions access;
        access.trustedProxies.push_back(*IpRange::parse(u"127.0.0.1/32"_s));
        return access;
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

    static qint64 rejected(HttpClient &client, const QString &code)
    {
        return client.adminResults().value(u"rejected_by_reason"_s).toObject().value(code).toInteger();
    }

    static HttpClient::Response voteWith(HttpClient &client, const QByteArray &voter, const Headers &headers)
    {
        return client.post(u"/v1/votes"_s, R"({"voter":")" + voter + R"(","option":"A"})", "application/json",
                           headers);
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void adminApiIsLoopbackOnlyWithoutAToken()
    {
        auto engine = startEngine(behindLocalProxy());
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.get(u"/v1/admin/results"_s).status, 200);
        for (const QString &path :
             {u"/v1/admin/results"_s, u"/v1/admin/session"_s, u"/v1/admin/votes"_s, u"/v1/admin/audit"_s}) {
            const HttpClient::Response refused = client.get(path, kRemote);
            QCOMPARE(refused.status, 403);
            QCOMPARE(refused.json().value(u"error"_s).toString(), u"forbidden"_s);
        }
        // A token sent without one configured opens nothing.
        Headers withToken = kRemote;
        withToken.append({"Authorization", "Bearer " + kToken});
        QCOMPARE(client.get(u"/v1/admin/results"_s, withToken).status, 403);
        const HttpClient::Response action =
            client.post(u"/v1/admin/window"_s, R"({"action":"open"})", "application/json", kRemote);
        QCOMPARE(action.status, 403);
        QCOMPARE(engine->windowStatus().state, WindowState::Ready);
        QCOMPARE(metric(client, R"(votedesk_admin_refused_total{reason="forbidden"})"), 6.0);
    }

    void adminTokenOpensTheApiFromAnyAddress()
    {
        AccessOptions access = behindLocalProxy();
        access.adminToken = kToken;
        auto engine = startEngine(access);
        QVERIFY(engine);
        HttpClient client(engine->port());

        const HttpClient::Response missing = client.get(u"/v1/admin/results"_s, kRemote);
        QCOMPARE(missing.status, 401);
        QCOMPARE(missing.json().value(u"error"_s).toString(), u"invalid_token"_s);
        QVERIFY(missing.header("WWW-Authenticate").startsWith("Bearer"));

        const QByteArrayList wrongs{QByteArray("Bearer " + kToken.left(kToken.size() - 1) + 'X'),
                                    QByteArray("Bearer " + kToken + 'X'),
                                    QByteArray("Basic " + kToken.toBase64()), QByteArray("Bearer ")};
        for (const QByteArray &wrong : wrongs) {
            Headers headers = kRemote;
            headers.append({"Authorization", wrong});
            const HttpClient::Response refused = client.get(u"/v1/admin/results"_s, headers);
            QCOMPARE(refused.status, 401);
            QCOMPARE(refused.json().value(u"error"_s).toString(), u"invalid_token"_s);
        }

        Headers good = kRemote;
        good.append({"Authorization", "bearer " + kToken}); // the scheme is case-insensitive
        QCOMPARE(client.get(u"/v1/admin/results"_s, good).status, 200);
        QCOMPARE(client.post(u"/v1/admin/window"_s, R"({"action":"open"})", "application/json", good).status,
                 200);
        QCOMPARE(engine->windowStatus().state, WindowState::Open);

        // Loopback needs no token, but a wrong one is refused there too.
        QCOMPARE(client.get(u"/v1/admin/results"_s).status, 200);
        QCOMPARE(client.get(u"/v1/admin/results"_s, {{"Authorization", "Bearer nope"}}).status, 401);

        QCOMPARE(metric(client, R"(votedesk_admin_refused_total{reason="token_missing"})"), 1.0);
        QCOMPARE(metric(client, R"(votedesk_admin_refused_total{reason="token_wrong"})"), 5.0);
        QCOMPARE(metric(client, "votedesk_admin_token_accepted_total"), 2.0);
    }

    void forwardedForFromAnUntrustedPeerIsIgnored()
    {
        AccessOptions access; // no trusted proxies
        access.clientRate = RateLimiter::Config{0.001, 2};
        auto engine = startEngine(access);
        QVERIFY(engine);
        HttpClient client(engine->port());
        // Loopback stays loopback whatever the header says: the admin API answers.
        QCOMPARE(client.get(u"/v1/admin/results"_s, kRemote).status, 200);
        QCOMPARE(client.admin(u"open"_s).status, 200);
        // And a spoofed address gets no bucket of its own.
        QCOMPARE(voteWith(client, "s1", {{"X-Forwarded-For", "198.51.100.1"}}).status, 202);
        QCOMPARE(voteWith(client, "s2", {{"X-Forwarded-For", "198.51.100.2"}}).status, 202);
        QCOMPARE(voteWith(client, "s3", {{"X-Forwarded-For", "198.51.100.3"}}).status, 429);
    }

    void rateLimitsPerClientAndPerVoter()
    {
        AccessOptions access = behindLocalProxy();
        // One token per 1000 s: nothing refills while the test runs, however slow the machine.
        access.clientRate = RateLimiter::Config{0.001, 3};
        access.voterRate = RateLimiter::Config{0.001, 2};
        auto engine = startEngine(access);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);

        const Headers alice{{"X-Forwarded-For", "203.0.113.1"}};
        const Headers bob{{"X-Forwarded-For", "203.0.113.2"}};
        QCOMPARE(voteWith(client, "a1", alice).status, 202);
        QCOMPARE(voteWith(client, "a2", alice).status, 202);
        QCOMPARE(voteWith(client, "a3", alice).status, 202);
        const HttpClient::Response limited = voteWith(client, "a4", alice);
        QCOMPARE(limited.status, 429);
        QCOMPARE(limited.json().value(u"error"_s).toString(), u"rate_limited"_s);
        const int retryAfter = limited.header("Retry-After").toInt();
        QVERIFY2(retryAfter >= 1 && retryAfter <= 1000, limited.header("Retry-After").constData());
        // Another client behind the same proxy has its own bucket.
        QCOMPARE(voteWith(client, "b1", bob).status, 202);

        // Per voter: the same voter id from different addresses shares one bucket.
        QCOMPARE(voteWith(client, "v", {{"X-Forwarded-For", "203.0.113.10"}}).status, 202);
        QCOMPARE(voteWith(client, "v", {{"X-Forwarded-For", "203.0.113.11"}}).status, 202);
        const HttpClient::Response voterLimited =
            voteWith(client, "v", {{"X-Forwarded-For", "203.0.113.12"}});
        QCOMPARE(voterLimited.status, 429);
        QCOMPARE(voterLimited.json().value(u"error"_s).toString(), u"rate_limited"_s);
        QVERIFY(!voterLimited.header("Retry-After").isEmpty());

        QCOMPARE(rejected(client, u"rate_limited"_s), 2);
        QCOMPARE(metric(client, R"(votedesk_rate_limited_total{key="client"})"), 1.0);
        QCOMPARE(metric(client, R"(votedesk_rate_limited_total{key="voter"})"), 1.0);
        QCOMPARE(engine->tally()->accepted, 6);
    }

    void voterTokensRefuseUnsignedVotes()
    {
        auto engine = startEngine({});
        QVERIFY(engine);
        HttpClient client(engine->port());
        QJsonObject session{
            {u"title"_s, u"Signed"_s},
            {u"voter_token"_s, u"hmac"_s},
            {u"options"_s, QJsonArray{QJsonObject{{u"key"_s, u"A"_s}}, QJsonObject{{u"key"_s, u"B"_s}}}}};
        QCOMPARE(client.postJson(u"/v1/admin/sessions"_s, session).status, 201);
        // The secret is the operator's: in the admin API, never in the public session.
        const QJsonObject definition = client.get(u"/v1/admin/session"_s).json();
        QCOMPARE(definition.value(u"voter_token"_s).toString(), u"hmac"_s);
        const QString secretText = definition.value(u"voter_token_secret"_s).toString();
        VoterToken::Key key;
        QVERIFY(VoterToken::decodeSecret(secretText, &key));
        const QJsonObject publicSession = client.get(u"/v1/session"_s).json();
        QCOMPARE(publicSession.value(u"voter_token"_s).toString(), u"hmac"_s);
        QVERIFY(!publicSession.contains(u"voter_token_secret"_s));
        QVERIFY(!client.get(u"/v1/session"_s).body.contains(secretText.toLatin1()));
        QCOMPARE(client.admin(u"open"_s).status, 200);

        const QByteArray signature = VoterToken::signHex(key.view(), "fan1");
        QCOMPARE(voteWith(client, "fan1", {{"X-Voter-Token", signature}}).status, 202);
        const QByteArray mac = QByteArray::fromHex(VoterToken::signHex(key.view(), "fan2"));
        QCOMPARE(voteWith(client, "fan2",
                          {{"X-Voter-Token",
                            mac.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)}})
                     .status,
                 202);

        const QList<QPair<Headers, QByteArray>> refusals{
            {{}, "missing"},
            {{{"X-Voter-Token", "abc"}}, "malformed"},
            {{{"X-Voter-Token", signature}}, "mismatch"}, // fan1's token on fan3's vote
        };
        for (const auto &[headers, reason] : refusals) {
            const HttpClient::Response refused = voteWith(client, "fan3", headers);
            QCOMPARE(refused.status, 401);
            QCOMPARE(refused.json().value(u"error"_s).toString(), u"invalid_token"_s);
            QCOMPARE(metric(client, R"(votedesk_voter_token_refused_total{reason=")" + reason + R"("})"),
                     1.0);
        }
        QCOMPARE(rejected(client, u"invalid_token"_s), 3);
        QCOMPARE(engine->tally()->accepted, 2);

        // The secret is stored with the session: after a restart the same tokens still work.
        engine->stop();
        engine = startEngine({});
        QVERIFY(engine);
        HttpClient again(engine->port());
        QCOMPARE(again.get(u"/v1/admin/session"_s).json().value(u"voter_token_secret"_s).toString(),
                 secretText);
        QCOMPARE(voteWith(again, "fan1", {{"X-Voter-Token", signature}}).status, 202);
    }
};

QTEST_GUILESS_MAIN(TestAbuse)
#include "tst_abuse.moc"
