#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace Http {

// Starts at 1 so that a default-initialised value is never silently a valid method.
enum class Method
{
    Get = 1,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Other
};

QByteArray methodName(Method method);

// One parsed request. Header names are stored lower-case; values as sent (trimmed).
// Owns its bytes: nothing here points into the connection's buffer.
struct HttpRequest
{
    Method method = Method::Other;
    QByteArray methodText; // as sent, e.g. "POST"
    QByteArray target;     // request-target as sent: path and query
    QByteArray path;       // percent-decoding is left to handlers; no query
    QByteArray query;      // after '?', without it
    int versionMajor = 1;
    int versionMinor = 1;
    bool keepAlive = true; // what the client asked for, from version + Connection header
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    // First value of a header by lower-case name, or an empty array.
    QByteArray header(QByteArrayView lowerCaseName) const;
    bool hasHeader(QByteArrayView lowerCaseName) const;
    // The media type of Content-Type, lower-case, without parameters ("application/json").
    QByteArray mediaType() const;
};

} // namespace Http
