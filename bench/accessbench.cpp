// votedesk-accessbench: what the access checks add to one vote on the I/O thread (core/access):
// the voter-token HMAC, the two token-bucket takes, the X-Forwarded-For walk, the fraud figures. One
// million rounds each, nanoseconds per call. Run: build/bench/votedesk-accessbench
#include <cstdio>

#include <QElapsedTimer>

#include "access/clientaddress.h"
#include "access/fraudmonitor.h"
#include "access/ratelimiter.h"
#include "access/votertoken.h"
#include "http/router.h"

namespace {
template<typename F>
void measure(const char *name, int rounds, F &&body)
{
    for (int i = 0; i < rounds / 10; ++i) // warm up
        body(i);
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < rounds; ++i)
        body(i);
    std::printf("%-44s %8.1f ns/call\n", name, double(timer.nsecsElapsed()) / rounds);
}
} // namespace

int main()
{
    constexpr int kRounds = 1'000'000;
    volatile int sink = 0;

    const QByteArray secretText = VoterToken::newSecret();
    VoterToken::Key key;
    VoterToken::decodeSecret(QString::fromLatin1(secretText), &key);
    QByteArray voters[64];
    QByteArray tokens[64];
    for (int i = 0; i < 64; ++i) {
        voters[i] = "lg4k2x9q." + QByteArray::number(1'000'000 + i);
        tokens[i] = VoterToken::signHex(key.view(), voters[i]);
    }
    const QString secret = QString::fromLatin1(secretText);
    measure("voter token: decode secret + verify (hex)", kRounds, [&](int i) {
        VoterToken::Key k;
        VoterToken::decodeSecret(secret, &k);
        sink = sink + int(VoterToken::verify(k.view(), voters[i & 63], tokens[i & 63]));
    });

    RateLimiter limiter(RateLimiter::Config{1e9, 1e9});
    measure("rate limit: take (64 Ki keys, none evicted)", kRounds, [&](int i) {
        sink = sink + int(limiter.take(std::uint64_t(i & 0xffff) * 0x9E3779B97F4A7C15ull, i));
    });

    ClientAddressResolver resolver;
    resolver.setTrustedProxies({*IpRange::parse(QStringLiteral("10.0.0.0/8"))});
    Http::HttpRequest request;
    request.headers.append({"Host", "votes.example"});
    request.headers.append({"X-Forwarded-For", "203.0.113.9, 10.1.2.3"});
    Http::RequestContext context;
    context.peerAddress = QHostAddress(QStringLiteral("10.0.0.5"));
    measure("client address: X-Forwarded-For via 2 proxies", kRounds,
            [&](int) { sink = sink + int(resolver.resolve(request, context).address.bytes[15]); });

    // The fraud figures: every vote a new voter id (the worst case, an eviction per call),
    // and every vote from the same address (loopback load: one shard, one lock).
    QByteArray manyVoters[4096];
    for (int i = 0; i < 4096; ++i)
        manyVoters[i] = "lg4k2x9q." + QByteArray::number(1'000'000 + i);
    FraudMonitor fraud;
    const IpAddress one = *IpAddress::parse("203.0.113.9");
    measure("fraud: record, new voter each call, one address", kRounds,
            [&](int i) { fraud.record(manyVoters[i & 4095], one, (i & 7) == 0, i / 1000); });
    std::array<IpAddress, 256> addresses;
    for (int i = 0; i < 256; ++i)
        addresses[std::size_t(i)] = *IpAddress::parse(QByteArray("198.51.100." + QByteArray::number(i)));
    measure("fraud: record, 64 voters, 256 addresses", kRounds,
            [&](int i) { fraud.record(voters[i & 63], addresses[std::size_t(i & 255)], false, i / 1000); });
    return sink == 42 ? 1 : 0;
}
