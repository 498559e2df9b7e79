#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QVarLengthArray>

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

// One header line: name as sent (compare it case-insensitively), value without the
// surrounding whitespace.
struct HttpHeader
{
    QByteArrayView name;
    QByteArrayView value;

    friend bool operator==(const HttpHeader &, const HttpHeader &) = default;
};

// One parsed request, as views into the bytes it was parsed from.
//
// Lifetime: the views point into the connection's read buffer (or into the QByteArrayView
// given to RequestParser::parse()). On the server they are valid only during the handler
// call; a handler that answers later must copy what it needs (toByteArray(), QString) before
// it returns. Nothing is copied per request on the hot path; the only owned bytes are a
// de-chunked body (ownedBody), which `body` then views.
struct HttpRequest
{
    Method method = Method::Other;
    QByteArrayView methodText; // as sent, e.g. "POST"
    QByteArrayView target;     // request-target as sent: path and query
    QByteArrayView path;       // percent-decoding is left to handlers; no query
    QByteArrayView query;      // after '?', without it
    int versionMajor = 1;
    int versionMinor = 1;
    bool keepAlive = true; // what the client asked for, from version + Connection header
    // In the order sent; repeated names stay separate. 16 inline covers what browsers and
    // phones send; the parser refuses more than ParserLimits::maxHeaderCount with 431.
    QVarLengthArray<HttpHeader, 16> headers;
    QByteArrayView body;
    // Only for a chunked body: the chunks joined here, and `body` views this.
    QByteArray ownedBody;

    // First value of a header, by case-insensitive name, or an empty view.
    QByteArrayView header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    // The media type of Content-Type without parameters, trimmed, case as sent
    // ("Application/JSON" stays so); empty when there is no Content-Type.
    QByteArrayView mediaType() const;
    // Case-insensitive comparison of mediaType() with a lower-case type ("application/json").
    bool isMediaType(QByteArrayView lowerCaseType) const;
};

// ASCII case-insensitive equality, for header names and tokens (no locale involved).
bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b);

// The view without leading and trailing spaces and tabs (HTTP's optional whitespace).
QByteArrayView trimmedOws(QByteArrayView text);

} // namespace Http
