// Slow and idle clients against a running Engine (README, "Guarantees"): a thousand idle
// keep-alive connections and a crowd of slow-header clients (slow loris: a request begun and
// then trickled a byte at a time, never finished) do not stop anyone else from voting; the
// slow ones get 408 request_timeout after --header-timeout-ms however much they trickle, the
// idle ones are closed after --idle-timeout-ms, and the counters say so.
//
// Loopback only, bounded: VOTEDESK_SLOW_IDLE (default 1000) idle connections and
// VOTEDESK_SLOW_LORIS (default 50) slow ones; bench/faults.sh runs more.
#include <algorithm>
#include <cerrno>
#include <memory>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "../integration/httpclient.h"
#include "engine/engine.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// A plain blocking socket: a thousand QTcpSockets would cost the test more than the server.
struct RawClient
{
    int fd = -1;
    QByteArray received;
    bool closedByServer = false;

    ~RawClient()
    {
        if (fd >= 0)
            ::close(fd);
    }

    bool connectTo(quint16 port)
    {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    }

    void send(QByteArrayView bytes)
    {
        if (!closedByServer) [[maybe_unused]]
            const ssize_t n =
                ::send(fd, bytes.data(), std::size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
    }

    // Reads what has arrived without waiting; true once the server has closed its side.
    bool poll()
    {
        char buffer[4096];
        while (!closedByServer) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0)
                received.append(buffer, n);
            else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                closedByServer = true;
            else
                break;
        }
        return closedByServer;
    }
};

int envCount(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok && value > 0 ? value : fallback;
}

double metric(HttpClient &client, const QString &name)
{
    const QString text = QString::fromUtf8(client.get(u"/metrics"_s).body);
    const QRegularExpression line(u"^%1 (\\S+)$"_s.arg(QRegularExpression::escape(name)),
                                  QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = line.match(text);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}
} // namespace

class TestSlowClients final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_idleCount = 0;
    int m_slowCount = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_idleCount = envCount("VOTEDESK_SLOW_IDLE", 1000);
        m_slowCount = envCount("VOTEDESK_SLOW_LORIS", 50);
        // Each connection is a descriptor on both ends, in this one process: as the app does
        // (app/main.cpp), take the hard limit; the default soft limit of 1024 is not enough.
        rlimit limit{};
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &limit), 0);
        limit.rlim_cur = limit.rlim_max;
        QCOMPARE(::setrlimit(RLIMIT_NOFILE, &limit), 0);
        // Under a low hard limit, a smaller crowd still makes the point; below a hundred idle
        // connections it would not, and the test fails saying why.
        const rlim_t needed = rlim_t(2 * (m_idleCount + m_slowCount) + 256);
        if (limit.rlim_cur < needed)
            m_idleCount = limit.rlim_cur > 256 ? int((limit.rlim_cur - 256) / 2) - m_slowCount : 0;
        QVERIFY2(m_idleCount >= 100,
                 qPrintable(u"the open file limit (%1) is below the descriptors this test needs (%2)"_s
                                .arg(limit.rlim_cur)
                                .arg(needed)));
    }

    void idleAndSlowClientsDoNotStopVotersAndAreTimedOut()
    {
        Engine::Options options;
        options.databasePath = m_dir.filePath(u"votedesk.db"_s);
        options.port = 0;
        options.ioThreads = 2;
        options.durability = Durability::Normal; // about connections, not fsync
        options.headerTimeoutMs = 2000;
        options.idleTimeoutMs = 6000;
        Engine engine(options);
        QString error;
        QVERIFY2(engine.start(&error), qPrintable(error));
        QVERIFY(engine.openLines(&error));

        // The idle crowd: connected, nothing sent.
        std::vector<std::unique_ptr<RawClient>> idle;
        for (int i = 0; i < m_idleCount; ++i) {
            idle.push_back(std::make_unique<RawClient>());
            QVERIFY2(idle.back()->connectTo(engine.port()), qPrintable(u"idle connection %1"_s.arg(i)));
        }
        // The slow ones: a vote's request line and a header begun, then one byte every 200 ms.
        std::vector<std::unique_ptr<RawClient>> slow;
        for (int i = 0; i < m_slowCount; ++i) {
            slow.push_back(std::make_unique<RawClient>());
            QVERIFY(slow.back()->connectTo(engine.port()));
            slow.back()->send("POST /v1/votes HTTP/1.1\r\nHost: t\r\nX-Slow: ");
        }
        QTimer trickle;
        trickle.setInterval(200);
        connect(&trickle, &QTimer::timeout, this, [&slow] {
            for (auto &client : slow)
                client->send("a");
        });
        trickle.start();

        HttpClient client(engine.port());
        const double openConnections = m_idleCount + m_slowCount;
        QTRY_VERIFY_WITH_TIMEOUT(metric(client, u"votedesk_http_connections_open"_s) >= openConnections,
                                 20'000);

        // Everyone else votes as usual meanwhile.
        for (int i = 0; i < 20; ++i) {
            const HttpClient::Response vote = client.vote(u"voter%1"_s.arg(i), u"A"_s);
            QCOMPARE(vote.status, 202);
        }
        QCOMPARE(client.get(u"/v1/admin/results"_s).status, 200);
        QCOMPARE(engine.tally()->accepted, 20);
        // The idle crowd was still there while they voted (idle timeout 6 s).
        QVERIFY(metric(client, u"votedesk_http_connections_open"_s) >= m_idleCount);

        // The slow ones are answered 408 and closed, trickling or not.
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(slow.begin(), slow.end(), [](auto &c) { return c->poll(); }),
                                 30'000);
        for (auto &c : slow) {
            QVERIFY2(c->received.startsWith("HTTP/1.1 408 "), c->received.constData());
            QVERIFY(c->received.contains("\"error\":\"request_timeout\""));
            QVERIFY(c->received.contains("Connection: close"));
        }
        // The idle ones are closed silently.
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(idle.begin(), idle.end(), [](auto &c) { return c->poll(); }),
                                 30'000);
        for (auto &c : idle)
            QVERIFY(c->received.isEmpty());
        trickle.stop();

        QCOMPARE(metric(client, u"votedesk_http_request_timeouts_total"_s), double(m_slowCount));
        QVERIFY(metric(client, u"votedesk_http_idle_timeouts_total"_s) >= m_idleCount);
        QCOMPARE(client.vote(u"late-voter"_s, u"B"_s).status, 202); // and the server is fine
    }
};

QTEST_GUILESS_MAIN(TestSlowClients)
#include "tst_slowclients.moc"
