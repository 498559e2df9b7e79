#include <QObject>
#include <QTest>

#include "http/requestparser.h"

using namespace Http;
using Status = RequestParser::Status;
using namespace Qt::Literals::StringLiterals;

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

// The headers as owned pairs, for comparisons with readable failure output.
QList<QPair<QByteArray, QByteArray>> headerList(const HttpRequest &request)
{
    QList<QPair<QByteArray, QByteArray>> list;
    for (const HttpHeader &header : request.headers)
        list.append({header.name.toByteArray(), header.value.toByteArray()});
    return list;
}

// True when view lies inside bytes: the request refers to the input instead of copying it.
bool pointsInto(QByteArrayView view, const QByteArray &bytes)
{
    return view.data() >= bytes.constData() && view.data() + view.size() <= bytes.constData() + bytes.size();
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
    void obsFoldIsRefused();
    void headerLookup();
    void mediaType_data();
    void mediaType();
    void viewsPointIntoInput();
    void headerCountLimit();
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
    QCOMPARE(request.methodText.toByteArray(), QByteArrayLiteral("GET"));
    QCOMPARE(request.target.toByteArray(), QByteArrayLiteral("/v1/results?x=1&y=2"));
    QCOMPARE(request.path.toByteArray(), QByteArrayLiteral("/v1/results"));
    QCOMPARE(request.query.toByteArray(), QByteArrayLiteral("x=1&y=2"));
    QCOMPARE(request.versionMajor, 1);
    QCOMPARE(request.versionMinor, 1);
    QVERIFY(request.keepAlive);
    QCOMPARE(request.headers.size(), 2);
    QCOMPARE(request.headers.at(0).name.toByteArray(), QByteArrayLiteral("Host")); // as sent
    QCOMPARE(request.header("host").toByteArray(), QByteArrayLiteral("example"));
    QCOMPARE(request.header("x-mixed-case").toByteArray(), QByteArrayLiteral("padded value"));
    QVERIFY(request.hasHeader("x-mixed-case"));
    QVERIFY(request.hasHeader("X-MIXED-CASE")); // names compare case-insensitively
    QVERIFY(!request.hasHeader("x-mixed"));
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
    QCOMPARE(result.request.path.toByteArray(), QByteArrayLiteral("/v1/votes"));
    QVERIFY(result.request.query.isEmpty());
    QCOMPARE(result.request.body.toByteArray(), QByteArrayLiteral("{\"voter\":\"u123\",\"option\":\"B\"}"));
    QVERIFY(result.request.ownedBody.isNull()); // a Content-Length body is not copied
    QCOMPARE(result.request.mediaType().toByteArray(), QByteArrayLiteral("Application/JSON"));
    QVERIFY(result.request.isMediaType("application/json"));

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
        QCOMPARE(result.request.path.toByteArray(), alone.request.path.toByteArray());
        QCOMPARE(result.request.body.toByteArray(), alone.request.body.toByteArray());
        QCOMPARE(headerList(result.request), headerList(alone.request));
        rest = rest.sliced(result.frameSize);
    }
    QCOMPARE(rest, QByteArrayView(partial));
    QCOMPARE(RequestParser::parse(rest).status, Status::Incomplete);

    // The bodies went to the right requests.
    QByteArrayView again(buffer);
    again = again.sliced(getRequest.size());
    QCOMPARE(RequestParser::parse(again).request.body.size(), 29);
    again = again.sliced(postRequest.size());
    QCOMPARE(RequestParser::parse(again).request.body.toByteArray(), QByteArrayLiteral("hello world"));
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
    // Repeated names stay separate, in order; empty values and surrounding whitespace are
    // handled; names keep the case they were sent in.
    const QByteArray request = QByteArrayLiteral("GET / HTTP/1.1\r\n"
                                                 "X-Dup: 1\r\n"
                                                 "x-dup: 2\r\n"
                                                 "Empty:\r\n"
                                                 "Spaces: \t inner  value \t\r\n"
                                                 "Last: z\r\n"
                                                 "\r\n");
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Complete);
    const auto headers = headerList(result.request);
    QCOMPARE(headers.size(), 5);
    QCOMPARE(headers.at(0), qMakePair(QByteArrayLiteral("X-Dup"), QByteArrayLiteral("1")));
    QCOMPARE(headers.at(1), qMakePair(QByteArrayLiteral("x-dup"), QByteArrayLiteral("2")));
    QCOMPARE(headers.at(2), qMakePair(QByteArrayLiteral("Empty"), QByteArray()));
    QCOMPARE(headers.at(3), qMakePair(QByteArrayLiteral("Spaces"), QByteArrayLiteral("inner  value")));
    QCOMPARE(headers.at(4), qMakePair(QByteArrayLiteral("Last"), QByteArrayLiteral("z")));
    QCOMPARE(result.request.header("x-dup").toByteArray(), QByteArrayLiteral("1"));
    QVERIFY(result.request.hasHeader("empty"));
    QVERIFY(result.request.header("empty").isEmpty());
}

