#include <QObject>
#include <QTest>

#include "http/requestparser.h"

using namespace Http;
using Status = RequestParser::Status;

namespace {

const QByteArray getRequest = QByteArrayLiteral("GET /v1/results?x=1&y=2 HTTP/1.1\r\n"
                                                "Host: example\r\n"
                                                "X-Mixed-Case:   padded value \t\r\n"
                                                "\r\n");
const QByteArray postRequest = QByteArrayLiteral("POST /v1/votes HTTP/1.1\r\n"
                                                 "Host: example\r\n"
                                                 "Content-Type: Application/JSON; charset=utf-8\r\n"
                                                 "Content-Length: 29\r\n"
                                                 "\r\n"
                                                 "{\"voter\":\"u123\",\"option\":\"B\"}");
const QByteArray chunkedRequest = QByteArrayLiteral("POST /v1/votes HTTP/1.1\r\n"
                                                    "Transfer-Encoding: chunked\r\n"
                                                    "\r\n"
                                                    "5;name=value\r\nhello\r\n"
                                                    "6\r\n world\r\n"
                                                    "0\r\n"
                                                    "X-Trailer: t\r\n"
                                                    "\r\n");
const QByteArray expectRequest = QByteArrayLiteral("PUT /upload HTTP/1.1\r\n"
                                                   "Expect: 100-continue\r\n"
                                                   "Content-Length: 10\r\n"
                                                   "\r\n"
                                                   "0123456789");

// A request whose head (request line, headers and the blank line) is exactly headBytes long.
QByteArray requestWithHeadSize(qsizetype headBytes)
{
    const QByteArray start = QByteArrayLiteral("GET / HTTP/1.1\r\nX-Pad: ");
    const QByteArray end = QByteArrayLiteral("\r\n\r\n");
    const qsizetype padding = headBytes - start.size() - end.size();
    Q_ASSERT(padding > 0);
    return start + QByteArray(padding, 'p') + end;
}

QByteArray chunked(const QList<qsizetype> &chunkSizes)
{
    QByteArray out = QByteArrayLiteral("POST /v1/votes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (const qsizetype size : chunkSizes) {
        out += QByteArray::number(size, 16) + "\r\n" + QByteArray(size, 'c') + "\r\n";
    }
    out += "0\r\n\r\n";
    return out;
}

} // namespace

class TestRequestParser final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyInputIsIncomplete();
    void completeGet();
    void completePost();
    void everyPrefixIsIncomplete_data();
    void everyPrefixIsIncomplete();
    void pipelined();
    void keepAlive_data();
    void keepAlive();
    void headerPieces();
    void bodyInPieces();
    void querySplit_data();
    void querySplit();
    void headersTooLarge_data();
    void headersTooLarge();
    void headAtLimitIsAccepted();
    void bodyTooLargeByContentLength();
    void bodyAtLimitIsAccepted();
    void bodyTooLargeByChunks_data();
    void bodyTooLargeByChunks();
    void chunkedBodyReassembled();
    void chunkedFramingIsBounded();
    void conflictingFraming_data();
    void conflictingFraming();
    void unsupportedTransferCoding_data();
    void unsupportedTransferCoding();
    void lengthRequired_data();
    void lengthRequired();
    void malformed_data();
    void malformed();
    void badContentLength_data();
    void badContentLength();
    void expectContinue();
    void expectContinueIgnoredWhenNotNeeded_data();
    void expectContinueIgnoredWhenNotNeeded();
};

void TestRequestParser::emptyInputIsIncomplete()
{
    const auto result = RequestParser::parse(QByteArrayView());
    QCOMPARE(result.status, Status::Incomplete);
    QCOMPARE(result.frameSize, 0);
}

void TestRequestParser::completeGet()
{
    const auto result = RequestParser::parse(getRequest);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.frameSize, getRequest.size());
    const HttpRequest &request = result.request;
    QCOMPARE(request.method, Method::Get);
    QCOMPARE(request.methodText, QByteArrayLiteral("GET"));
    QCOMPARE(request.target, QByteArrayLiteral("/v1/results?x=1&y=2"));
    QCOMPARE(request.path, QByteArrayLiteral("/v1/results"));
    QCOMPARE(request.query, QByteArrayLiteral("x=1&y=2"));
    QCOMPARE(request.versionMajor, 1);
    QCOMPARE(request.versionMinor, 1);
    QVERIFY(request.keepAlive);
    QCOMPARE(request.headers.size(), 2);
    QCOMPARE(request.headers.at(0).first, QByteArrayLiteral("host"));
    QCOMPARE(request.header("host"), QByteArrayLiteral("example"));
    QCOMPARE(request.header("x-mixed-case"), QByteArrayLiteral("padded value"));
    QVERIFY(request.hasHeader("x-mixed-case"));
    QVERIFY(!request.hasHeader("X-Mixed-Case")); // lookups are by the stored lower-case name
    QVERIFY(request.header("content-length").isEmpty());
    QVERIFY(request.body.isEmpty());
    QVERIFY(!result.expectContinue);
}

