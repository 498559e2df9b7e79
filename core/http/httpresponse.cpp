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

void HttpResponse::serialize(QByteArray &out, int versionMinor, bool keepAlive, bool headOnly) const
{
    const int status = (m_status >= 100 && m_status <= 999) ? m_status : 500;
    const bool noContent = statusHasNoContent(status);
    const bool writeBody = !headOnly && !noContent;

    qsizetype extraSize = 0;
    for (const auto &[name, value] : m_headers)
        extraSize += name.size() + value.size() + 4;
    out.reserve(out.size() + 160 + m_contentType.size() + extraSize + (writeBody ? m_body.size() : 0));

    // RFC 9110 §6.2: answer with the highest minor version we implement, whatever the
    // request said; versionMinor only matters for the Connection header below.
    out.append("HTTP/1.1 ");
    out.append(QByteArray::number(status));
    out.append(' ');
    out.append(reasonPhrase(status));
    out.append("\r\n");
    if (!m_contentType.isEmpty() && !noContent) {
        out.append("Content-Type: ");
        out.append(m_contentType);
        out.append("\r\n");
    }
    if (!noContent) {
        out.append("Content-Length: ");
        out.append(QByteArray::number(m_body.size()));
        out.append("\r\n");
    }
    for (const auto &[name, value] : m_headers) {
        out.append(name);
        out.append(": ");
        out.append(value);
        out.append("\r\n");
    }
    out.append("Date: ");
    out.append(currentHttpDate());
    out.append("\r\nServer: votedesk\r\n");
    if (!keepAlive || m_closeConnection)
        out.append("Connection: close\r\n");
    else if (versionMinor == 0)
        out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
    if (writeBody)
        out.append(m_body);
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