void TestRequestParser::obsFoldIsRefused()
{
    // A value folded over two lines (obs-fold) is refused: RFC 9112 §5.2 allows 400, and
    // requests are views into the input, where the two pieces are not adjacent.
    const QByteArray request = QByteArrayLiteral("GET / HTTP/1.1\r\n"
                                                 "X-Folded: first\r\n"
                                                 " second\r\n"
                                                 "\r\n");
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Error);
    QCOMPARE(result.errorStatus, 400);
    QCOMPARE(result.errorCode, QByteArrayLiteral("bad_request"));
    QVERIFY2(result.errorMessage.contains(u"folding"_s), qPrintable(result.errorMessage));
}

void TestRequestParser::headerLookup()
{
    const QByteArray request = QByteArrayLiteral("GET / HTTP/1.1\r\nIF-NONE-MATCH: \"r-1-7\"\r\n"
                                                 "Content-type: text/plain\r\n\r\n");
    const auto result = RequestParser::parse(request);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.request.header("if-none-match").toByteArray(), QByteArrayLiteral("\"r-1-7\""));
    QCOMPARE(result.request.header("If-None-Match").toByteArray(), QByteArrayLiteral("\"r-1-7\""));
    QCOMPARE(result.request.header("CONTENT-TYPE").toByteArray(), QByteArrayLiteral("text/plain"));
    QVERIFY(!result.request.hasHeader("if-none-matc"));
    QVERIFY(!result.request.hasHeader("if-none-match2"));
    // Only letters fold: bytes 0x20 apart that are not letters stay different.
    QVERIFY(equalsIgnoringCase("X-Votedesk-Canary", "x-votedesk-canary"));
    QVERIFY(!equalsIgnoringCase("x-votedesk-canary", "x-votedesk-canarz"));
    QVERIFY(!equalsIgnoringCase("a@b", "a`b"));
    QVERIFY(!equalsIgnoringCase("[x]", "{x}"));
    QVERIFY(!equalsIgnoringCase("content-type", "content-typ"));
}

void TestRequestParser::mediaType_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("mediaType");
    QTest::addColumn<bool>("isJson");
    QTest::newRow("plain") << QByteArrayLiteral("application/json") << QByteArrayLiteral("application/json")
                           << true;
    QTest::newRow("parameters") << QByteArrayLiteral("application/json; charset=utf-8")
                                << QByteArrayLiteral("application/json") << true;
    QTest::newRow("case kept") << QByteArrayLiteral("Application/JSON;charset=UTF-8")
                               << QByteArrayLiteral("Application/JSON") << true;
    QTest::newRow("space before parameters")
        << QByteArrayLiteral("application/json \t; q=1") << QByteArrayLiteral("application/json") << true;
    QTest::newRow("form") << QByteArrayLiteral("application/x-www-form-urlencoded")
                          << QByteArrayLiteral("application/x-www-form-urlencoded") << false;
    QTest::newRow("prefix only") << QByteArrayLiteral("application/jsonx")
                                 << QByteArrayLiteral("application/jsonx") << false;
    QTest::newRow("empty") << QByteArray() << QByteArray() << false;
}

void TestRequestParser::mediaType()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, mediaType);
    QFETCH(bool, isJson);
    const QByteArray bytes = "GET / HTTP/1.1\r\n" +
                             (contentType.isNull() ? QByteArray() : "Content-Type: " + contentType + "\r\n") +
                             "\r\n";
    const auto result = RequestParser::parse(bytes);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.request.mediaType().toByteArray(), mediaType);
    QCOMPARE(result.request.isMediaType("application/json"), isJson);
}

