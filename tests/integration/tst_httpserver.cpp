#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMutex>
#include <QObject>
#include <QScopeGuard>
#include <QSet>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QTimeZone>

#include "http/httpserver.h"

using namespace Http;
using namespace Qt::Literals::StringLiterals;

namespace {

// State the handlers (I/O thread) and the test (main thread) share.
struct Shared
{
    QMutex mutex;
    QList<ReplyTicket> tickets;
    QList<QByteArray> ticketLabels;
    QList<QPair<int, QByteArray>> protocolErrors;
    QList<std::thread::id> ticketThreads; // the I/O thread each deferred request ran on

    qsizetype ticketCount()
    {
        QMutexLocker lock(&mutex);
        return tickets.size();
    }
    ReplyTicket ticket(qsizetype index)
    {
        QMutexLocker lock(&mutex);
        return tickets.value(index);
    }
    QByteArray label(qsizetype index)
    {
        QMutexLocker lock(&mutex);
        return ticketLabels.value(index);
    }
    QList<QPair<int, QByteArray>> errors()
    {
        QMutexLocker lock(&mutex);
        return protocolErrors;
    }
    std::thread::id thread(qsizetype index)
    {
        QMutexLocker lock(&mutex);
        return ticketThreads.value(index);
    }
};

Router makeRouter(const std::shared_ptr<Shared> &shared)
{
    Router router;
    router.add(Method::Get, "/now", [](const HttpRequest &request, const RequestContext &) {
        return std::optional<HttpResponse>(HttpResponse::text(200, "now:" + request.query.toByteArray()));
    });
    router.add(Method::Post, "/echo", [](const HttpRequest &request, const RequestContext &) {
        return std::optional<HttpResponse>(
            HttpResponse(200, request.header("content-type").toByteArray(), request.body.toByteArray()));
    });
    router.add(Method::Get, "/bye", [](const HttpRequest &, const RequestContext &) {
        return std::optional<HttpResponse>(HttpResponse::text(200, "bye").setCloseConnection());
    });
    router.add(Method::Get, "/peer", [](const HttpRequest &, const RequestContext &ctx) {
        const QByteArray text =
            (ctx.peerIsLoopback ? "loopback " : "remote ") + ctx.peerAddress.toString().toLatin1();
        return std::optional<HttpResponse>(HttpResponse::text(200, text));
    });
    // Deferred: keeps the ticket; the test answers later from another thread.
    const RequestHandler later = [shared](const HttpRequest &request, const RequestContext &ctx) {
        QMutexLocker lock(&shared->mutex);
        shared->tickets.append(ctx.ticket);
        shared->ticketLabels.append(request.query.toByteArray());
        shared->ticketThreads.append(std::this_thread::get_id());
        return std::optional<HttpResponse>();
    };
    router.add(Method::Get, "/later", later);
    router.add(Method::Post, "/later", later);
    // Large enough that a client that does not read fills the socket buffers.
    router.add(Method::Get, "/big", [](const HttpRequest &, const RequestContext &) {
        return std::optional<HttpResponse>(HttpResponse::text(200, QByteArray(256 * 1024, 'b')));
    });
    // Readable from any origin: immediate and deferred answers carry the CORS header.
    router.add(Method::Get, "/public", [](const HttpRequest &, const RequestContext &) {
        return std::optional<HttpResponse>(HttpResponse::text(200, "public"));
    });
    router.add(Method::Post, "/public", later);
    router.allowCrossOrigin("/public");
    return router;
}

struct Response
{
    QByteArray statusLine;
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArray header(const QByteArray &lowerCaseName) const
    {
        for (const auto &[name, value] : headers) {
            if (name == lowerCaseName)
                return value;
        }
        return {};
    }
    bool hasHeader(const QByteArray &lowerCaseName) const
    {
        return std::any_of(headers.cbegin(), headers.cend(),
                           [&](const auto &header) { return header.first == lowerCaseName; });
    }
    QString jsonError() const { return QJsonDocument::fromJson(body).object().value(u"error"_s).toString(); }
};

// Takes one response off the front of buffer, if it is all there.
bool takeResponse(QByteArray &buffer, Response &out, bool headOnly)
{
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return false;
    Response response;
    const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
    response.statusLine = lines.first().trimmed();
    response.status = response.statusLine.mid(9, 3).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        response.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    qsizetype bodyLength = response.header("content-length").toLongLong();
    if (headOnly || response.status < 200 || response.status == 204 || response.status == 304)
        bodyLength = 0;
    if (buffer.size() < headEnd + 4 + bodyLength)
        return false;
    response.body = buffer.mid(headEnd + 4, bodyLength);
    buffer.remove(0, headEnd + 4 + bodyLength);
    out = std::move(response);
    return true;
}

// A raw HTTP client on the test thread: exact bytes out, responses parsed as they arrive.
class Client final
{
public:
    explicit Client(quint16 port)
    {
        QObject::connect(&m_socket, &QTcpSocket::readyRead, [this] { readAvailable(); });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }

    // Queued in the socket and sent by the event loop (also before the connection is up);
    // QTRY_* in the tests run that loop.
    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    // The next n final responses answer HEAD requests (no body despite Content-Length).
    void expectHeadResponses(int n) { m_headPending += n; }

    qsizetype responseCount()
    {
        readAvailable();
        return m_responses.size();
    }
    const QList<Response> &responses() const { return m_responses; }
    const Response &response(qsizetype i) const { return m_responses.at(i); }
    const QList<QByteArray> &reads() const { return m_reads; }
    QByteArray received() const { return m_received; }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    bool isClosed() const { return m_socket.state() == QAbstractSocket::UnconnectedState; }
    QTcpSocket &socket() { return m_socket; }

private:
    void readAvailable()
    {
        const QByteArray data = m_socket.readAll();
        if (data.isEmpty())
            return;
        m_reads.append(data);
        m_received += data;
        m_pending += data;
        Response response;
        while (takeResponse(m_pending, response, m_headPending > 0 && !m_pending.startsWith("HTTP/1.1 1"))) {
            if (response.status >= 200 && m_headPending > 0)
                --m_headPending;
            m_responses.append(std::move(response));
        }
    }

