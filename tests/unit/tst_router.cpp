#include <algorithm>

#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QTest>

#include "http/requestparser.h"
#include "http/router.h"

using namespace Http;
using namespace Qt::Literals::StringLiterals;

namespace {

// A parsed request together with the bytes it views (HttpRequest owns nothing). Moving it
// keeps the views valid: QByteArray's heap block moves along.
struct ParsedRequest
{
    QByteArray bytes;
    HttpRequest request;

    operator const HttpRequest &() const { return request; }
};

ParsedRequest request(const QByteArray &method, const QByteArray &target, const QByteArray &extraHeaders = {})
{
    ParsedRequest parsed;
    parsed.bytes = method + ' ' + target + " HTTP/1.1\r\nHost: h\r\n" + extraHeaders +
                   (method == "POST" ? "Content-Length: 0\r\n" : "") + "\r\n";
    auto result = RequestParser::parse(parsed.bytes);
    if (result.status != RequestParser::Status::Complete)
        qFatal("test request does not parse: %s", qPrintable(result.errorMessage));
    parsed.request = std::move(result.request);
    return parsed;
}

QByteArray header(const HttpResponse &response, const QByteArray &name)
{
    for (const auto &[key, value] : response.headers()) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

QJsonObject jsonBody(const HttpResponse &response)
{
    return QJsonDocument::fromJson(response.body()).object();
}

QByteArray wire(const HttpResponse &response)
{
    QByteArray out;
    response.serialize(out, 1, true);
    return out;
}

} // namespace

class TestRouter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void exactMatch();
    void queryIgnored();
    void notFound_data();
    void notFound();
    void methodNotAllowed();
    void headFallsBackToGet();
    void explicitHeadWins();
    void optionsPreflight();
    void preflightRefusedForPrivatePaths();
    void unknownMethodOnKnownPath();
    void deferredHandler();
    void crossOriginHeaderOnce();
    void responseWireFormat();

private:
    Router m_router;
    QList<QByteArray> m_calls;
};

void TestRouter::init()
{
    m_router = Router();
    m_calls.clear();
    const auto handler = [this](const QByteArray &name) {
        return [this, name](const HttpRequest &req, const RequestContext &) -> std::optional<HttpResponse> {
            m_calls.append(name);
            return HttpResponse::text(200, name + ':' + req.methodText.toByteArray());
        };
    };
    m_router.add(Method::Get, "/v1/results", handler("results"));
    m_router.add(Method::Post, "/v1/votes", handler("votes"));
    m_router.add(Method::Get, "/v1/session", handler("session-get"));
    m_router.add(Method::Put, "/v1/session", handler("session-put"));
}

void TestRouter::exactMatch()
{
    const auto response = m_router.dispatch(request("POST", "/v1/votes"), {});
    QVERIFY(response);
    QCOMPARE(response->status(), 200);
    QCOMPARE(response->body(), QByteArrayLiteral("votes:POST"));
    QCOMPARE(m_calls, QList<QByteArray>{"votes"});

    // No prefix or trailing-slash matching.
    QCOMPARE(m_router.dispatch(request("GET", "/v1/results/"), {})->status(), 404);
    QCOMPARE(m_router.dispatch(request("GET", "/v1/result"), {})->status(), 404);
    QCOMPARE(m_router.dispatch(request("GET", "/V1/RESULTS"), {})->status(), 404);
    QCOMPARE(m_calls.size(), 1);
}

void TestRouter::queryIgnored()
{
    const auto response = m_router.dispatch(request("GET", "/v1/results?format=json&x=%20"), {});
    QVERIFY(response);
    QCOMPARE(response->status(), 200);
    QCOMPARE(m_calls, QList<QByteArray>{"results"});
}

void TestRouter::notFound_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::newRow("GET") << QByteArrayLiteral("GET") << QByteArrayLiteral("/nope");
    QTest::newRow("POST") << QByteArrayLiteral("POST") << QByteArrayLiteral("/nope?x=1");
    QTest::newRow("OPTIONS") << QByteArrayLiteral("OPTIONS") << QByteArrayLiteral("/nope");
    QTest::newRow("quote in path") << QByteArrayLiteral("GET") << QByteArrayLiteral("/a\"b\\c");
}

