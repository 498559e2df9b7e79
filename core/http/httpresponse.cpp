#include "http/httpresponse.h"

#include <cstring>
#include <ctime>

#include <QJsonDocument>
#include <QJsonObject>

namespace Http {

namespace {

// The connection writes these itself; a handler setting them would corrupt the framing.
bool isFramingHeader(const QByteArray &name)
{
    static const QByteArray reserved[] = {
        QByteArrayLiteral("content-length"), QByteArrayLiteral("transfer-encoding"),
        QByteArrayLiteral("connection"), QByteArrayLiteral("date"), QByteArrayLiteral("server")};
    for (const QByteArray &candidate : reserved) {
        if (name.compare(candidate, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

// A CR or LF in a header would let a value (possibly derived from client input) inject
// headers or a second response.
bool isSafeHeaderText(const QByteArray &text)
{
    for (const char c : text) {
        if (c == '\r' || c == '\n' || c == '\0')
            return false;
    }
    return true;
}

void appendTwoDigits(char *out, int value)
{
    out[0] = char('0' + (value / 10) % 10);
    out[1] = char('0' + value % 10);
}

// IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Formatting it is
// measurable on the hot path, so each thread keeps the text for the current second. The
// names are spelled out here because they must not follow the process locale.
QByteArrayView currentHttpDate()
{
    static constexpr const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    constexpr qsizetype length = 29;

    thread_local std::time_t cachedSecond = -1;
    thread_local char cachedText[length + 1] = {};

    const std::time_t now = std::time(nullptr);
    if (now != cachedSecond) {
        std::tm utc{};
        gmtime_r(&now, &utc);
        char *p = cachedText;
        std::memcpy(p, days[utc.tm_wday], 3);
        p[3] = ',';
        p[4] = ' ';
        appendTwoDigits(p + 5, utc.tm_mday);
        p[7] = ' ';
        std::memcpy(p + 8, months[utc.tm_mon], 3);
        p[11] = ' ';
        const int year = utc.tm_year + 1900;
        appendTwoDigits(p + 12, year / 100);
        appendTwoDigits(p + 14, year % 100);
        p[16] = ' ';
        appendTwoDigits(p + 17, utc.tm_hour);
        p[19] = ':';
        appendTwoDigits(p + 20, utc.tm_min);
        p[22] = ':';
        appendTwoDigits(p + 23, utc.tm_sec);
        std::memcpy(p + 25, " GMT", 4);
        cachedSecond = now;
    }
    return QByteArrayView(cachedText, length);
}

// RFC 9110 §6.4.1 / §15: these statuses never carry content, so neither a body nor a
// Content-Length (which for 304 would have to describe the unsent representation).
bool statusHasNoContent(int status)
{
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

} // namespace

HttpResponse::HttpResponse(int status, QByteArray contentType, QByteArray body)
    : m_status(status)
    , m_contentType(std::move(contentType))
    , m_body(std::move(body))
{}

HttpResponse HttpResponse::json(int status, QByteArray jsonBody)
{
    return HttpResponse(status, QByteArrayLiteral("application/json"), std::move(jsonBody));
}

HttpResponse HttpResponse::jsonError(int status, const QByteArray &code, const QString &message)
{
    // QJsonObject keeps keys sorted, which happens to give the documented order error, message.
    const QJsonObject object{{QStringLiteral("error"), QString::fromLatin1(code)},
                             {QStringLiteral("message"), message}};
    return json(status, QJsonDocument(object).toJson(QJsonDocument::Compact));
}

HttpResponse HttpResponse::text(int status, QByteArray body, QByteArray contentType)
{
    return HttpResponse(status, std::move(contentType), std::move(body));
}

HttpResponse &HttpResponse::addHeader(QByteArray name, QByteArray value)
{
    if (name.isEmpty() || isFramingHeader(name) || !isSafeHeaderText(name) || !isSafeHeaderText(value)) {
        qWarning("Http::HttpResponse: refusing header \"%s\"", name.constData());
        return *this;
    }
    m_headers.append({std::move(name), std::move(value)});
    return *this;
}

HttpResponse &HttpResponse::setCloseConnection(bool close)
{
    m_closeConnection = close;
    return *this;
}

namespace {

// Copies text at cursor and returns the position after it.
char *put(char *cursor, QByteArrayView text)
{
    if (!text.isEmpty())
        std::memcpy(cursor, text.data(), size_t(text.size()));
    return cursor + text.size();
}

char *putNumber(char *cursor, qsizetype value)
{
    char digits[24];
    int count = 0;
    do {
        digits[count++] = char('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (count > 0)
        *cursor++ = digits[--count];
    return cursor;
}

constexpr QByteArrayView statusPrefix = "HTTP/1.1 ";
constexpr QByteArrayView contentTypeName = "Content-Type: ";
constexpr QByteArrayView contentLengthName = "Content-Length: ";
constexpr QByteArrayView allowAnyOrigin = "Access-Control-Allow-Origin: *\r\n";
constexpr QByteArrayView dateName = "Date: ";
constexpr QByteArrayView serverLine = "\r\nServer: votedesk\r\n";
constexpr QByteArrayView closeLine = "Connection: close\r\n";
constexpr QByteArrayView keepAliveLine = "Connection: keep-alive\r\n";
constexpr qsizetype httpDateSize = 29;
constexpr qsizetype maxNumberSize = 20;

} // namespace

qsizetype HttpResponse::serializedSizeHint() const
{
    qsizetype size = statusPrefix.size() + 4 + 40 + 2; // status, reason, CRLF
    size += contentTypeName.size() + m_contentType.size() + 2;
    size += contentLengthName.size() + maxNumberSize + 2;
    for (const auto &[name, value] : m_headers)
        size += name.size() + 2 + value.size() + 2;
    size += allowAnyOrigin.size() + dateName.size() + httpDateSize + serverLine.size();
    size += keepAliveLine.size() + 2 + m_body.size();
    return size;
}

void HttpResponse::serialize(QByteArray &out, int versionMinor, bool keepAlive, bool headOnly,
                             bool crossOrigin) const
{
    const int status = (m_status >= 100 && m_status <= 999) ? m_status : 500;
    const bool noContent = statusHasNoContent(status);
    const bool writeBody = !headOnly && !noContent;
    const QByteArray reason = reasonPhrase(status);

    bool addOrigin = crossOrigin;
    for (const auto &[name, value] : m_headers) {
        if (addOrigin && name.compare("access-control-allow-origin", Qt::CaseInsensitive) == 0)
            addOrigin = false;
    }

    // Grows out once to an upper bound, writes through a cursor, then trims to what was
    // written. resize() keeps the capacity, so a reused buffer stops allocating.
    const qsizetype start = out.size();
    out.resize(start + serializedSizeHint());
    char *const begin = out.data() + start;
    char *p = begin;

    // RFC 9110 §6.2: answer with the highest minor version we implement, whatever the
    // request said; versionMinor only matters for the Connection header below.
    p = put(p, statusPrefix);
    *p++ = char('0' + status / 100);
    *p++ = char('0' + (status / 10) % 10);
    *p++ = char('0' + status % 10);
    *p++ = ' ';
    p = put(p, reason);
    p = put(p, "\r\n");
    if (!m_contentType.isEmpty() && !noContent) {
        p = put(p, contentTypeName);
        p = put(p, m_contentType);
        p = put(p, "\r\n");
    }
    if (!noContent) {
        p = put(p, contentLengthName);
        p = putNumber(p, m_body.size());
        p = put(p, "\r\n");
    }
    for (const auto &[name, value] : m_headers) {
        p = put(p, name);
        p = put(p, ": ");
        p = put(p, value);
        p = put(p, "\r\n");
    }
    if (addOrigin)
        p = put(p, allowAnyOrigin);
    p = put(p, dateName);
    p = put(p, currentHttpDate());
    p = put(p, serverLine);
    if (!keepAlive || m_closeConnection)
        p = put(p, closeLine);
    else if (versionMinor == 0)
        p = put(p, keepAliveLine);
    p = put(p, "\r\n");
    if (writeBody)
        p = put(p, m_body);
    out.truncate(start + (p - begin));
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return QByteArrayLiteral("Continue");
    case 101:
        return QByteArrayLiteral("Switching Protocols");
    case 200:
        return QByteArrayLiteral("OK");
    case 201:
        return QByteArrayLiteral("Created");
    case 202:
        return QByteArrayLiteral("Accepted");
    case 204:
        return QByteArrayLiteral("No Content");
    case 206:
        return QByteArrayLiteral("Partial Content");
    case 301:
        return QByteArrayLiteral("Moved Permanently");
    case 302:
        return QByteArrayLiteral("Found");
    case 303:
        return QByteArrayLiteral("See Other");
    case 304:
        return QByteArrayLiteral("Not Modified");
    case 307:
        return QByteArrayLiteral("Temporary Redirect");
    case 308:
        return QByteArrayLiteral("Permanent Redirect");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 401:
        return QByteArrayLiteral("Unauthorized");
    case 403:
        return QByteArrayLiteral("Forbidden");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 405:
        return QByteArrayLiteral("Method Not Allowed");
    case 406:
        return QByteArrayLiteral("Not Acceptable");
    case 408:
        return QByteArrayLiteral("Request Timeout");
    case 409:
        return QByteArrayLiteral("Conflict");
    case 410:
        return QByteArrayLiteral("Gone");
    case 411:
        return QByteArrayLiteral("Length Required");
    case 412:
        return QByteArrayLiteral("Precondition Failed");
    case 413:
        return QByteArrayLiteral("Content Too Large");
    case 414:
        return QByteArrayLiteral("URI Too Long");
    case 415:
        return QByteArrayLiteral("Unsupported Media Type");
    case 417:
        return QByteArrayLiteral("Expectation Failed");
    case 422:
        return QByteArrayLiteral("Unprocessable Content");
    case 426:
        return QByteArrayLiteral("Upgrade Required");
    case 428:
        return QByteArrayLiteral("Precondition Required");
    case 429:
        return QByteArrayLiteral("Too Many Requests");
    case 431:
        return QByteArrayLiteral("Request Header Fields Too Large");
    case 500:
        return QByteArrayLiteral("Internal Server Error");
    case 501:
        return QByteArrayLiteral("Not Implemented");
    case 502:
        return QByteArrayLiteral("Bad Gateway");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    case 504:
        return QByteArrayLiteral("Gateway Timeout");
    case 505:
        return QByteArrayLiteral("HTTP Version Not Supported");
    default:
        break;
    }
    // The reason phrase is informative only (RFC 9112 §4); never leave it empty.
    return QByteArrayLiteral("Status");
}

} // namespace Http