    QTcpSocket m_socket;
    QByteArray m_pending;
    QByteArray m_received;
    QList<QByteArray> m_reads;
    QList<Response> m_responses;
    int m_headPending = 0;
};

// Answers from a thread that is neither the I/O thread nor the test thread, as the journal
// writer does.
void replyFromOtherThread(std::vector<PendingReply> replies)
{
    std::thread thread([batch = std::move(replies)]() mutable { sendReplies(std::move(batch)); });
    thread.join();
}

void replyFromOtherThread(const ReplyTicket &ticket, HttpResponse response)
{
    std::vector<PendingReply> replies;
    replies.emplace_back(ticket, std::move(response));
    replyFromOtherThread(std::move(replies));
}

// A client socket for what QTcpSocket does not do: never reading, half-closing, or sending
// a request by the byte. Connects blocking (loopback completes in the kernel, before the
// server accepts); all I/O afterwards is non-blocking.
class RawSocket final
{
public:
    explicit RawSocket(quint16 port, int receiveBufferSize = 0)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (receiveBufferSize > 0) // before connect(), so that the window is small from the start
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferSize, sizeof receiveBufferSize);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    }
    ~RawSocket()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Q_DISABLE_COPY_MOVE(RawSocket)

    bool isConnected() const { return m_connected; }
    // What the socket takes without blocking.
    qsizetype sendSome(QByteArrayView data)
    {
        const ssize_t sent = ::send(m_fd, data.data(), std::size_t(data.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
        return sent < 0 ? 0 : qsizetype(sent);
    }
    void shutdownWrite() { ::shutdown(m_fd, SHUT_WR); }
    // Takes what has arrived; true once the server has closed its side.
    bool readAvailable()
    {
        char buffer[16 * 1024];
        for (;;) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                m_received.append(buffer, n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR))
                m_closed = true;
            return m_closed;
        }
    }
    const QByteArray &received() const { return m_received; }

private:
    int m_fd = -1;
    bool m_connected = false;
    bool m_closed = false;
    QByteArray m_received;
};

// Answers every deferred request from its own thread as soon as it can, in batches, the
// way the journal writer does: the body is the request's query.
// Crossing: I/O threads -> this thread through m_pending under m_mutex.
class AutoReplier final
{
public:
    AutoReplier()
        : m_thread([this] { run(); })
    {}
    ~AutoReplier() { stop(); }
    Q_DISABLE_COPY_MOVE(AutoReplier)

    // Afterwards nothing more is sent, and tickets pushed are dropped.
    void stop()
    {
        {
            const std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_one();
        if (m_thread.joinable())
            m_thread.join();
    }

    void push(const ReplyTicket &ticket, QByteArray label)
    {
        {
            const std::lock_guard lock(m_mutex);
            if (m_stop)
                return;
            m_pending.emplace_back(ticket, HttpResponse::text(200, std::move(label)));
        }
        m_wake.notify_one();
    }

private:
    void run()
    {
        for (;;) {
            std::vector<PendingReply> batch;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_stop || !m_pending.empty(); });
                if (m_stop)
                    return;
                batch.swap(m_pending);
            }
            sendReplies(std::move(batch));
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<PendingReply> m_pending;
    bool m_stop = false;
    std::thread m_thread;
};

HttpServer::Options testOptions()
{
    HttpServer::Options options;
    // Two I/O threads whatever the machine: connections alternate between them, so every
    // test also exercises the hand-over of accepted sockets and of replies.
    options.ioThreads = 2;
    return options;
}

} // namespace

class TestHttpServer final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void keepAliveTwoRequests();
    void responseHeaders();
    void headOmitsBody();
    void deferredReplyFromAnotherThread();
    void pipeliningKeepsOrder();
    void repliesForSeveralConnectionsInOneBatch();
    void http10WithoutKeepAliveIsClosed();
    void http10KeepAliveIsEchoed();
    void connectionCloseRequested();
    void handlerAsksToClose();
    void parseErrorAnswersAndCloses();
    void parseErrorWaitsForEarlierAnswers();
    void headersTooLargeCloses();
    void payloadTooLargeCloses();
    void lengthRequiredCloses();
    void expectContinue();
    void expectContinueWaitsForEarlierAnswers();
    void expectContinueRefusedWhenTooLarge();
    void backpressureStopsParsing();
    void replyForGoneClientIsDropped();
    void peerAddress();
    void countersMove();
    void closeWithOpenConnections();
    void listenFailsOnBusyPort();
    void lifecycleWithoutListen();

    // The epoll I/O threads.
    void severalIoThreads();
    void manyClientsWithDeferredReplies();
    void corsOnImmediateAndDeferredAnswers();
    void maxConnectionsRefusesExcess();
    void headerTimeoutAnswers408();
    void idleTimeoutClosesKeepAlive();
    void slowClientsDoNotBlockOthers();
    void clientHalfCloseGetsReadyAnswers();
    void replyForReusedSlotIsDropped();
    void closeWhileSending();

private:
    bool startServer(HttpServer::Options options = testOptions());
    bool restartServer(const HttpServer::Options &options);

    std::shared_ptr<Shared> m_shared;
    std::unique_ptr<HttpServer> m_server;
};

bool TestHttpServer::startServer(HttpServer::Options options)
{
    m_shared = std::make_shared<Shared>();
    m_server = std::make_unique<HttpServer>(makeRouter(m_shared), options);
    const std::shared_ptr<Shared> shared = m_shared;
    m_server->setProtocolErrorObserver([shared](int status, const QByteArray &code) {
        QMutexLocker lock(&shared->mutex);
        shared->protocolErrors.append({status, code});
    });
    QString error;
    const bool ok = m_server->listen(QHostAddress::LocalHost, 0, &error);
    if (!ok)
        qWarning("listen failed: %s", qPrintable(error));
    return ok && m_server->serverPort() != 0;
}