void TestRequestParser::completePost()
{
    const auto result = RequestParser::parse(postRequest);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.frameSize, postRequest.size());
    QCOMPARE(result.request.method, Method::Post);
    QCOMPARE(result.request.path, QByteArrayLiteral("/v1/votes"));
    QVERIFY(result.request.query.isEmpty());
    QCOMPARE(result.request.body, QByteArrayLiteral("{\"voter\":\"u123\",\"option\":\"B\"}"));
    QCOMPARE(result.request.mediaType(), QByteArrayLiteral("application/json"));

    // Blank lines before the request line are tolerated (RFC 9112 §2.2) and are part of the frame.
    const QByteArray withLeadingCrlf = "\r\n" + getRequest;
    const auto leading = RequestParser::parse(withLeadingCrlf);
    QCOMPARE(leading.status, Status::Complete);
    QCOMPARE(leading.frameSize, withLeadingCrlf.size());
}

void TestRequestParser::everyPrefixIsIncomplete_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("get") << getRequest;
    QTest::newRow("post") << postRequest;
    QTest::newRow("chunked") << chunkedRequest;
    QTest::newRow("expect-continue") << expectRequest;
    QTest::newRow("http/1.0") << QByteArrayLiteral("GET / HTTP/1.0\r\n\r\n");
}

void TestRequestParser::everyPrefixIsIncomplete()
{
    QFETCH(QByteArray, request);
    for (qsizetype length = 0; length < request.size(); ++length) {
        const auto result = RequestParser::parse(QByteArrayView(request).first(length));
        if (result.status != Status::Incomplete)
            QFAIL(qPrintable(QStringLiteral("prefix of %1 bytes: status %2, %3")
                                 .arg(length)
                                 .arg(int(result.status))
                                 .arg(result.errorMessage)));
        QCOMPARE(result.frameSize, 0);
    }
    const auto full = RequestParser::parse(request);
    QCOMPARE(full.status, Status::Complete);
    QCOMPARE(full.frameSize, request.size());
}

void TestRequestParser::pipelined()
{
    const QByteArray bodylessPost = QByteArrayLiteral("POST /empty HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    const QList<QByteArray> requests{getRequest, postRequest, chunkedRequest, bodylessPost, getRequest};
    QByteArray buffer = requests.join();
    const QByteArray partial = QByteArrayLiteral("GET /next HTTP/1.1\r\nHo");
    buffer += partial;

    QByteArrayView rest(buffer);
    for (const QByteArray &expected : requests) {
        const auto result = RequestParser::parse(rest);
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.frameSize, expected.size());
        // Parsing the frame on its own gives the same request.
        const auto alone = RequestParser::parse(expected);
        QCOMPARE(result.request.path, alone.request.path);
        QCOMPARE(result.request.body, alone.request.body);
        QCOMPARE(result.request.headers, alone.request.headers);
        rest = rest.sliced(result.frameSize);
    }
    QCOMPARE(rest, QByteArrayView(partial));
    QCOMPARE(RequestParser::parse(rest).status, Status::Incomplete);

    // The bodies went to the right requests.
    QByteArrayView again(buffer);
    again = again.sliced(getRequest.size());
    QCOMPARE(RequestParser::parse(again).request.body.size(), 29);
    again = again.sliced(postRequest.size());
    QCOMPARE(RequestParser::parse(again).request.body, QByteArrayLiteral("hello world"));
}

