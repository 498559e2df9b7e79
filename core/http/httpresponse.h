#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace Http {

// A response as handlers build it. The connection adds the framing headers
// (Content-Length, Connection, Date, Server) when it serialises it.
class HttpResponse final
{
public:
    HttpResponse() = default;
    HttpResponse(int status, QByteArray contentType, QByteArray body);

    static HttpResponse json(int status, QByteArray jsonBody);
    // {"error":"<code>","message":"<message>"} — the error shape of DESIGN.md §4.
    static HttpResponse jsonError(int status, const QByteArray &code, const QString &message);
    static HttpResponse text(int status, QByteArray body,
                             QByteArray contentType = "text/plain; charset=utf-8");

    int status() const { return m_status; }
    const QByteArray &contentType() const { return m_contentType; }
    const QByteArray &body() const { return m_body; }
    const QList<QPair<QByteArray, QByteArray>> &headers() const { return m_headers; }

    // Extra headers (e.g. Retry-After, ETag, Allow). Framing headers are not allowed here.
    HttpResponse &addHeader(QByteArray name, QByteArray value);

    // Ask the connection to close after this response (e.g. after a framing error).
    HttpResponse &setCloseConnection(bool close = true);
    bool closeConnection() const { return m_closeConnection; }

    // Appends the full wire form to out. keepAlive decides the Connection header:
    // HTTP/1.1 + keep-alive sends none, HTTP/1.1 + close sends "Connection: close",
    // HTTP/1.0 + keep-alive echoes "Connection: keep-alive". headOnly omits the body
    // but keeps its Content-Length (HEAD). crossOrigin adds "Access-Control-Allow-Origin: *"
    // unless the response has one (the connection sets it for Router::allowCrossOrigin paths).
    // Cheap by design: one size computation, at most one growth of out (which the connection
    // reuses, so in steady state none), then plain copies; the Date text is cached per second
    // and thread.
    void serialize(QByteArray &out, int versionMinor, bool keepAlive, bool headOnly = false,
                   bool crossOrigin = false) const;

    static QByteArray reasonPhrase(int status);
    // Upper bound of what serialize() appends, for callers that reserve ahead.
    qsizetype serializedSizeHint() const;

private:
    int m_status = 500;
    QByteArray m_contentType;
    QByteArray m_body;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    bool m_closeConnection = false;
};

} // namespace Http