bool TestHttpServer::restartServer(const HttpServer::Options &options)
{
    m_server.reset();
    return startServer(options);
}

void TestHttpServer::init()
{
    QVERIFY(startServer());
    QVERIFY(m_server->isListening());
}

void TestHttpServer::cleanup()
{
    m_server.reset();
    m_shared.reset();
}

void TestHttpServer::keepAliveTwoRequests()
{
    Client client(m_server->serverPort());
    client.send("GET /now?a HTTP/1.1\r\nHost: t\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 1);
    client.send("GET /now?b HTTP/1.1\r\nHost: t\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(0).status, 200);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("now:a"));
    QCOMPARE(client.response(1).body, QByteArrayLiteral("now:b"));
    QVERIFY(!client.response(1).hasHeader("connection"));
    QVERIFY(client.isConnected());
    QCOMPARE(m_server->counters().connectionsAccepted.load(), 1);
    QCOMPARE(m_server->counters().requests.load(), 2);
}

void TestHttpServer::responseHeaders()
{
    Client client(m_server->serverPort());
    client.send("GET /now?x HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 1);
    const Response &response = client.response(0);
    QCOMPARE(response.statusLine, QByteArrayLiteral("HTTP/1.1 200 OK"));
    QCOMPARE(response.header("content-type"), QByteArrayLiteral("text/plain; charset=utf-8"));
    QCOMPARE(response.header("content-length"), QByteArrayLiteral("5"));
    QCOMPARE(response.header("server"), QByteArrayLiteral("votedesk"));
    const QByteArray date = response.header("date");
    QVERIFY2(date.endsWith(" GMT") && date.size() == 29, date.constData());
    QDateTime parsed =
        QLocale::c().toDateTime(QString::fromLatin1(date), u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s);
    QVERIFY2(parsed.isValid(), date.constData());
    parsed.setTimeZone(QTimeZone::utc());
    // Generous: only checks that the fields are UTC and in the right places, not timing.
    QVERIFY(qAbs(parsed.secsTo(QDateTime::currentDateTimeUtc())) < 3600);
}

void TestHttpServer::headOmitsBody()
{
    Client client(m_server->serverPort());
    client.expectHeadResponses(1);
    client.send("HEAD /now?abc HTTP/1.1\r\n\r\nGET /now?after HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(0).status, 200);
    QCOMPARE(client.response(0).header("content-length"), QByteArrayLiteral("7")); // "now:abc"
    QVERIFY(client.response(0).body.isEmpty());
    // Had the body been sent, the second response would start with it.
    QCOMPARE(client.response(1).statusLine, QByteArrayLiteral("HTTP/1.1 200 OK"));
    QCOMPARE(client.response(1).body, QByteArrayLiteral("now:after"));
    QVERIFY(!client.received().contains("now:abc"));
}

void TestHttpServer::deferredReplyFromAnotherThread()
{
    Client client(m_server->serverPort());
    client.send("POST /later?vote HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    QTRY_COMPARE(m_shared->ticketCount(), 1);
    QCOMPARE(client.responseCount(), 0);
    const ReplyTicket ticket = m_shared->ticket(0);
    QVERIFY(ticket.isValid());
    replyFromOtherThread(ticket, HttpResponse::json(202, "{\"status\":\"accepted\"}"));
    QTRY_COMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).status, 202);
    QCOMPARE(client.response(0).statusLine, QByteArrayLiteral("HTTP/1.1 202 Accepted"));
    QCOMPARE(client.response(0).body, QByteArrayLiteral("{\"status\":\"accepted\"}"));
    QVERIFY(client.isConnected());

    // A second answer for the same ticket is ignored, and the connection keeps working.
    replyFromOtherThread(ticket, HttpResponse::text(500, "twice"));
    client.send("GET /now?next HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(1).body, QByteArrayLiteral("now:next"));
}

void TestHttpServer::pipeliningKeepsOrder()
{
    Client client(m_server->serverPort());
    client.send("GET /later?1 HTTP/1.1\r\n\r\n"
                "GET /now?2 HTTP/1.1\r\n\r\n"
                "GET /now?3 HTTP/1.1\r\n\r\n");
    // All three have been dispatched; the two immediate answers are ready but held back.
    QTRY_COMPARE(m_server->counters().requests.load(), 3);
    QCOMPARE(m_shared->ticketCount(), 1);
    QCOMPARE(client.responseCount(), 0);
    QVERIFY(client.received().isEmpty());

    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, "later:1"));
    QTRY_COMPARE(client.responseCount(), 3);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("later:1"));
    QCOMPARE(client.response(1).body, QByteArrayLiteral("now:2"));
    QCOMPARE(client.response(2).body, QByteArrayLiteral("now:3"));
    // They became ready together, so they left in one write and arrived in one read.
    QCOMPARE(client.reads().size(), 1);
}

void TestHttpServer::repliesForSeveralConnectionsInOneBatch()
{
    Client first(m_server->serverPort());
    Client second(m_server->serverPort());
    first.send("GET /later?first HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 1);
    second.send("GET /later?second HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 2);
    // Consecutive connections go to different I/O threads, so this one batch is split.
    QVERIFY(m_shared->ticket(0).context != m_shared->ticket(1).context);

    std::vector<PendingReply> batch;
    batch.emplace_back(m_shared->ticket(1), HttpResponse::text(200, "to-second"));
    batch.emplace_back(m_shared->ticket(0), HttpResponse::text(200, "to-first"));
    replyFromOtherThread(std::move(batch));
    QTRY_COMPARE(first.responseCount(), 1);
    QTRY_COMPARE(second.responseCount(), 1);
    QCOMPARE(first.response(0).body, QByteArrayLiteral("to-first"));
    QCOMPARE(second.response(0).body, QByteArrayLiteral("to-second"));
}

void TestHttpServer::http10WithoutKeepAliveIsClosed()
{
    Client client(m_server->serverPort());
    // The second request comes after one that closes: it is not served.
    client.send("GET /now?one HTTP/1.0\r\n\r\nGET /now?two HTTP/1.0\r\n\r\n");
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("now:one"));
    QCOMPARE(client.response(0).header("connection"), QByteArrayLiteral("close"));
    QCOMPARE(m_server->counters().requests.load(), 1);
}

void TestHttpServer::http10KeepAliveIsEchoed()
{
    Client client(m_server->serverPort());
    client.send("GET /now?one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).header("connection"), QByteArrayLiteral("keep-alive"));
    client.send("GET /now?two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(1).body, QByteArrayLiteral("now:two"));
    QVERIFY(client.isConnected());
}

void TestHttpServer::connectionCloseRequested()
{
    Client client(m_server->serverPort());
    client.send("GET /later?held HTTP/1.1\r\n\r\nGET /now?last HTTP/1.1\r\nConnection: close\r\n\r\n");
    QTRY_COMPARE(m_server->counters().requests.load(), 2);
    // The closing answer is ready, but the earlier one is not: the socket stays open.
    QVERIFY(client.isConnected());
    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, "held"));
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 2);
    QVERIFY(!client.response(0).hasHeader("connection"));
    QCOMPARE(client.response(1).header("connection"), QByteArrayLiteral("close"));
    QCOMPARE(client.response(1).body, QByteArrayLiteral("now:last"));
}

void TestHttpServer::handlerAsksToClose()
{
    Client client(m_server->serverPort());
    client.send("GET /bye HTTP/1.1\r\n\r\nGET /now?never HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).header("connection"), QByteArrayLiteral("close"));
    QTRY_COMPARE(m_server->counters().connectionsOpen.load(), 0);
}

void TestHttpServer::parseErrorAnswersAndCloses()
{
    Client client(m_server->serverPort());
    client.send("GET /now?ok HTTP/1.1\r\n\r\nthis is not http\r\n\r\n");
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("now:ok"));
    const Response &error = client.response(1);
    QCOMPARE(error.status, 400);
    QCOMPARE(error.header("content-type"), QByteArrayLiteral("application/json"));
    QCOMPARE(error.header("connection"), QByteArrayLiteral("close"));
    QCOMPARE(error.jsonError(), u"bad_request"_s);
    QVERIFY(!QJsonDocument::fromJson(error.body).object().value(u"message"_s).toString().isEmpty());
    QTRY_COMPARE(m_shared->errors().size(), 1);
    QCOMPARE(m_shared->errors().first(), qMakePair(400, QByteArrayLiteral("bad_request")));
    QCOMPARE(m_server->counters().protocolErrors.load(), 1);
}

void TestHttpServer::parseErrorWaitsForEarlierAnswers()
{
    Client client(m_server->serverPort());
    static const char withNul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    client.send("GET /later?first HTTP/1.1\r\n\r\n" + QByteArray(withNul, sizeof(withNul) - 1));
    QTRY_COMPARE(m_shared->errors().size(), 1);
    QCOMPARE(m_shared->ticketCount(), 1);
    QVERIFY(client.isConnected());
    QCOMPARE(client.responseCount(), 0);

    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, "first"));
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("first"));
    QCOMPARE(client.response(1).status, 400);
}

