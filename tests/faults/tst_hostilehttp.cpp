// Hostile HTTP against a real Engine on loopback, one table (README, "Guarantees"): each
// request gets its exact status and error code; the connection is closed after an answer the
// HTTP layer gave itself (the request's framing is not to be trusted, so nothing after it on
// the connection is either) and kept open after one a handler gave to a well-framed request;
// and the counters say why (rejected_by_reason of GET /v1/admin/results, and
// votedesk_http_protocol_errors_total of /metrics for what the HTTP layer refused).
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "../integration/httpclient.h"
#include "engine/engine.h"

using namespace Qt::Literals::StringLiterals;

namespace {
struct Answer
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    bool closed = false; // the server closed the connection after the answer

    QString error() const { return QJsonDocument::fromJson(body).object().value(u"error"_s).toString(); }
};

QByteArray vote(const QByteArray &body, const QByteArray &contentType = "application/json")
{
    return "POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray chunkedVote(const QByteArray &chunks)
{
    return "POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" +
           chunks;
}

QByteArray withHeaders(int count, int valueSize)
{
    QByteArray request = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
    for (int i = 0; i < count; ++i)
        request += "X-Bomb-" + QByteArray::number(i) + ": " + QByteArray(valueSize, 'b') + "\r\n";
    return request + "\r\n";
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

class TestHostileHttp final : public QObject
{
    Q_OBJECT

private:
    // Sends `bytes` on a new connection and reads one answer; then finds out whether the
    // server closes the connection (it must, or it must answer a second request on it).
    Answer exchange(const QByteArray &bytes)
    {
        Answer answer;
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_engine->port());
        if (!socket.waitForConnected(5000))
            return answer;
        socket.write(bytes);
        QByteArray buffer;
        qsizetype headEnd = -1;
        qsizetype length = 0;
        auto complete = [&] {
            buffer += socket.readAll();
            headEnd = buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return false;
            const QRegularExpression lengthRx(u"\\r\\ncontent-length: *(\\d+)"_s,
                                              QRegularExpression::CaseInsensitiveOption);
            const QRegularExpressionMatch match = lengthRx.match(QString::fromLatin1(buffer.first(headEnd)));
            length = match.hasMatch() ? match.captured(1).toLongLong() : 0;
            return buffer.size() >= headEnd + 4 + length;
        };
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(complete() || socket.state() == QAbstractSocket::UnconnectedState,
                                     10'000);
        }();
        if (!complete())
            return answer;
        answer.head = buffer.first(headEnd);
        answer.status = answer.head.mid(9, 3).toInt();
        answer.body = buffer.mid(headEnd + 4, length);
        buffer.remove(0, headEnd + 4 + length);

        // Closed, or still serving: a second request tells which, without waiting for a timeout.
        if (socket.state() == QAbstractSocket::ConnectedState)
            socket.write("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::UnconnectedState ||
                                         (buffer += socket.readAll(), buffer.contains("\r\n\r\n")),
                                     10'000);
        }();
        answer.closed =
            socket.state() == QAbstractSocket::UnconnectedState && !buffer.startsWith("HTTP/1.1 200");
        return answer;
    }

    QTemporaryDir m_dir;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<HttpClient> m_client;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        Engine::Options options;
        options.databasePath = m_dir.filePath(u"votedesk.db"_s);
        options.port = 0;
        options.durability = Durability::Normal;
        m_engine = std::make_unique<Engine>(options);
        QString error;
        QVERIFY2(m_engine->start(&error), qPrintable(error));
        m_client = std::make_unique<HttpClient>(m_engine->port());
    }

    void cleanupTestCase()
    {
        m_client.reset();
        m_engine.reset();
    }

    // The window's refusals, in the order a show goes through them.
    void windowRefusals()
    {
        Answer early = exchange(vote(R"({"voter":"early","option":"A"})"));
        QCOMPARE(early.status, 409);
        QCOMPARE(early.error(), u"window_not_open"_s);
        QVERIFY(!early.closed);
        QString error;
        QVERIFY(m_engine->openLines(&error));
        QCOMPARE(exchange(vote(R"({"voter":"ontime","option":"A"})")).status, 202);
        QVERIFY(m_engine->closeLines(&error));
        QTRY_VERIFY(m_engine->windowStatus().state != WindowState::Closing); // drained
        Answer late = exchange(vote(R"({"voter":"late","option":"A"})"));
        QCOMPARE(late.status, 409);
        QCOMPARE(late.error(), u"window_closed"_s);
        const QJsonObject results = m_client->adminResults();
        QCOMPARE(results.value(u"late"_s).toInteger(), 1);
        QCOMPARE(results.value(u"rejected_by_reason"_s).toObject().value(u"window_not_open"_s).toInteger(),
                 1);

        // A new session, open, for the table below.
        const QJsonObject session =
            QJsonDocument::fromJson(
                "{\"title\":\"hostile\",\"question\":\"?\",\"window_seconds\":3600,"
                "\"options\":[{\"key\":\"A\",\"label\":\"A\"},{\"key\":\"B\",\"label\":\"B\"}]}")
                .object();
        QCOMPARE(m_client->postJson(u"/v1/admin/sessions"_s, session).status, 201);
        QCOMPARE(m_client->admin(u"open"_s).status, 200);
    }

    void answers_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");       // the JSON error code, empty for a success
        QTest::addColumn<bool>("closes");        // the server closes the connection after it
        QTest::addColumn<QString>("counted");    // the rejected_by_reason key that grows by one
        QTest::addColumn<bool>("protocolError"); // votedesk_http_protocol_errors_total grows by one

        const QByteArray ok = R"({"voter":"fine","option":"A"})";
        QTest::newRow("a good vote") << vote(ok) << 202 << QString() << false << QString() << false;

        // Request line
        QTest::newRow("garbage request line")
            << QByteArray("GARBAGE\r\n\r\n") << 400 << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("no HTTP version") << QByteArray("GET /healthz\r\n\r\n") << 400 << u"bad_request"_s
                                         << true << u"bad_request"_s << true;
        QTest::newRow("HTTP/2.0 in an HTTP/1 request line")
            << QByteArray("GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n") << 400 << u"bad_request"_s << true
            << u"bad_request"_s << true;
        QTest::newRow("NUL in the target") << QByteArrayLiteral("GET /heal\0thz HTTP/1.1\r\nHost: t\r\n\r\n")
                                           << 400 << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("target longer than the head limit")
            << ("GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\n\r\n") << 431 << u"headers_too_large"_s
            << true << u"headers_too_large"_s << true;

        // Headers
        QTest::newRow("space before the colon")
            << QByteArray("GET /healthz HTTP/1.1\r\nHost : t\r\n\r\n") << 400 << u"bad_request"_s << true
            << u"bad_request"_s << true;
        QTest::newRow("NUL in a header value")
            << QByteArrayLiteral("GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n") << 400
            << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("folded header line")
            << QByteArray("GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n") << 400
            << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("header bomb: 9 KiB of headers")
            << withHeaders(9, 1000) << 431 << u"headers_too_large"_s << true << u"headers_too_large"_s
            << true;
        QTest::newRow("header bomb: 101 header lines")
            << withHeaders(101, 1) << 431 << u"headers_too_large"_s << true << u"headers_too_large"_s << true;

        // Framing
        QTest::newRow("POST without a length")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\r\n")
            << 411 << u"length_required"_s << true << u"length_required"_s << true;
        QTest::newRow("Content-Length and Transfer-Encoding")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                          "Content-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            << 400 << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("negative Content-Length")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n") << 400
            << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("non-numeric Content-Length")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Length: ten\r\n\r\n") << 400
            << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("Content-Length beyond 64 bits")
            << QByteArray(
                   "POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n")
            << 400 << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("two different Content-Lengths")
            << QByteArray(
                   "POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                   "123456")
            << 400 << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("huge body announced")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100000000\r\n\r\n")
            << 413 << u"payload_too_large"_s << true << u"payload_too_large"_s << true;
        QTest::newRow("huge body announced, expecting 100-continue")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                          "Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
            << 413 << u"payload_too_large"_s << true << u"payload_too_large"_s << true;
        QTest::newRow("chunked body over the limit")
            << chunkedVote("800\r\n" + QByteArray(2048, ' ') + "\r\n800\r\n" + QByteArray(2048, ' ') +
                           "\r\n10\r\n" + QByteArray(16, ' ') + "\r\n0\r\n\r\n")
            << 413 << u"payload_too_large"_s << true << u"payload_too_large"_s << true;
        QTest::newRow("huge chunk announced") << chunkedVote("7fffffff\r\n") << 413 << u"payload_too_large"_s
                                              << true << u"payload_too_large"_s << true;
        QTest::newRow("chunk size not hex") << chunkedVote("zz\r\n{}\r\n0\r\n\r\n") << 400 << u"bad_request"_s
                                            << true << u"bad_request"_s << true;
        QTest::newRow("chunk size beyond 64 bits") << chunkedVote("fffffffffffffffffffff\r\n") << 400
                                                   << u"bad_request"_s << true << u"bad_request"_s << true;
        QTest::newRow("chunk data longer than its size")
            << chunkedVote("2\r\n{}xx\r\n0\r\n\r\n") << 400 << u"bad_request"_s << true << u"bad_request"_s
            << true;
        QTest::newRow("unknown transfer coding")
            << QByteArray(
                   "POST /v1/votes HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
            << 501 << u"not_implemented"_s << true << QString() << true;
        QTest::newRow("chunked given twice")
            << QByteArray("POST /v1/votes HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
                          "0\r\n\r\n")
            << 501 << u"not_implemented"_s << true << QString() << true;
        QTest::newRow("a well-framed chunked vote")
            << chunkedVote("a\r\n{\"voter\":\"\r\n15\r\nchunky\",\"option\":\"B\"}\r\n0\r\n\r\n") << 202
            << QString() << false << QString() << false;

        // Bodies (well framed: the connection stays usable)
        QTest::newRow("not JSON") << vote("{") << 400 << u"invalid_json"_s << false << u"invalid_json"_s
                                  << false;
        QTest::newRow("invalid UTF-8 in JSON") << vote("{\"voter\":\"a\xff\xfe\",\"option\":\"A\"}") << 400
                                               << u"invalid_json"_s << false << u"invalid_json"_s << false;
        QTest::newRow("deeply nested JSON")
            << vote(QByteArray(4000, '[')) << 400 << u"invalid_json"_s << false << u"invalid_json"_s << false;
        QTest::newRow("deeply nested JSON, closed")
            << vote(QByteArray(2000, '[') + QByteArray(2000, ']')) << 400 << u"invalid_json"_s << false
            << u"invalid_json"_s << false;
        QTest::newRow("duplicate voter key") << vote(R"({"voter":"a","option":"A","voter":"b"})") << 400
                                             << u"bad_request"_s << false << u"bad_request"_s << false;
        QTest::newRow("number as voter id") << vote(R"({"voter":12345,"option":"A"})") << 400
                                            << u"invalid_voter"_s << false << u"invalid_voter"_s << false;
        QTest::newRow("voter id with a space") << vote(R"({"voter":"a b","option":"A"})") << 400
                                               << u"invalid_voter"_s << false << u"invalid_voter"_s << false;
        QTest::newRow("NUL in the voter id")
            << vote(QByteArrayLiteral("{\"voter\":\"a\0b\",\"option\":\"A\"}")) << 400 << u"invalid_voter"_s
            << false << u"invalid_voter"_s << false;
        QTest::newRow("missing option")
            << vote(R"({"voter":"a"})") << 400 << u"missing_field"_s << false << u"missing_field"_s << false;
        QTest::newRow("unknown option") << vote(R"({"voter":"a","option":"Z"})") << 400 << u"unknown_option"_s
                                        << false << u"unknown_option"_s << false;
        QTest::newRow("form with a duplicate voter")
            << vote("voter=a&voter=b&option=A", "application/x-www-form-urlencoded") << 400
            << u"bad_request"_s << false << u"bad_request"_s << false;
        QTest::newRow("form with invalid UTF-8")
            << vote("voter=%FF%FE&option=A", "application/x-www-form-urlencoded") << 400 << u"invalid_voter"_s
            << false << u"invalid_voter"_s << false;
        QTest::newRow("text/plain") << vote(ok, "text/plain") << 415 << u"unsupported_media_type"_s << false
                                    << u"unsupported_media_type"_s << false;
        QTest::newRow("body over 4 KiB")
            << vote("{\"voter\":\"a\",\"option\":\"A\",\"pad\":\"" + QByteArray(4200, 'p') + "\"}") << 413
            << u"payload_too_large"_s << true << u"payload_too_large"_s << true;

        // Routing
        QTest::newRow("GET on the vote endpoint")
            << QByteArray("GET /v1/votes HTTP/1.1\r\nHost: t\r\n\r\n") << 405 << u"method_not_allowed"_s
            << false << QString() << false;
        QTest::newRow("unknown path") << QByteArray("GET /v1/nope HTTP/1.1\r\nHost: t\r\n\r\n") << 404
                                      << u"not_found"_s << false << QString() << false;
        QTest::newRow("admin window: not JSON")
            << QByteArray("POST /v1/admin/window HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                          "Content-Length: 1\r\n\r\n{")
            << 400 << u"invalid_json"_s << false << QString() << false;
        QTest::newRow("admin session: nested a thousand deep")
            << ("POST /v1/admin/sessions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                "Content-Length: 4000\r\n\r\n" +
                QByteArray(2000, '[') + QByteArray(2000, ']'))
            << 400 << u"invalid_json"_s << false << QString() << false;
    }

    void answers()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(bool, closes);
        QFETCH(QString, counted);
        QFETCH(bool, protocolError);

        const QJsonObject before = m_client->adminResults().value(u"rejected_by_reason"_s).toObject();
        const double protocolErrorsBefore = metric(*m_client, u"votedesk_http_protocol_errors_total"_s);

        const Answer answer = exchange(request);
        QVERIFY2(answer.status == status, QByteArray(answer.head + "\r\n\r\n" + answer.body).constData());
        QCOMPARE(answer.error(), code);
        QCOMPARE(answer.closed, closes);
        if (closes)
            QVERIFY2(answer.head.contains("\r\nConnection: close"), answer.head.constData());
        if (status == 503 || status == 429)
            QVERIFY(answer.head.contains("\r\nRetry-After: "));

        const QJsonObject after = m_client->adminResults().value(u"rejected_by_reason"_s).toObject();
        for (auto it = after.constBegin(); it != after.constEnd(); ++it) {
            const qint64 grew = it.value().toInteger() - before.value(it.key()).toInteger();
            QVERIFY2(grew == (it.key() == counted ? 1 : 0),
                     qPrintable(u"%1 grew by %2"_s.arg(it.key()).arg(grew)));
        }
        if (!counted.isEmpty())
            QVERIFY2(after.contains(counted), qPrintable(counted));
        QCOMPARE(metric(*m_client, u"votedesk_http_protocol_errors_total"_s) - protocolErrorsBefore,
                 protocolError ? 1.0 : 0.0);
    }

    // Pipelined: the good request before the bad one is answered, nothing after it is.
    void pipelinedRequestsAfterAFramingErrorAreNotServed()
    {
        const qint64 acceptedBefore = m_engine->tally()->accepted;
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_engine->port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write(vote(R"({"voter":"pipe1","option":"A"})") +
                     "POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n" +
                     vote(R"({"voter":"pipe2","option":"A"})"));
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT(
            (received += socket.readAll(), socket.state() == QAbstractSocket::UnconnectedState), 10'000);
        received += socket.readAll();
        QVERIFY2(received.startsWith("HTTP/1.1 202 "), received.constData());
        QCOMPARE(received.count("HTTP/1.1 "), 2);
        QVERIFY(received.contains("HTTP/1.1 400 "));
        QCOMPARE(m_engine->tally()->accepted, acceptedBefore + 1);
    }
};

QTEST_GUILESS_MAIN(TestHostileHttp)
#include "tst_hostilehttp.moc"
