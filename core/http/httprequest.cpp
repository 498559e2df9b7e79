#include "http/httprequest.h"

namespace Http {

namespace {

constexpr char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c;
}

} // namespace

QByteArray methodName(Method method)
{
    switch (method) {
    case Method::Get:
        return QByteArrayLiteral("GET");
    case Method::Head:
        return QByteArrayLiteral("HEAD");
    case Method::Post:
        return QByteArrayLiteral("POST");
    case Method::Put:
        return QByteArrayLiteral("PUT");
    case Method::Delete:
        return QByteArrayLiteral("DELETE");
    case Method::Options:
        return QByteArrayLiteral("OPTIONS");
    case Method::Patch:
        return QByteArrayLiteral("PATCH");
    case Method::Other:
        break;
    }
    return QByteArrayLiteral("OTHER");
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        // Most bytes match as sent ("Content-Type" against "content-type"): only a pair that
        // differs is lowered, which halves the instructions of a header lookup.
        if (a[i] != b[i] && asciiLower(a[i]) != asciiLower(b[i]))
            return false;
    }
    return true;
}

QByteArrayView trimmedOws(QByteArrayView text)
{
    qsizetype begin = 0;
    qsizetype end = text.size();
    while (begin < end && (text[begin] == ' ' || text[begin] == '\t'))
        ++begin;
    while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t'))
        --end;
    return text.sliced(begin, end - begin);
}

QByteArrayView HttpRequest::header(QByteArrayView name) const
{
    // Lengths first, here: most names differ in length, and that is decided without a call
    // (a vote looks up two or three names in every request's headers).
    for (const HttpHeader &header : headers) {
        if (header.name.size() == name.size() && equalsIgnoringCase(header.name, name))
            return header.value;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const
{
    for (const HttpHeader &header : headers) {
        if (header.name.size() == name.size() && equalsIgnoringCase(header.name, name)) // as header()
            return true;
    }
    return false;
}

QByteArrayView HttpRequest::mediaType() const
{
    QByteArrayView type = header("content-type");
    const qsizetype semicolon = type.indexOf(';');
    if (semicolon >= 0)
        type = type.first(semicolon);
    return trimmedOws(type);
}

bool HttpRequest::isMediaType(QByteArrayView lowerCaseType) const
{
    return equalsIgnoringCase(mediaType(), lowerCaseType);
}

} // namespace Http
