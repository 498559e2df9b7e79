// The access building blocks (core/access): constant-time compare, client addresses behind
// trusted proxies, token buckets, voter-token HMACs. Their use through a running engine is
// tests/faults/tst_abuse.cpp.
#include <QMessageAuthenticationCode>
#include <QTest>

#include "access/accesscontrol.h"
#include "access/clientaddress.h"
#include "access/constanttime.h"
#include "access/ratelimiter.h"
#include "access/votertoken.h"
#include "http/router.h"

using namespace Qt::Literals::StringLiterals;

class TestAccess final : public QObject
{
    Q_OBJECT

private:
    static Http::HttpRequest requestWith(QList<QByteArray> &storage,
                                         const QList<QPair<QByteArray, QByteArray>> &headers)
    {
        Http::HttpRequest request;
        for (const auto &header : headers) {
            storage.append(header.first);
            storage.append(header.second);
            request.headers.append(Http::HttpHeader{storage[storage.size() - 2], storage.last()});
        }
        return request;
    }

    static Http::RequestContext from(const QString &peer)
    {
        Http::RequestContext context;
        context.peerAddress = QHostAddress(peer);
        context.peerIsLoopback = context.peerAddress.isLoopback();
        return context;
    }

private Q_SLOTS:
    void constantTimeEqualsIsEquality_data()
    {
        QTest::addColumn<QByteArray>("presented");
        QTest::addColumn<QByteArray>("secret");
        QTest::addColumn<bool>("equal");
        QTest::newRow("same") << "s3cret-token-1234"_ba
                              << "s3cret-token-1234"_ba << true;
        QTest::newRow("last byte") << "s3cret-token-1235"_ba
                                   << "s3cret-token-1234"_ba << false;
        QTest::newRow("first byte") << "t3cret-token-1234"_ba
                                    << "s3cret-token-1234"_ba << false;
        QTest::newRow("prefix") << "s3cret-token-123"_ba
                                << "s3cret-token-1234"_ba << false;
        QTest::newRow("longer") << "s3cret-token-12345"_ba
                                << "s3cret-token-1234"_ba << false;
        // A presented value that repeats the secret's start must not pass by wrapping around.
        QTest::newRow("repeat") << "ab"_ba
                                << "abab"_ba << false;
        QTest::newRow("empty presented") << QByteArray() << "s3cret"_ba << false;
        QTest::newRow("empty secret") << QByteArray() << QByteArray() << false;
    }
    void constantTimeEqualsIsEquality()
    {
        QFETCH(QByteArray, presented);
        QFETCH(QByteArray, secret);
        QFETCH(bool, equal);
        QCOMPARE(constantTimeEquals(presented, secret), equal);
    }

    void addressesAndRanges()
    {
        const auto v4 = IpAddress::parse("192.0.2.7");
        QVERIFY(v4);
        QVERIFY(v4->isV4());
        QCOMPARE(v4->toString(), u"192.0.2.7"_s);
        QCOMPARE(IpAddress::fromHostAddress(QHostAddress(u"192.0.2.7"_s)), *v4);
        QCOMPARE(IpAddress::fromHostAddress(QHostAddress(u"::ffff:192.0.2.7"_s)), *v4);
        QVERIFY(IpAddress::parse("127.3.4.5")->isLoopback());
        QVERIFY(IpAddress::parse("::1")->isLoopback());
        QVERIFY(IpAddress::parse("[2001:db8::1]"));
        QVERIFY(!IpAddress::parse("192.0.2.7:80"));
        QVERIFY(!IpAddress::parse("unknown"));
        QVERIFY(!IpAddress::parse(""));
        QVERIFY(!IpAddress::parse(QByteArrayView("1.2.3.4\0", 8)));

        const auto range = IpRange::parse(u"10.1.0.0/16"_s);
        QVERIFY(range);
        QVERIFY(range->contains(*IpAddress::parse("10.1.200.3")));
        QVERIFY(!range->contains(*IpAddress::parse("10.2.0.1")));
        QVERIFY(!range->contains(*IpAddress::parse("2001:db8::1")));
        QCOMPARE(range->toString(), u"10.1.0.0/16"_s);
        const auto host = IpRange::parse(u"192.0.2.7"_s);
        QVERIFY(host->contains(*v4));
        QVERIFY(!host->contains(*IpAddress::parse("192.0.2.8")));
        QVERIFY(IpRange::parse(u"2001:db8::/32"_s)->contains(*IpAddress::parse("2001:db8:ffff::1")));
        QVERIFY(IpRange::parse(u"0.0.0.0/0"_s)->contains(*v4));
        QVERIFY(!IpRange::parse(u"10.0.0.0/33"_s));
        QVERIFY(!IpRange::parse(u"10.0.0.0/x"_s));
        QVERIFY(!IpRange::parse(u"nonsense"_s));
    }