void TestRequestParser::keepAlive_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<int>("versionMinor");
    QTest::newRow("1.1 default") << QByteArrayLiteral("GET / HTTP/1.1\r\n\r\n") << true << 1;
    QTest::newRow("1.1 close") << QByteArrayLiteral("GET / HTTP/1.1\r\nConnection: close\r\n\r\n") << false
                               << 1;
    QTest::newRow("1.1 Close mixed case")
        << QByteArrayLiteral("GET / HTTP/1.1\r\nconnection: Close\r\n\r\n") << false << 1;
    QTest::newRow("1.1 keep-alive") << QByteArrayLiteral("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")
                                    << true << 1;
    QTest::newRow("1.1 token list with close")
        << QByteArrayLiteral("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n") << false << 1;
    QTest::newRow("1.0 default") << QByteArrayLiteral("GET / HTTP/1.0\r\n\r\n") << false << 0;
    QTest::newRow("1.0 keep-alive") << QByteArrayLiteral("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                                    << true << 0;
    QTest::newRow("1.0 Keep-Alive mixed case")
        << QByteArrayLiteral("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") << true << 0;
    QTest::newRow("1.0 close") << QByteArrayLiteral("GET / HTTP/1.0\r\nConnection: close\r\n\r\n") << false
                               << 0;
}

void TestRequestParser::keepAlive()
{
    QFETCH(QByteArray, request);
    QFETCH(bool, keepAlive);
    QFETCH(int, versionMinor);
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.request.keepAlive, keepAlive);
    QCOMPARE(result.request.versionMinor, versionMinor);
}

void TestRequestParser::headerPieces()
{
    // http_parser delivers a folded value (obs-fold) as two on_header_value calls without a
    // field in between; both pieces belong to the same header. Repeated names stay separate.
    const QByteArray request = QByteArrayLiteral("GET / HTTP/1.1\r\n"
                                                 "X-Folded: first\r\n"
                                                 " second\r\n"
                                                 "X-Dup: 1\r\n"
                                                 "x-dup: 2\r\n"
                                                 "Empty:\r\n"
                                                 "Last: z\r\n"
                                                 "\r\n");
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Complete);
    const auto &headers = result.request.headers;
    QCOMPARE(headers.size(), 5);
    QCOMPARE(headers.at(0), qMakePair(QByteArrayLiteral("x-folded"), QByteArrayLiteral("first second")));
    QCOMPARE(headers.at(1), qMakePair(QByteArrayLiteral("x-dup"), QByteArrayLiteral("1")));
    QCOMPARE(headers.at(2), qMakePair(QByteArrayLiteral("x-dup"), QByteArrayLiteral("2")));
    QCOMPARE(headers.at(3), qMakePair(QByteArrayLiteral("empty"), QByteArray()));
    QCOMPARE(headers.at(4), qMakePair(QByteArrayLiteral("last"), QByteArrayLiteral("z")));
    QCOMPARE(result.request.header("x-dup"), QByteArrayLiteral("1"));
}

void TestRequestParser::bodyInPieces()
{
    // The parser first runs over at most maxHeaderBytes, so a body that straddles that
    // boundary reaches on_body in two pieces; they must be joined in order.
    const QByteArray request = QByteArrayLiteral("POST /p HTTP/1.1\r\nContent-Length: 20\r\n\r\n"
                                                 "abcdefghijklmnopqrst");
    const qsizetype headSize = request.indexOf("\r\n\r\n") + 4;
    for (qsizetype cut = headSize; cut <= request.size(); ++cut) {
        const ParserLimits limits{cut, 4096};
        const auto result = RequestParser::parse(request, limits);
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.frameSize, request.size());
        QCOMPARE(result.request.body, QByteArrayLiteral("abcdefghijklmnopqrst"));
    }
}

void TestRequestParser::querySplit_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::newRow("plain") << QByteArrayLiteral("/a/b") << QByteArrayLiteral("/a/b") << QByteArray();
    QTest::newRow("root") << QByteArrayLiteral("/") << QByteArrayLiteral("/") << QByteArray();
    QTest::newRow("empty query") << QByteArrayLiteral("/a?") << QByteArrayLiteral("/a") << QByteArray();
    QTest::newRow("query") << QByteArrayLiteral("/a?b=1&c") << QByteArrayLiteral("/a")
                           << QByteArrayLiteral("b=1&c");
    QTest::newRow("second question mark")
        << QByteArrayLiteral("/a?b?c") << QByteArrayLiteral("/a") << QByteArrayLiteral("b?c");
    QTest::newRow("percent-encoded kept")
        << QByteArrayLiteral("/a%20b?q=%3F") << QByteArrayLiteral("/a%20b") << QByteArrayLiteral("q=%3F");
    QTest::newRow("fragment") << QByteArrayLiteral("/a#f") << QByteArrayLiteral("/a") << QByteArray();
    QTest::newRow("query and fragment")
        << QByteArrayLiteral("/a?x=1#f") << QByteArrayLiteral("/a") << QByteArrayLiteral("x=1");
    QTest::newRow("absolute-form") << QByteArrayLiteral("http://host:8080/p/q?z=9")
                                   << QByteArrayLiteral("/p/q") << QByteArrayLiteral("z=9");
    QTest::newRow("absolute-form without path")
        << QByteArrayLiteral("http://host") << QByteArrayLiteral("/") << QByteArray();
}