void TestHttpServer::headersTooLargeCloses()
{
    Client client(m_server->serverPort());
    // No blank line: the limit is enforced before the head is complete.
    client.send("GET /now HTTP/1.1\r\nX-Pad: " + QByteArray(9000, 'p'));
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).status, 431);
    QCOMPARE(client.response(0).jsonError(), u"headers_too_large"_s);
    QCOMPARE(client.response(0).header("connection"), QByteArrayLiteral("close"));
    QTRY_COMPARE(m_shared->errors().size(), 1);
    QCOMPARE(m_shared->errors().first(), qMakePair(431, QByteArrayLiteral("headers_too_large")));
}

void TestHttpServer::payloadTooLargeCloses()
{
    Client client(m_server->serverPort());
    // Only the head is sent: the answer must not wait for a body.
    client.send("POST /echo HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n");
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).status, 413);
    QCOMPARE(client.response(0).jsonError(), u"payload_too_large"_s);
    QTRY_COMPARE(m_shared->errors().size(), 1);
    QCOMPARE(m_shared->errors().first(), qMakePair(413, QByteArrayLiteral("payload_too_large")));
}

void TestHttpServer::lengthRequiredCloses()
{
    Client client(m_server->serverPort());
    client.send("POST /echo HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).status, 411);
    QCOMPARE(client.response(0).jsonError(), u"length_required"_s);
}

void TestHttpServer::expectContinue()
{
    Client client(m_server->serverPort());
    const QByteArray head = QByteArrayLiteral("POST /echo HTTP/1.1\r\nContent-Type: text/plain\r\nExpect: "
                                              "100-continue\r\nContent-Length: 10\r\n\r\n");
    client.send(head);
    QTRY_COMPARE(client.responseCount(), 1);
    QCOMPARE(client.received(), QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
    QCOMPARE(client.response(0).status, 100);

    // The body in two pieces: still only one "100 Continue".
    client.send("01234");
    QTRY_COMPARE(m_server->counters().bytesIn.load(), head.size() + 5);
    client.send("56789");
    QTRY_COMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(1).status, 200);
    QCOMPARE(client.response(1).body, QByteArrayLiteral("0123456789"));
    QCOMPARE(client.received().count("100 Continue"), 1);

    // The next request on the same connection gets its own.
    client.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 3);
    QCOMPARE(client.response(2).status, 100);
    client.send("x");
    QTRY_COMPARE(client.responseCount(), 4);
    QCOMPARE(client.response(3).body, QByteArrayLiteral("x"));
}

void TestHttpServer::expectContinueWaitsForEarlierAnswers()
{
    Client client(m_server->serverPort());
    client.send("GET /later?first HTTP/1.1\r\n\r\n"
                "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 1);
    QCOMPARE(client.responseCount(), 0);

    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, "first"));
    QTRY_COMPARE(client.responseCount(), 2);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("first"));
    QCOMPARE(client.response(1).status, 100);
    client.send("abc");
    QTRY_COMPARE(client.responseCount(), 3);
    QCOMPARE(client.response(2).body, QByteArrayLiteral("abc"));
}

