#include "http/router.h"

#include <QString>

namespace Http {

namespace {

// The methods a path answers, in a stable order, for Allow and the CORS preflight. HEAD
// and OPTIONS are listed because dispatch() serves them implicitly.
QByteArray allowedMethods(bool get, bool head, bool post, bool put, bool del, bool patch)
{
    QByteArray allow;
    const auto add = [&allow](const char *name) {
        if (!allow.isEmpty())
            allow.append(", ");
        allow.append(name);
    };
    if (get)
        add("GET");
    if (get || head)
        add("HEAD");
    if (post)
        add("POST");
    if (put)
        add("PUT");
    if (del)
        add("DELETE");
    if (patch)
        add("PATCH");
    add("OPTIONS");
    return allow;
}

} // namespace

void Router::add(Method method, QByteArray path, RequestHandler handler)
{
    m_routes.push_back(Route{method, std::move(path), std::move(handler)});
}

void Router::allowCrossOrigin(QByteArray path)
{
    m_crossOriginPaths.push_back(std::move(path));
}

bool Router::isCrossOrigin(QByteArrayView path) const
{
    for (const QByteArray &candidate : m_crossOriginPaths) {
        if (QByteArrayView(candidate) == path)
            return true;
    }
    return false;
}

std::optional<HttpResponse> Router::dispatch(const HttpRequest &request, const RequestContext &ctx) const
{
    // The hot path: the first route with this method and path wins. Method::Other stands for
    // "any method we have no name for"; it never matches, so such requests get 405 on a
    // known path.
    if (request.method != Method::Other) {
        for (const Route &route : m_routes) {
            if (route.method == request.method && QByteArrayView(route.path) == request.path)
                return route.handler(request, ctx);
        }
    }

    const Route *get = nullptr;
    bool pathKnown = false;
    bool hasGet = false, hasHead = false, hasPost = false, hasPut = false, hasDelete = false,
         hasPatch = false;

    for (const Route &route : m_routes) {
        if (QByteArrayView(route.path) != request.path)
            continue;
        pathKnown = true;
        switch (route.method) {
        case Method::Get:
            hasGet = true;
            if (!get)
                get = &route;
            break;
        case Method::Head:
            hasHead = true;
            break;
        case Method::Post:
            hasPost = true;
            break;
        case Method::Put:
            hasPut = true;
            break;
        case Method::Delete:
            hasDelete = true;
            break;
        case Method::Patch:
            hasPatch = true;
            break;
        case Method::Options:
        case Method::Other:
            break;
        }
    }

    if (!pathKnown) {
        return HttpResponse::jsonError(
            404, QByteArrayLiteral("not_found"),
            QStringLiteral("no resource at %1").arg(QString::fromUtf8(request.path)));
    }
    // The connection omits the body for HEAD (Slot::headOnly); the GET handler need not know.
    if (request.method == Method::Head && get)
        return get->handler(request, ctx);

    const QByteArray allow = allowedMethods(hasGet, hasHead, hasPost, hasPut, hasDelete, hasPatch);
    if (request.method == Method::Options) {
        // Answers CORS preflights: a page on another origin that POSTs JSON sends one
        // first, asking for the method and the Content-Type header.
        HttpResponse response(204, QByteArray(), QByteArray());
        response.addHeader(QByteArrayLiteral("Allow"), allow);
        if (!isCrossOrigin(request.path))
            return response; // no Access-Control-Allow-*: the browser refuses the request
        response.addHeader(QByteArrayLiteral("Access-Control-Allow-Origin"), QByteArrayLiteral("*"));
        response.addHeader(QByteArrayLiteral("Access-Control-Allow-Methods"), allow);
        response.addHeader(QByteArrayLiteral("Access-Control-Allow-Headers"),
                           QByteArrayLiteral("Content-Type"));
        response.addHeader(QByteArrayLiteral("Access-Control-Max-Age"), QByteArrayLiteral("600"));
        return response;
    }

    HttpResponse response =
        HttpResponse::jsonError(405, QByteArrayLiteral("method_not_allowed"),
                                QStringLiteral("%1 is not allowed on %2; allowed: %3")
                                    .arg(QString::fromLatin1(request.methodText),
                                         QString::fromUtf8(request.path), QString::fromLatin1(allow)));
    response.addHeader(QByteArrayLiteral("Allow"), allow);
    return response;
}

} // namespace Http