void TestRequestParser::querySplit()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    const auto result = RequestParser::parse(QByteArray("GET " + target + " HTTP/1.1\r\n\r\n"));
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.request.target, target);
    QCOMPARE(result.request.path, path);
    QCOMPARE(result.request.query, query);
}

void TestRequestParser::headersTooLarge_data()
{
    QTest::addColumn<QByteArray>("request");
    const ParserLimits defaults;
    const QByteArray big = requestWithHeadSize(defaults.maxHeaderBytes + 1);
    QTest::newRow("complete head one byte over") << big;
    QTest::newRow("no blank line yet") << requestWithHeadSize(defaults.maxHeaderBytes + 3).chopped(2);
    QTest::newRow("endless header value")
        << QByteArray("GET / HTTP/1.1\r\nX-Pad: " + QByteArray(defaults.maxHeaderBytes, 'p'));
    QTest::newRow("endless request line") << QByteArray("GET /" + QByteArray(defaults.maxHeaderBytes, 'a'));
    QTest::newRow("many small headers")
        << QByteArray("GET / HTTP/1.1\r\n" + QByteArray("A: b\r\n").repeated(2000));
    QTest::newRow("over limit with body behind")
        << QByteArray(big.chopped(4) + "\r\nContent-Length: 1\r\n\r\nx");
}

void TestRequestParser::headersTooLarge()
{
    QFETCH(QByteArray, request);
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 431);
    QCOMPARE(result.errorCode, QByteArrayLiteral("headers_too_large"));
    QVERIFY(!result.errorMessage.isEmpty());
    QVERIFY(!result.request.keepAlive);
}

void TestRequestParser::headAtLimitIsAccepted()
{
    const ParserLimits defaults;
    const QByteArray atLimit = requestWithHeadSize(defaults.maxHeaderBytes);
    QCOMPARE(atLimit.size(), defaults.maxHeaderBytes);
    QCOMPARE(RequestParser::parse(atLimit).status, Status::Complete);
    // Below the limit and unfinished: simply wait for more.
    QCOMPARE(RequestParser::parse(atLimit.chopped(1)).status, Status::Incomplete);
    // A smaller configured limit applies.
    const auto small = RequestParser::parse(getRequest, ParserLimits{getRequest.size() - 1, 4096});
    QCOMPARE(small.errorStatus, 431);
}

void TestRequestParser::bodyTooLargeByContentLength()
{
    // Only the head has arrived: the answer must not wait for the body.
    const QByteArray head = QByteArrayLiteral("POST /v1/votes HTTP/1.1\r\nContent-Length: 4097\r\n\r\n");
    const auto result = RequestParser::parse(head);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 413);
    QCOMPARE(result.errorCode, QByteArrayLiteral("payload_too_large"));

    const auto custom = RequestParser::parse(postRequest, ParserLimits{8192, 28});
    QCOMPARE(custom.errorStatus, 413);
}

void TestRequestParser::bodyAtLimitIsAccepted()
{
    const QByteArray request =
        "POST /v1/votes HTTP/1.1\r\nContent-Length: 4096\r\n\r\n" + QByteArray(4096, 'b');
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.request.body.size(), 4096);
    QCOMPARE(RequestParser::parse(chunked({4000, 96})).request.body.size(), 4096);
}

void TestRequestParser::bodyTooLargeByChunks_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("two chunks") << chunked({4000, 97});
    QTest::newRow("many chunks") << chunked(QList<qsizetype>(41, 100));
    QTest::newRow("one huge chunk announced")
        << QByteArrayLiteral("POST /v1/votes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\nabc");
    QTest::newRow("oversized second chunk announced")
        << QByteArray("POST /v1/votes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfa0\r\n" +
                      QByteArray(4000, 'a') + "\r\n61\r\n");
}