void TestHttpServer::expectContinueRefusedWhenTooLarge()
{
    Client client(m_server->serverPort());
    client.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n");
    QTRY_VERIFY(client.isClosed());
    QCOMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).status, 413);
    QVERIFY(!client.received().contains("100 Continue"));
}

void TestHttpServer::backpressureStopsParsing()
{
    constexpr int total = 70;
    QByteArray requests;
    for (int i = 0; i < total; ++i)
        requests += "GET /later?" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n";
    Client client(m_server->serverPort());
    client.send(requests);

    // 64 answers may be pending; then parsing stops until one goes out.
    QTRY_COMPARE(m_shared->ticketCount(), 64);
    QCOMPARE(m_server->counters().requests.load(), 64);
    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, m_shared->label(0)));
    QTRY_COMPARE(m_shared->ticketCount(), 65);
    QTRY_COMPARE(client.responseCount(), 1);
    QCOMPARE(m_server->counters().requests.load(), 65);

    // Answer the rest in reverse order of arrival, each batch from another thread.
    for (qsizetype answered = 1; answered < total;) {
        const qsizetype available = m_shared->ticketCount();
        std::vector<PendingReply> batch;
        for (qsizetype i = available - 1; i >= answered; --i)
            batch.emplace_back(m_shared->ticket(i), HttpResponse::text(200, m_shared->label(i)));
        replyFromOtherThread(std::move(batch));
        answered = available;
        QTRY_COMPARE(client.responseCount(), answered);
        if (answered < total)
            QTRY_VERIFY(m_shared->ticketCount() > answered);
    }
    QCOMPARE(client.responseCount(), total);
    for (int i = 0; i < total; ++i)
        QCOMPARE(client.response(i).body, QByteArray::number(i));
    QVERIFY(client.isConnected());
}

void TestHttpServer::replyForGoneClientIsDropped()
{
    {
        Client client(m_server->serverPort());
        client.send("GET /later?gone HTTP/1.1\r\n\r\n");
        QTRY_COMPARE(m_shared->ticketCount(), 1);
        client.socket().abort();
    }
    QTRY_COMPARE(m_server->counters().connectionsOpen.load(), 0);
    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, "nobody listens"));

    // The server is still fine, and the dropped reply went nowhere else.
    Client other(m_server->serverPort());
    other.send("GET /now?alive HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(other.responseCount(), 1);
    QCOMPARE(other.response(0).body, QByteArrayLiteral("now:alive"));
    QVERIFY(!other.received().contains("nobody listens"));
}

