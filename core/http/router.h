#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QHostAddress>

#include "http/httprequest.h"
#include "http/httpresponse.h"
#include "http/replyticket.h"

namespace Http {

// What a handler knows about the request besides its bytes.
struct RequestContext
{
    ReplyTicket ticket; // lets a handler answer later, from any thread
    QHostAddress peerAddress;
    quint16 peerPort = 0;
    bool peerIsLoopback = false;
    // Wall clock (ms since the epoch) when the request was complete: the I/O loop reads the
    // clock once per iteration, so requests of one read share it.
    qint64 receivedAtMs = 0;
};

// Called on the I/O thread that owns the connection, so it must be thread-safe and must
// not block. Returns the response, or std::nullopt when it keeps ctx.ticket and answers
// later through sendReply() (e.g. a vote answered when its batch commits). The request's
// views are valid only during the call (see HttpRequest).
using RequestHandler =
    std::function<std::optional<HttpResponse>(const HttpRequest &, const RequestContext &)>;

// An explicit (method, path) table. Built before the server starts and never changed
// afterwards, so all I/O threads read it at once without locks.
class Router final
{
public:
    void add(Method method, QByteArray path, RequestHandler handler);
    // Marks a path as readable from pages of any origin: its answers (immediate or deferred)
    // carry Access-Control-Allow-Origin: * and its OPTIONS preflight grants the request.
    // Paths not marked (e.g. the admin API) refuse preflights, so a web page the operator
    // happens to visit cannot drive them from the browser.
    void allowCrossOrigin(QByteArray path);
    bool isCrossOrigin(QByteArrayView path) const;

    // Routes a request: the handler's answer, 404 not_found for an unknown path,
    // 405 method_not_allowed (with Allow) for a known path and another method.
    // HEAD is served by the GET handler when no HEAD route exists.
    std::optional<HttpResponse> dispatch(const HttpRequest &request, const RequestContext &ctx) const;

private:
    struct Route
    {
        Method method;
        QByteArray path;
        RequestHandler handler;
    };
    std::vector<Route> m_routes;
    std::vector<QByteArray> m_crossOriginPaths;
};

} // namespace Http