void TestRequestParser::bodyTooLargeByChunks()
{
    QFETCH(QByteArray, request);
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 413);
    QCOMPARE(result.errorCode, QByteArrayLiteral("payload_too_large"));
}

void TestRequestParser::chunkedBodyReassembled()
{
    const auto result = RequestParser::parse(chunkedRequest);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.frameSize, chunkedRequest.size());
    QCOMPARE(result.request.body, QByteArrayLiteral("hello world"));
    QVERIFY(result.request.keepAlive);

    const QByteArray upperHex = QByteArrayLiteral("POST /x HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n"
                                                  "A\r\n0123456789\r\n0\r\n\r\n");
    const auto hex = RequestParser::parse(upperHex);
    QCOMPARE(hex.status, Status::Complete);
    QCOMPARE(hex.request.body, QByteArrayLiteral("0123456789"));
}

void TestRequestParser::chunkedFramingIsBounded()
{
    // Chunk extensions are not body bytes; without a cap an unfinished message could grow
    // without end while being re-parsed on every read.
    const QByteArray request =
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + QByteArray(64 * 1024, 'e');
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 413);
}

void TestRequestParser::conflictingFraming_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("CL then TE") << QByteArrayLiteral(
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    QTest::newRow("TE then CL") << QByteArrayLiteral(
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    QTest::newRow("CL and TE gzip") << QByteArrayLiteral(
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\nabc");
    QTest::newRow("two Content-Length")
        << QByteArrayLiteral("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
}

void TestRequestParser::conflictingFraming()
{
    QFETCH(QByteArray, request);
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 400);
    QCOMPARE(result.errorCode, QByteArrayLiteral("bad_request"));
}

void TestRequestParser::unsupportedTransferCoding_data()
{
    QTest::addColumn<QByteArray>("coding");
    QTest::newRow("gzip") << QByteArrayLiteral("gzip");
    QTest::newRow("gzip, chunked") << QByteArrayLiteral("gzip, chunked");
    QTest::newRow("chunked twice") << QByteArrayLiteral("chunked, chunked");
    QTest::newRow("identity") << QByteArrayLiteral("identity");
}

void TestRequestParser::unsupportedTransferCoding()
{
    QFETCH(QByteArray, coding);
    const auto result = RequestParser::parse(
        QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: " + coding + "\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 501);
    QCOMPARE(result.errorCode, QByteArrayLiteral("not_implemented"));
}

void TestRequestParser::lengthRequired_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<int>("errorStatus");
    QTest::newRow("POST") << QByteArrayLiteral("POST") << 411;
    QTest::newRow("PUT") << QByteArrayLiteral("PUT") << 411;
    QTest::newRow("PATCH") << QByteArrayLiteral("PATCH") << 411;
    QTest::newRow("DELETE") << QByteArrayLiteral("DELETE") << 0;
    QTest::newRow("GET") << QByteArrayLiteral("GET") << 0;
}

void TestRequestParser::lengthRequired()
{
    QFETCH(QByteArray, method);
    QFETCH(int, errorStatus);
    const auto result = RequestParser::parse(QByteArray(method + " /v1/votes HTTP/1.1\r\nHost: h\r\n\r\n"));
    if (errorStatus == 0) {
        QCOMPARE(result.status, Status::Complete);
        return;
    }
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, errorStatus);
    QCOMPARE(result.errorCode, QByteArrayLiteral("length_required"));
}