void TestHttpServer::peerAddress()
{
    Client client(m_server->serverPort());
    client.send("GET /peer HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 1);
    QCOMPARE(client.response(0).body, QByteArrayLiteral("loopback 127.0.0.1"));
}

void TestHttpServer::countersMove()
{
    const HttpServerCounters &counters = m_server->counters();
    QCOMPARE(counters.connectionsAccepted.load(), 0);
    QCOMPARE(counters.bytesIn.load(), 0);
    {
        Client client(m_server->serverPort());
        const QByteArray request = QByteArrayLiteral("GET /now?c HTTP/1.1\r\n\r\n");
        client.send(request + request);
        QTRY_COMPARE(client.responseCount(), 2);
        QCOMPARE(counters.connectionsAccepted.load(), 1);
        QCOMPARE(counters.connectionsOpen.load(), 1);
        QCOMPARE(counters.requests.load(), 2);
        QCOMPARE(counters.bytesIn.load(), 2 * request.size());
        QCOMPARE(counters.bytesOut.load(), client.received().size());
        QCOMPARE(counters.protocolErrors.load(), 0);
    }
    QTRY_COMPARE(counters.connectionsOpen.load(), 0);
    QCOMPARE(counters.connectionsAccepted.load(), 1);
}

void TestHttpServer::closeWithOpenConnections()
{
    Client idle(m_server->serverPort());
    Client waiting(m_server->serverPort());
    waiting.send("GET /later?never HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 1);
    QTRY_COMPARE(m_server->counters().connectionsOpen.load(), 2);
    const quint16 port = m_server->serverPort();

    m_server->close();
    QVERIFY(!m_server->isListening());
    QCOMPARE(m_server->counters().connectionsOpen.load(), 0);
    QTRY_VERIFY(idle.isClosed());
    QTRY_VERIFY(waiting.isClosed());
    QCOMPARE(waiting.responseCount(), 0);

    m_server->close(); // twice is fine

    QTcpSocket refused;
    QSignalSpy errors(&refused, &QTcpSocket::errorOccurred);
    refused.connectToHost(QHostAddress::LocalHost, port);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(refused.error(), QAbstractSocket::ConnectionRefusedError);

    // And it can listen again.
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    Client again(m_server->serverPort());
    again.send("GET /now?again HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(again.responseCount(), 1);
}

void TestHttpServer::listenFailsOnBusyPort()
{
    HttpServer second(Router{});
    QString error;
    QVERIFY(!second.listen(QHostAddress::LocalHost, m_server->serverPort(), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!second.isListening());
    QCOMPARE(second.serverPort(), 0);

    // The first server is unaffected.
    Client client(m_server->serverPort());
    client.send("GET /now?still HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(client.responseCount(), 1);

    QVERIFY(!m_server->listen(QHostAddress::LocalHost, 0)); // already listening
}

void TestHttpServer::lifecycleWithoutListen()
{
    {
        HttpServer unused(Router{});
        QVERIFY(!unused.isListening());
    }
    {
        HttpServer closedTwice(Router{});
        closedTwice.close();
        closedTwice.close();
    }
}

void TestHttpServer::severalIoThreads()
{
    HttpServer::Options options = testOptions();
    options.ioThreads = 3;
    QVERIFY(restartServer(options));

    constexpr int clientCount = 6;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < clientCount; ++i) {
        clients.push_back(std::make_unique<Client>(m_server->serverPort()));
        clients.back()->send("GET /later?c" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n");
    }
    QTRY_COMPARE(m_shared->ticketCount(), clientCount);

    // Round-robin: two connections on each of the three threads. A context is one thread,
    // and no two contexts share one.
    std::map<const void *, std::set<std::thread::id>> threadsByContext;
    std::map<const void *, int> connectionsByContext;
    for (int i = 0; i < clientCount; ++i) {
        threadsByContext[m_shared->ticket(i).context].insert(m_shared->thread(i));
        ++connectionsByContext[m_shared->ticket(i).context];
    }
    QCOMPARE(int(threadsByContext.size()), 3);
    std::set<std::thread::id> allThreads;
    for (const auto &[context, threads] : threadsByContext) {
        QCOMPARE(int(threads.size()), 1);
        QVERIFY(*threads.begin() != std::this_thread::get_id());
        allThreads.insert(*threads.begin());
        QCOMPARE(connectionsByContext[context], 2);
    }
    QCOMPARE(int(allThreads.size()), 3);

    // One batch from another thread, in reverse order: each reply crosses to the thread that
    // owns its connection and reaches the right client.
    std::vector<PendingReply> batch;
    for (int i = clientCount - 1; i >= 0; --i)
        batch.emplace_back(m_shared->ticket(i), HttpResponse::text(200, "reply:" + m_shared->label(i)));
    replyFromOtherThread(std::move(batch));
    for (int i = 0; i < clientCount; ++i) {
        Client &client = *clients[std::size_t(i)];
        QTRY_COMPARE(client.responseCount(), 1);
        // The ticket order is the order the handlers ran, not the order of the clients.
        QVERIFY(client.response(0).body.startsWith("reply:c"));
        client.send("GET /now?again" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n");
    }
    QSet<QByteArray> answered;
    for (int i = 0; i < clientCount; ++i) {
        Client &client = *clients[std::size_t(i)];
        QTRY_COMPARE(client.responseCount(), 2);
        QCOMPARE(client.response(1).body, "now:again" + QByteArray::number(i));
        answered.insert(client.response(0).body);
    }
    QCOMPARE(answered.size(), clientCount);
    QCOMPARE(m_server->counters().connectionsOpen.load(), clientCount);
}

void TestHttpServer::manyClientsWithDeferredReplies()
{
    // Every request is answered from another thread as fast as it can, through all I/O
    // threads at once: order per connection, backpressure and the inbox under load.
    auto replier = std::make_shared<AutoReplier>();
    Router router;
    router.add(Method::Get, "/auto", [replier](const HttpRequest &request, const RequestContext &ctx) {
        replier->push(ctx.ticket, request.query.toByteArray());
        return std::optional<HttpResponse>();
    });
    m_server.reset();
    m_server = std::make_unique<HttpServer>(std::move(router), testOptions());
    QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
    // The replier keeps sending while the server runs; it stops first (see HttpServer::close()).
    const auto stopFirst = qScopeGuard([&] {
        replier->stop();
        m_server->close();
    });

    constexpr int clientCount = 10;
    constexpr int perClient = 100; // more than the 64 that may be pending
    std::vector<std::unique_ptr<Client>> clients;
    for (int c = 0; c < clientCount; ++c) {
        clients.push_back(std::make_unique<Client>(m_server->serverPort()));
        QByteArray requests;
        for (int i = 0; i < perClient; ++i)
            requests +=
                "GET /auto?" + QByteArray::number(c) + '-' + QByteArray::number(i) + " HTTP/1.1\r\n\r\n";
        clients.back()->send(requests);
    }
    for (int c = 0; c < clientCount; ++c) {
        Client &client = *clients[std::size_t(c)];
        QTRY_COMPARE_WITH_TIMEOUT(client.responseCount(), perClient, 20000);
        for (int i = 0; i < perClient; ++i)
            QCOMPARE(client.response(i).body, QByteArray::number(c) + '-' + QByteArray::number(i));
        QVERIFY(client.isConnected());
    }
    QCOMPARE(m_server->counters().requests.load(), clientCount * perClient);
}

void TestHttpServer::corsOnImmediateAndDeferredAnswers()
{
    Client client(m_server->serverPort());
    client.send("GET /public HTTP/1.1\r\n\r\n"
                "POST /public?deferred HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
                "GET /now?private HTTP/1.1\r\n\r\n"
                "OPTIONS /public HTTP/1.1\r\nOrigin: https://show.example\r\n"
                "Access-Control-Request-Method: POST\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 1);
    replyFromOtherThread(m_shared->ticket(0), HttpResponse::json(202, "{}"));
    QTRY_COMPARE(client.responseCount(), 4);

    const auto originHeaders = [](const Response &response) {
        return std::count_if(response.headers.cbegin(), response.headers.cend(), [](const auto &header) {
            return header.first == "access-control-allow-origin";
        });
    };
    QCOMPARE(client.response(0).body, QByteArrayLiteral("public"));
    QCOMPARE(client.response(0).header("access-control-allow-origin"), QByteArrayLiteral("*"));
    QCOMPARE(client.response(1).status, 202);
    QCOMPARE(client.response(1).header("access-control-allow-origin"), QByteArrayLiteral("*"));
    QCOMPARE(originHeaders(client.response(1)), 1);
    QCOMPARE(client.response(2).body, QByteArrayLiteral("now:private"));
    QCOMPARE(originHeaders(client.response(2)), 0);
    QCOMPARE(client.response(3).status, 204); // the preflight: the router's own headers, once
    QCOMPARE(originHeaders(client.response(3)), 1);
}

void TestHttpServer::maxConnectionsRefusesExcess()
{
    HttpServer::Options options = testOptions();
    options.maxConnections = 2;
    QVERIFY(restartServer(options));
    const HttpServerCounters &counters = m_server->counters();

    Client first(m_server->serverPort());
    first.send("GET /now?first HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(first.responseCount(), 1);
    auto second = std::make_unique<Client>(m_server->serverPort());
    second->send("GET /now?second HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(second->responseCount(), 1);
    QCOMPARE(counters.connectionsOpen.load(), 2);

    Client excess(m_server->serverPort());
    excess.send("GET /now?excess HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(excess.isClosed());
    QCOMPARE(excess.responseCount(), 1);
    const Response &refusal = excess.response(0);
    QCOMPARE(refusal.status, 503);
    QCOMPARE(refusal.jsonError(), u"overloaded"_s);
    QVERIFY(!QJsonDocument::fromJson(refusal.body).object().value(u"message"_s).toString().isEmpty());
    QCOMPARE(refusal.header("retry-after"), QByteArrayLiteral("1"));
    QCOMPARE(refusal.header("connection"), QByteArrayLiteral("close"));
    QCOMPARE(counters.connectionsRefused.load(), 1);
    QCOMPARE(counters.connectionsAccepted.load(), 2);
    QCOMPARE(counters.connectionsOpen.load(), 2);

    // The others keep working.
    first.send("GET /now?first-again HTTP/1.1\r\n\r\n");
    second->send("GET /now?second-again HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(first.responseCount(), 2);
    QTRY_COMPARE(second->responseCount(), 2);
    QCOMPARE(first.response(1).body, QByteArrayLiteral("now:first-again"));

    // Once one goes, there is room again.
    second.reset();
    QTRY_COMPARE(counters.connectionsOpen.load(), 1);
    Client later(m_server->serverPort());
    later.send("GET /now?later HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(later.responseCount(), 1);
    QCOMPARE(later.response(0).status, 200);
    QCOMPARE(counters.connectionsRefused.load(), 1);
}

void TestHttpServer::headerTimeoutAnswers408()
{
    HttpServer::Options options = testOptions();
    options.headerTimeoutMs = 200;
    QVERIFY(restartServer(options));

    // Complete requests are not subject to it: this one stays open throughout.
    Client complete(m_server->serverPort());
    complete.send("GET /now?complete HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(complete.responseCount(), 1);

    Client slow(m_server->serverPort());
    slow.send("GET /now HT"); // half a request line, and nothing more
    QTRY_VERIFY_WITH_TIMEOUT(slow.isClosed(), 10000);
    QCOMPARE(slow.responseCount(), 1);
    QCOMPARE(slow.response(0).status, 408);
    QCOMPARE(slow.response(0).jsonError(), u"request_timeout"_s);
    QCOMPARE(slow.response(0).header("connection"), QByteArrayLiteral("close"));
    QCOMPARE(m_server->counters().requestTimeouts.load(), 1);
    QTRY_COMPARE(m_shared->errors().size(), 1);
    QCOMPARE(m_shared->errors().first(), qMakePair(408, QByteArrayLiteral("request_timeout")));

    QVERIFY(complete.isConnected());
    complete.send("GET /now?still HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(complete.responseCount(), 2);
}

void TestHttpServer::idleTimeoutClosesKeepAlive()
{
    HttpServer::Options options = testOptions();
    options.idleTimeoutMs = 200;
    QVERIFY(restartServer(options));

    // Waiting for a deferred answer is not idle, however long it takes.
    Client pending(m_server->serverPort());
    pending.send("GET /later?pending HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 1);

    // Active after `pending`, so if `pending` were treated as idle it would go first.
    Client idle(m_server->serverPort());
    idle.send("GET /now?idle HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(idle.responseCount(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(idle.isClosed(), 10000);
    QCOMPARE(idle.responseCount(), 1); // closed silently
    QVERIFY(idle.received().endsWith("now:idle"));
    QCOMPARE(m_server->counters().idleTimeouts.load(), 1);

    QVERIFY(pending.isConnected());
    replyFromOtherThread(m_shared->ticket(0), HttpResponse::text(200, "finally"));
    QTRY_COMPARE(pending.responseCount(), 1);
    QCOMPARE(pending.response(0).body, QByteArrayLiteral("finally"));
    QCOMPARE(m_shared->errors().size(), 0); // idle closes are not protocol errors
}

void TestHttpServer::slowClientsDoNotBlockOthers()
{
    HttpServer::Options options = testOptions();
    options.ioThreads = 1; // all on one thread: only the event loop keeps them apart
    QVERIFY(restartServer(options));
    const HttpServerCounters &counters = m_server->counters();

    // Half a request, never finished (the header timeout is 10 s here).
    RawSocket sloth(m_server->serverPort());
    QVERIFY(sloth.isConnected());
    QVERIFY(sloth.sendSome("GET /now HTTP/1.1\r\nX-Slow: ") > 0);

    // Asks for 256 large answers (64 MiB, more than any socket buffer takes) and never reads
    // them: the server's writes stall.
    RawSocket nonReader(m_server->serverPort(), 4096);
    QVERIFY(nonReader.isConnected());
    const QByteArray bigRequests = QByteArray("GET /big HTTP/1.1\r\n\r\n").repeated(256);
    QCOMPARE(nonReader.sendSome(bigRequests), bigRequests.size());
    QTRY_VERIFY(counters.bytesOut.load() > 1024 * 1024);

    Client fast(m_server->serverPort());
    for (int i = 0; i < 3; ++i) {
        fast.send("GET /now?" + QByteArray::number(i) + " HTTP/1.1\r\n\r\n");
        QTRY_COMPARE(fast.responseCount(), i + 1);
        QCOMPARE(fast.response(i).body, "now:" + QByteArray::number(i));
    }
    // Parsing stopped for the one that does not read (about 1 MiB unsent besides what the
    // kernel buffers), so most of its requests still wait in the kernel.
    QVERIFY2(counters.requests.load() - 3 < 128, QByteArray::number(counters.requests.load()).constData());
    QCOMPARE(counters.connectionsOpen.load(), 3);
}

void TestHttpServer::clientHalfCloseGetsReadyAnswers()
{
    // A client that shuts down its sending side after its requests still gets the answers
    // that are ready; then the server closes.
    RawSocket client(m_server->serverPort());
    QVERIFY(client.isConnected());
    const QByteArray requests = QByteArrayLiteral("GET /now?1 HTTP/1.1\r\n\r\nGET /now?2 HTTP/1.1\r\n\r\n");
    QCOMPARE(client.sendSome(requests), requests.size());
    client.shutdownWrite();
    QTRY_VERIFY(client.readAvailable());
    QCOMPARE(client.received().count("HTTP/1.1 200 OK\r\n"), 2);
    QVERIFY(client.received().endsWith("now:2"));

    // A deferred answer is not waited for: there is nobody to read what follows it.
    RawSocket other(m_server->serverPort());
    const QByteArray withDeferred = QByteArrayLiteral(
        "GET /now?a HTTP/1.1\r\n\r\nGET /later?b HTTP/1.1\r\n\r\nGET /now?c HTTP/1.1\r\n\r\n");
    QCOMPARE(other.sendSome(withDeferred), withDeferred.size());
    other.shutdownWrite();
    QTRY_VERIFY(other.readAvailable());
    QVERIFY(other.received().endsWith("now:a"));
    QVERIFY(!other.received().contains("now:c"));

    // The end arriving with a request whose answer closes: that answer still goes out,
    // whether a handler gave it or the server itself.
    RawSocket http10(m_server->serverPort());
    const QByteArray http10Request = QByteArrayLiteral("GET /now?http10 HTTP/1.0\r\n\r\n");
    QCOMPARE(http10.sendSome(http10Request), http10Request.size());
    http10.shutdownWrite();
    QTRY_VERIFY(http10.readAvailable());
    QVERIFY(http10.received().startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(http10.received().endsWith("\r\nConnection: close\r\n\r\nnow:http10"));

    RawSocket garbage(m_server->serverPort());
    const QByteArray garbageRequest = QByteArrayLiteral("this is not http\r\n\r\n");
    QCOMPARE(garbage.sendSome(garbageRequest), garbageRequest.size());
    garbage.shutdownWrite();
    QTRY_VERIFY(garbage.readAvailable());
    QVERIFY2(garbage.received().startsWith("HTTP/1.1 400 Bad Request\r\n"), garbage.received().constData());
    QTRY_COMPARE(m_server->counters().connectionsOpen.load(), 0);
}

void TestHttpServer::replyForReusedSlotIsDropped()
{
    HttpServer::Options options = testOptions();
    options.ioThreads = 1;
    QVERIFY(restartServer(options));
    {
        Client gone(m_server->serverPort());
        gone.send("GET /later?gone HTTP/1.1\r\n\r\n");
        QTRY_COMPARE(m_shared->ticketCount(), 1);
        gone.socket().abort();
    }
    QTRY_COMPARE(m_server->counters().connectionsOpen.load(), 0);

    Client next(m_server->serverPort());
    next.send("GET /later?next HTTP/1.1\r\n\r\nGET /now?after HTTP/1.1\r\n\r\n");
    QTRY_COMPARE(m_shared->ticketCount(), 2);
    const ReplyTicket goneTicket = m_shared->ticket(0);
    const ReplyTicket nextTicket = m_shared->ticket(1);
    // The case this is about: same thread, same position in the pipeline, and the new
    // connection took the closed one's slot; only the id tells them apart.
    QCOMPARE(goneTicket.context, nextTicket.context);
    QCOMPARE(goneTicket.sequence, nextTicket.sequence);
    QCOMPARE(quint32(goneTicket.connectionId), quint32(nextTicket.connectionId));
    QVERIFY(goneTicket.connectionId != nextTicket.connectionId);

    // Sent first, through the same inbox: had it been taken for `next`, it would answer it.
    replyFromOtherThread(goneTicket, HttpResponse::text(200, "for the gone one"));
    replyFromOtherThread(nextTicket, HttpResponse::text(200, "for next"));
    QTRY_COMPARE(next.responseCount(), 2);
    QCOMPARE(next.response(0).body, QByteArrayLiteral("for next"));
    QCOMPARE(next.response(1).body, QByteArrayLiteral("now:after"));
    QVERIFY(!next.received().contains("for the gone one"));
}

void TestHttpServer::closeWhileSending()
{
    // Connections in every state when the server closes: stalled in a write, waiting for a
    // deferred answer, idle, half a request. close() returns with all of them closed.
    const QByteArray bigRequests = QByteArray("GET /big HTTP/1.1\r\n\r\n").repeated(8);
    const QByteArray laterRequest = QByteArrayLiteral("GET /later?never HTTP/1.1\r\n\r\n");
    const QByteArray nowRequest = QByteArrayLiteral("GET /now?idle HTTP/1.1\r\n\r\n");
    const QByteArray partialRequest =
        QByteArrayLiteral("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
    std::vector<std::unique_ptr<RawSocket>> stalled;
    for (int i = 0; i < 2; ++i) {
        stalled.push_back(std::make_unique<RawSocket>(m_server->serverPort(), 4096));
        QCOMPARE(stalled.back()->sendSome(bigRequests), bigRequests.size());
    }
    Client waiting(m_server->serverPort());
    waiting.send(laterRequest);
    Client idle(m_server->serverPort());
    idle.send(nowRequest);
    RawSocket partial(m_server->serverPort());
    QCOMPARE(partial.sendSome(partialRequest), partialRequest.size());
    QTRY_COMPARE(m_shared->ticketCount(), 1);
    QTRY_COMPARE(idle.responseCount(), 1);
    QTRY_VERIFY(m_server->counters().bytesOut.load() > 2 * 256 * 1024);
    QTRY_COMPARE(m_server->counters().bytesIn.load(),
                 2 * bigRequests.size() + laterRequest.size() + nowRequest.size() + partialRequest.size());
    QCOMPARE(m_server->counters().connectionsOpen.load(), 5);

    m_server->close();
    QCOMPARE(m_server->counters().connectionsOpen.load(), 0);
    QTRY_VERIFY(waiting.isClosed());
    QTRY_VERIFY(idle.isClosed());
    QTRY_VERIFY(partial.readAvailable());
    for (const auto &socket : stalled)
        QTRY_VERIFY(socket->readAvailable());
    QCOMPARE(waiting.responseCount(), 0);
}

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