void TestRequestParser::viewsPointIntoInput()
{
    // Nothing of a Content-Length request is copied: every part views the input.
    const auto post = RequestParser::parse(postRequest);
    QCOMPARE(post.status, Status::Complete);
    const HttpRequest &request = post.request;
    QVERIFY(pointsInto(request.target, postRequest));
    QVERIFY(pointsInto(request.path, postRequest));
    QVERIFY(pointsInto(request.body, postRequest));
    for (const HttpHeader &header : request.headers) {
        QVERIFY(pointsInto(header.name, postRequest));
        QVERIFY(pointsInto(header.value, postRequest));
    }

    // A chunked body has to be joined: it lives in ownedBody, and body views that.
    auto chunkedResult = RequestParser::parse(chunkedRequest);
    QCOMPARE(chunkedResult.status, Status::Complete);
    QCOMPARE(chunkedResult.request.ownedBody, QByteArrayLiteral("hello world"));
    QCOMPARE(chunkedResult.request.body.data(), chunkedResult.request.ownedBody.constData());
    // Moving the result (as the connection does) keeps the view valid.
    const RequestParser::Result moved = std::move(chunkedResult);
    QCOMPARE(moved.request.body.toByteArray(), QByteArrayLiteral("hello world"));
}

void TestRequestParser::headerCountLimit()
{
    const auto withHeaders = [](int count) -> QByteArray {
        QByteArray bytes = QByteArrayLiteral("GET / HTTP/1.1\r\n");
        for (int i = 0; i < count; ++i)
            bytes += "H" + QByteArray::number(i) + ": v\r\n";
        return bytes + "\r\n";
    };
    const QByteArray hundred = withHeaders(100);
    const auto atLimit = RequestParser::parse(hundred);
    QCOMPARE(atLimit.status, Status::Complete);
    QCOMPARE(atLimit.request.headers.size(), 100);
    QCOMPARE(atLimit.request.header("h99").toByteArray(), QByteArrayLiteral("v"));

    const QByteArray hundredAndOne = withHeaders(101);
    const auto over = RequestParser::parse(hundredAndOne);
    QCOMPARE(over.status, Status::Error);
    QCOMPARE(over.errorStatus, 431);
    QCOMPARE(over.errorCode, QByteArrayLiteral("headers_too_large"));

    ParserLimits few;
    few.maxHeaderCount = 2;
    const QByteArray two = withHeaders(2);
    const QByteArray three = withHeaders(3);
    QCOMPARE(RequestParser::parse(two, few).status, Status::Complete);
    QCOMPARE(RequestParser::parse(three, few).errorStatus, 431);
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
        QCOMPARE(result.request.body.toByteArray(), QByteArrayLiteral("abcdefghijklmnopqrst"));
        QVERIFY(pointsInto(result.request.body, request)); // two pieces, one view
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
    const QByteArray bytes = "GET " + target + " HTTP/1.1\r\n\r\n"; // the request views it
    const auto result = RequestParser::parse(bytes);
    QCOMPARE(result.status, Status::Complete);
    QCOMPARE(result.request.target.toByteArray(), target);
    QCOMPARE(result.request.path.toByteArray(), path);
    QCOMPARE(result.request.query.toByteArray(), query);
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
    QCOMPARE(RequestParser::parse(QByteArrayView(atLimit).chopped(1)).status, Status::Incomplete);
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
    const QByteArray twoChunks = chunked({4000, 96});
    QCOMPARE(RequestParser::parse(twoChunks).request.body.size(), 4096);
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
    QCOMPARE(result.request.body.toByteArray(), QByteArrayLiteral("hello world"));
    QVERIFY(result.request.keepAlive);

    const QByteArray upperHex = QByteArrayLiteral("POST /x HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n"
                                                  "A\r\n0123456789\r\n0\r\n\r\n");
    const auto hex = RequestParser::parse(upperHex);
    QCOMPARE(hex.status, Status::Complete);
    QCOMPARE(hex.request.body.toByteArray(), QByteArrayLiteral("0123456789"));
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
    const QByteArray request =
        "POST / HTTP/1.1\r\nTransfer-Encoding: " + coding + "\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    const auto result = RequestParser::parse(request);
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
    const QByteArray request = method + " /v1/votes HTTP/1.1\r\nHost: h\r\n\r\n";
    const auto result = RequestParser::parse(request);
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
    const QByteArray request = "POST / HTTP/1.1\r\nContent-Length: " + value + "\r\n\r\nabc";
    const auto result = RequestParser::parse(request);
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
    QCOMPARE(complete.request.body.toByteArray(), QByteArrayLiteral("0123456789"));

    // Too large: refused at once, which is what the client waits for.
    const auto tooLarge = RequestParser::parse(
        QByteArrayView("PUT /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"));
    QCOMPARE(tooLarge.status, Status::Error);
    QCOMPARE(tooLarge.errorStatus, 413);
    QVERIFY(!tooLarge.expectContinue);

    const auto chunkedExpect = RequestParser::parse(
        QByteArrayView("POST /u HTTP/1.1\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n"));
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