void TestRequestParser::malformed_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("messagePart");
    using namespace Qt::Literals::StringLiterals;
    QTest::newRow("garbage") << QByteArrayLiteral("hello world\r\n\r\n") << u"invalid HTTP method"_s;
    QTest::newRow("tls client hello")
        << QByteArrayLiteral("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") << u"malformed request"_s;
    QTest::newRow("NUL in method") << QByteArray("G\0T / HTTP/1.1\r\n\r\n", 18) << u"malformed request"_s;
    QTest::newRow("NUL in target") << QByteArray("GET /a\0b HTTP/1.1\r\n\r\n", 21) << u"invalid URL"_s;
    QTest::newRow("NUL in header value")
        << QByteArray("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26) << u"invalid character in header"_s;
    QTest::newRow("space in header name")
        << QByteArrayLiteral("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n") << u"invalid header name"_s;
    // Whitespace before the colon must be refused (RFC 9112 §5.1): a proxy in front may read
    // it differently, which is how requests are smuggled.
    QTest::newRow("space before colon")
        << QByteArrayLiteral("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\nGET /")
        << u"invalid header name"_s;
    QTest::newRow("tab in header name")
        << QByteArrayLiteral("GET / HTTP/1.1\r\nA\tB: x\r\n\r\n") << u"malformed request"_s;
    QTest::newRow("missing version") << QByteArrayLiteral("GET / HTTP/\r\n\r\n") << u"malformed request"_s;
    QTest::newRow("lower-case method")
        << QByteArrayLiteral("get / HTTP/1.1\r\n\r\n") << u"malformed request"_s;
    QTest::newRow("HTTP/2.0") << QByteArrayLiteral("GET / HTTP/2.0\r\n\r\n") << u"unsupported HTTP version"_s;
    QTest::newRow("HTTP/0.9 style") << QByteArrayLiteral("GET /\r\n\r\n") << u"unsupported HTTP version"_s;
    QTest::newRow("bad chunk size") << QByteArrayLiteral(
                                           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                                    << u"invalid character in chunk size"_s;
}

void TestRequestParser::malformed()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, messagePart);
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 400);
    QCOMPARE(result.errorCode, QByteArrayLiteral("bad_request"));
    QVERIFY2(result.errorMessage.contains(messagePart), qPrintable(result.errorMessage));
    QCOMPARE(result.frameSize, 0);
}

void TestRequestParser::badContentLength_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("negative") << QByteArrayLiteral("-1");
    QTest::newRow("non-numeric") << QByteArrayLiteral("abc");
    QTest::newRow("two numbers") << QByteArrayLiteral("1 2");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("hex") << QByteArrayLiteral("0x10");
    QTest::newRow("overflowing") << QByteArrayLiteral("99999999999999999999999");
}

void TestRequestParser::badContentLength()
{
    QFETCH(QByteArray, value);
    const auto result =
        RequestParser::parse(QByteArray("POST / HTTP/1.1\r\nContent-Length: " + value + "\r\n\r\nabc"));
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 400);
    QCOMPARE(result.errorCode, QByteArrayLiteral("bad_request"));
}

void TestRequestParser::expectContinue()
{
    const qsizetype headSize = expectRequest.indexOf("\r\n\r\n") + 4;
    // Before the head is complete there is nothing to confirm yet.
    QVERIFY(!RequestParser::parse(QByteArrayView(expectRequest).first(headSize - 1)).expectContinue);
    for (qsizetype length = headSize; length < expectRequest.size(); ++length) {
        const auto result = RequestParser::parse(QByteArrayView(expectRequest).first(length));
        QCOMPARE(result.status, Status::Incomplete);
        QVERIFY(result.expectContinue);
    }
    const auto complete = RequestParser::parse(expectRequest);
    QCOMPARE(complete.status, Status::Complete);
    QVERIFY(!complete.expectContinue);
    QCOMPARE(complete.request.body, QByteArrayLiteral("0123456789"));

    // Too large: refused at once, which is what the client waits for.
    const auto tooLarge = RequestParser::parse(
        QByteArrayLiteral("PUT /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"));
    QCOMPARE(tooLarge.status, Status::Error);
    QCOMPARE(tooLarge.errorStatus, 413);
    QVERIFY(!tooLarge.expectContinue);

    const auto chunkedExpect = RequestParser::parse(
        QByteArrayLiteral("POST /u HTTP/1.1\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"));
    QCOMPARE(chunkedExpect.status, Status::Incomplete);
    QVERIFY(chunkedExpect.expectContinue);
}

void TestRequestParser::expectContinueIgnoredWhenNotNeeded_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::newRow("HTTP/1.0") << QByteArrayLiteral(
        "PUT /u HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
    QTest::newRow("other expectation")
        << QByteArrayLiteral("PUT /u HTTP/1.1\r\nExpect: something\r\nContent-Length: 10\r\n\r\n");
    QTest::newRow("no expectation") << QByteArrayLiteral("PUT /u HTTP/1.1\r\nContent-Length: 10\r\n\r\n");
}

void TestRequestParser::expectContinueIgnoredWhenNotNeeded()
{
    QFETCH(QByteArray, head);
    const auto result = RequestParser::parse(head);
    QCOMPARE(result.status, Status::Incomplete);
    QVERIFY(!result.expectContinue);
}

QTEST_GUILESS_MAIN(TestRequestParser)
#include "tst_requestparser.moc"