    void forwardedForIsBelievedOnlyFromTrustedProxies_data()
    {
        QTest::addColumn<QString>("peer");
        QTest::addColumn<QByteArrayList>("forwardedFor");
        QTest::addColumn<QString>("client");
        QTest::addColumn<bool>("forwarded");
        const QByteArrayList none;
        QTest::newRow("no header") << u"10.0.0.5"_s << none << u"10.0.0.5"_s << false;
        QTest::newRow("trusted proxy")
            << u"10.0.0.5"_s << QByteArrayList{"203.0.113.9"} << u"203.0.113.9"_s << true;
        QTest::newRow("untrusted peer")
            << u"198.51.100.1"_s << QByteArrayList{"203.0.113.9"} << u"198.51.100.1"_s << false;
        // A client that writes its own X-Forwarded-For gets it appended to, not believed.
        QTest::newRow("spoof left of the proxy")
            << u"10.0.0.5"_s << QByteArrayList{"1.2.3.4, 203.0.113.9"} << u"203.0.113.9"_s << true;
        QTest::newRow("chain of trusted proxies")
            << u"10.0.0.5"_s << QByteArrayList{"203.0.113.9, 10.0.0.7"} << u"203.0.113.9"_s << true;
        QTest::newRow("several lines, last is rightmost")
            << u"10.0.0.5"_s << QByteArrayList{"1.2.3.4", "203.0.113.9"} << u"203.0.113.9"_s << true;
        QTest::newRow("garbage stops at the last trusted hop")
            << u"10.0.0.5"_s << QByteArrayList{"203.0.113.9, garbage, 10.0.0.7"} << u"10.0.0.7"_s << true;
        QTest::newRow("ipv6 client") << u"10.0.0.5"_s << QByteArrayList{"2001:db8::5"} << u"2001:db8::5"_s
                                     << true;
    }
    void forwardedForIsBelievedOnlyFromTrustedProxies()
    {
        QFETCH(QString, peer);
        QFETCH(QByteArrayList, forwardedFor);
        QFETCH(QString, client);
        QFETCH(bool, forwarded);
        ClientAddressResolver resolver;
        resolver.setTrustedProxies({*IpRange::parse(u"10.0.0.0/24"_s)});
        QList<QByteArray> storage;
        QList<QPair<QByteArray, QByteArray>> headers;
        for (const QByteArray &value : forwardedFor)
            headers.append({"X-Forwarded-For", value});
        const Http::HttpRequest request = requestWith(storage, headers);
        const ClientAddress resolved = resolver.resolve(request, from(peer));
        QCOMPARE(resolved.address.toString(), client);
        QCOMPARE(resolved.forwarded, forwarded);
    }