void TestRouter::notFound()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    const auto response = m_router.dispatch(request(method, target), {});
    QVERIFY(response);
    QCOMPARE(response->status(), 404);
    QCOMPARE(response->contentType(), QByteArrayLiteral("application/json"));
    QJsonParseError error{};
    const QJsonObject body = QJsonDocument::fromJson(response->body(), &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError); // the path is escaped properly
    QCOMPARE(body.value(u"error"_s).toString(), u"not_found"_s);
    QVERIFY(!body.value(u"message"_s).toString().isEmpty());
    QVERIFY(m_calls.isEmpty());
}

void TestRouter::methodNotAllowed()
{
    const auto response = m_router.dispatch(request("GET", "/v1/votes"), {});
    QVERIFY(response);
    QCOMPARE(response->status(), 405);
    QCOMPARE(jsonBody(*response).value(u"error"_s).toString(), u"method_not_allowed"_s);
    QCOMPARE(header(*response, "allow"), QByteArrayLiteral("POST, OPTIONS"));
    QVERIFY(wire(*response).contains("\r\nAllow: POST, OPTIONS\r\n"));

    const auto deleteSession = m_router.dispatch(request("DELETE", "/v1/session"), {});
    QCOMPARE(deleteSession->status(), 405);
    QCOMPARE(header(*deleteSession, "allow"), QByteArrayLiteral("GET, HEAD, PUT, OPTIONS"));
    QVERIFY(m_calls.isEmpty());
}

void TestRouter::headFallsBackToGet()
{
    const auto response = m_router.dispatch(request("HEAD", "/v1/results"), {});
    QVERIFY(response);
    QCOMPARE(response->status(), 200);
    QCOMPARE(m_calls, QList<QByteArray>{"results"});
    // The body stays in the response (its length is announced); the connection omits it.
    QByteArray out;
    response->serialize(out, 1, true, true);
    QVERIFY(out.contains("\r\nContent-Length: 12\r\n"));
    QVERIFY(out.endsWith("\r\n\r\n"));
    QVERIFY(!out.contains("results:HEAD"));

    QCOMPARE(m_router.dispatch(request("HEAD", "/v1/votes"), {})->status(), 405);
}

void TestRouter::explicitHeadWins()
{
    m_router.add(Method::Head, "/v1/results", [this](const HttpRequest &, const RequestContext &) {
        m_calls.append("head");
        return std::optional<HttpResponse>(HttpResponse::text(200, {}));
    });
    QVERIFY(m_router.dispatch(request("HEAD", "/v1/results"), {}));
    QCOMPARE(m_calls, QList<QByteArray>{"head"});
}

void TestRouter::optionsPreflight()
{
    // What a browser sends before POSTing JSON from another origin.
    m_router.allowCrossOrigin("/v1/votes");
    const auto response = m_router.dispatch(request("OPTIONS", "/v1/votes",
                                                    "Origin: https://show.example\r\n"
                                                    "Access-Control-Request-Method: POST\r\n"
                                                    "Access-Control-Request-Headers: content-type\r\n"),
                                            {});
    QVERIFY(response);
    QCOMPARE(response->status(), 204);
    QVERIFY(response->body().isEmpty());
    QCOMPARE(header(*response, "access-control-allow-origin"), QByteArrayLiteral("*"));
    const QList<QByteArray> methods = header(*response, "access-control-allow-methods").split(',');
    QVERIFY(std::any_of(methods.cbegin(), methods.cend(),
                        [](const QByteArray &m) { return m.trimmed() == "POST"; }));
    QVERIFY(header(*response, "access-control-allow-headers").toLower().contains("content-type"));
    QCOMPARE(header(*response, "allow"), QByteArrayLiteral("POST, OPTIONS"));
    // 204 carries no Content-Length and no body on the wire.
    const QByteArray out = wire(*response);
    QVERIFY(out.startsWith("HTTP/1.1 204 No Content\r\n"));
    QVERIFY(!out.contains("Content-Length"));
    QVERIFY(m_calls.isEmpty());
}