    void relaySecretTrustsOnlyTheTerminator()
    {
        ClientAddressResolver resolver;
        resolver.setRelaySecret("relay-secret-0123456789");
        QList<QByteArray> storage;
        const Http::HttpRequest proven = requestWith(
            storage, {{"X-Forwarded-For", "203.0.113.9"}, {"X-Votedesk-Relay", "relay-secret-0123456789"}});
        QCOMPARE(resolver.resolve(proven, from(u"127.0.0.1"_s)).address.toString(), u"203.0.113.9"_s);
        // The right secret from another host proves nothing: the terminator is on loopback.
        QCOMPARE(resolver.resolve(proven, from(u"198.51.100.1"_s)).address.toString(), u"198.51.100.1"_s);
        QList<QByteArray> storage2;
        const Http::HttpRequest guessed =
            requestWith(storage2, {{"X-Forwarded-For", "203.0.113.9"}, {"X-Votedesk-Relay", "guess"}});
        const ClientAddress local = resolver.resolve(guessed, from(u"127.0.0.1"_s));
        QVERIFY(local.isLoopback());
        QVERIFY(!local.forwarded);
    }

    void tokenBucketAllowsBurstThenRefusesWithTheWait()
    {
        RateLimiter limiter(RateLimiter::Config{2.0, 3.0});
        const qint64 t0 = 1'000'000;
        QCOMPARE(limiter.take(42, t0), 0);
        QCOMPARE(limiter.take(42, t0), 0);
        QCOMPARE(limiter.take(42, t0), 0);
        QCOMPARE(limiter.take(42, t0), 500); // 2/s: the next token in half a second
        QCOMPARE(limiter.take(42, t0 + 100), 400);
        QCOMPARE(limiter.take(7, t0), 0); // another key has its own bucket
        QCOMPARE(limiter.take(42, t0 + 500), 0);
        QCOMPARE(limiter.take(42, t0 + 500), 500);
        // Refills up to the burst, never beyond.
        for (int i = 0; i < 3; ++i)
            QCOMPARE(limiter.take(42, t0 + 60'000), 0);
        QVERIFY(limiter.take(42, t0 + 60'000) > 0);
        QCOMPARE(limiter.size(), 2);
    }

    void disabledLimiterTakesEverything()
    {
        RateLimiter limiter;
        QVERIFY(!limiter.enabled());
        for (int i = 0; i < 1000; ++i)
            QCOMPARE(limiter.take(1, 0), 0);
        QCOMPARE(limiter.size(), 0);
    }

    void memoryIsBoundedAndIdleBucketsGoFirst()
    {
        RateLimiter::Config config{1.0, 2.0};
        config.maxKeysPerShard = 16;
        RateLimiter limiter(config);
        // A flood of distinct keys never holds more than the table's size.
        for (std::uint64_t key = 0; key < 100'000; ++key)
            limiter.take(key, 0);
        QVERIFY(limiter.size() <= qint64(RateLimiter::kShardCount) * config.maxKeysPerShard);
        QVERIFY(limiter.evictions() > 0);

        // An abuser whose bucket is empty is kept while idle (refilled) buckets are forgotten.
        RateLimiter fair(config);
        const std::uint64_t abuser = 5 * RateLimiter::kShardCount; // all keys below in one shard
        fair.take(abuser, 10'000);
        fair.take(abuser, 10'000);
        QVERIFY(fair.take(abuser, 10'000) > 0);
        for (std::uint64_t i = 1; i <= 15; ++i)
            fair.take(abuser + i * RateLimiter::kShardCount, 0);   // long idle by t = 10 s: full again
        fair.take(abuser + 16 * RateLimiter::kShardCount, 10'000); // the shard is full: make room
        QVERIFY(fair.take(abuser, 10'000) > 0);                    // still limited
    }

    void voterTokenIsRfc2104HmacSha256()
    {
        VoterToken::Key key;
        const QByteArray secretText = VoterToken::newSecret();
        QCOMPARE(secretText.size(), 43);
        QVERIFY(VoterToken::decodeSecret(QString::fromLatin1(secretText), &key));
        QCOMPARE(key.size, 32);
        const QByteArray bytes = QByteArray::fromBase64(secretText, QByteArray::Base64UrlEncoding);
        QCOMPARE(key.view().toByteArray(), bytes);
        for (const QByteArray &voter : {"u1"_ba, "+4915112345678"_ba, QByteArray(64, 'x')}) {
            // An independent implementation: Qt's QMessageAuthenticationCode.
            const QByteArray reference =
                QMessageAuthenticationCode::hash(voter, bytes, QCryptographicHash::Sha256);
            QCOMPARE(VoterToken::signHex(bytes, voter), reference.toHex());
            QCOMPARE(VoterToken::verify(bytes, voter, reference.toHex()), VoterToken::Check::Valid);
            QCOMPARE(VoterToken::verify(bytes, voter, reference.toHex().toUpper()), VoterToken::Check::Valid);
            QCOMPARE(VoterToken::verify(
                         bytes, voter,
                         reference.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)),
                     VoterToken::Check::Valid);
        }
        // RFC 4231 test case 2 (a short key; ours are 16-64 bytes, the maths is the same).
        QCOMPARE(VoterToken::signHex("Jefe", "what do ya want for nothing?"),
                 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"_ba);
    }

    void voterTokenRefusals_data()
    {
        QTest::addColumn<QByteArray>("presented");
        QTest::addColumn<int>("check");
        const QByteArray secret = "0123456789abcdef0123456789abcdef";
        const QByteArray good = VoterToken::signHex(secret, "u1");
        QTest::newRow("missing") << QByteArray() << int(VoterToken::Check::Missing);
        QTest::newRow("short") << good.left(63) << int(VoterToken::Check::Malformed);
        QTest::newRow("not hex") << QByteArray(good.left(63) + 'g') << int(VoterToken::Check::Malformed);
        QTest::newRow("padded base64") << QByteArray(43, 'A') + '=' << int(VoterToken::Check::Malformed);
        QTest::newRow("base64 with stray bits")
            << QByteArray(42, 'A') + 'B' << int(VoterToken::Check::Malformed);
        QTest::newRow("another voter's")
            << VoterToken::signHex(secret, "u2") << int(VoterToken::Check::Mismatch);
        QTest::newRow("another secret") << VoterToken::signHex("fedcba9876543210fedcba9876543210", "u1")
                                        << int(VoterToken::Check::Mismatch);
        QTest::newRow("one bit off") << QByteArray(good.left(63) + (good.endsWith('0') ? '1' : '0'))
                                     << int(VoterToken::Check::Mismatch);
    }
    void voterTokenRefusals()
    {
        QFETCH(QByteArray, presented);
        QFETCH(int, check);
        QCOMPARE(int(VoterToken::verify("0123456789abcdef0123456789abcdef", "u1", presented)), check);
    }

    void secretsMustBeUsable()
    {
        VoterToken::Key key;
        QVERIFY(!VoterToken::decodeSecret(u"short"_s, &key));                    // < 16 bytes
        QVERIFY(!VoterToken::decodeSecret(QString(87, u'A'), &key));             // > 64 bytes
        QVERIFY(!VoterToken::decodeSecret(u"AAAAAAAAAAAAAAAAAAAAAA=="_s, &key)); // padded
        QVERIFY(!VoterToken::decodeSecret(u"AAAAAAAAAAAAAAAAAAAAA+"_s, &key));   // '+' is not base64url
        QVERIFY(VoterToken::decodeSecret(u"AAAAAAAAAAAAAAAAAAAAAA"_s, &key));    // 16 zero bytes
        QCOMPARE(key.size, 16);
    }

    void retryAfterRoundsUp()
    {
        QCOMPARE(AccessControl::retryAfterSeconds(1), "1"_ba);
        QCOMPARE(AccessControl::retryAfterSeconds(1000), "1"_ba);
        QCOMPARE(AccessControl::retryAfterSeconds(1001), "2"_ba);
        QCOMPARE(AccessControl::retryAfterSeconds(100'000), "100"_ba);
    }
};

QTEST_GUILESS_MAIN(TestAccess)
#include "tst_access.moc"