void TestRouter::preflightRefusedForPrivatePaths()
{
    // A path not marked cross-origin (the admin API) must not be drivable by a web page the
    // operator visits: the preflight answers without any Access-Control-Allow-* header.
    m_router.allowCrossOrigin("/v1/votes");
    m_router.add(Method::Post, "/v1/admin/window", [](const HttpRequest &, const RequestContext &) {
        return std::optional<HttpResponse>(HttpResponse::text(200, {}));
    });
    const auto response = m_router.dispatch(request("OPTIONS", "/v1/admin/window",
                                                    "Origin: https://evil.example\r\n"
                                                    "Access-Control-Request-Method: POST\r\n"),
                                            {});
    QVERIFY(response);
    QCOMPARE(response->status(), 204);
    QVERIFY(header(*response, "access-control-allow-origin").isEmpty());
    QVERIFY(header(*response, "access-control-allow-methods").isEmpty());
    QVERIFY(m_router.isCrossOrigin("/v1/votes"));
    QVERIFY(!m_router.isCrossOrigin("/v1/admin/window"));
}

void TestRouter::unknownMethodOnKnownPath()
{
    const auto response = m_router.dispatch(request("PROPFIND", "/v1/results"), {});
    QCOMPARE(response->status(), 405);
    QCOMPARE(header(*response, "allow"), QByteArrayLiteral("GET, HEAD, OPTIONS"));
    QVERIFY(m_calls.isEmpty());
}

void TestRouter::deferredHandler()
{
    ReplyTicket kept;
    m_router.add(Method::Post, "/later", [&kept](const HttpRequest &, const RequestContext &ctx) {
        kept = ctx.ticket;
        return std::optional<HttpResponse>();
    });
    RequestContext ctx;
    ctx.ticket.connectionId = 7;
    ctx.ticket.sequence = 3;
    QVERIFY(!m_router.dispatch(request("POST", "/later"), ctx));
    QCOMPARE(kept.connectionId, 7u);
    QCOMPARE(kept.sequence, 3u);
}

void TestRouter::crossOriginHeaderOnce()
{
    // The connection asks serialize() for the CORS header on allowCrossOrigin paths; a
    // handler that set it itself must not end up with two (browsers refuse "*, *").
    QByteArray out;
    HttpResponse::json(202, "{}").serialize(out, 1, true, false, true);
    QCOMPARE(out.count("Access-Control-Allow-Origin: *\r\n"), 1);

    out.clear();
    HttpResponse::json(202, "{}")
        .addHeader("access-control-allow-origin", "https://show.example")
        .serialize(out, 1, true, false, true);
    QVERIFY(!out.contains("Access-Control-Allow-Origin: *"));
    QCOMPARE(out.count("access-control-allow-origin: https://show.example\r\n"), 1);

    out.clear();
    HttpResponse::json(202, "{}").serialize(out, 1, true);
    QVERIFY(!out.contains("Access-Control"));
}

void TestRouter::responseWireFormat()
{
    // serialize() appends: several answers go into one buffer back to back.
    QByteArray out = QByteArrayLiteral("previous");
    HttpResponse::json(202, "{\"status\":\"accepted\"}")
        .addHeader("Retry-After", "1")
        .serialize(out, 1, true);
    QVERIFY(out.startsWith("previousHTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                           "Content-Length: 21\r\nRetry-After: 1\r\nDate: "));
    QVERIFY(out.endsWith("\r\nServer: votedesk\r\n\r\n{\"status\":\"accepted\"}"));

    QByteArray closing;
    HttpResponse::text(200, "x").serialize(closing, 1, false);
    QVERIFY(closing.contains("\r\nConnection: close\r\n\r\nx"));
    QByteArray http10;
    HttpResponse::text(200, "x").serialize(http10, 0, true);
    QVERIFY(http10.contains("\r\nConnection: keep-alive\r\n\r\nx"));
    QByteArray bad;
    HttpResponse(42, {}, {}).serialize(bad, 1, true); // out of range: a server error
    QVERIFY(bad.startsWith("HTTP/1.1 500 Internal Server Error\r\n"));
    QByteArray big;
    HttpResponse::text(200, QByteArray(123456, 'b')).serialize(big, 1, true);
    QVERIFY(big.contains("\r\nContent-Length: 123456\r\n"));
    QVERIFY(big.endsWith(QByteArray(123456, 'b')));
}

QTEST_GUILESS_MAIN(TestRouter)
#include "tst_router.moc"
