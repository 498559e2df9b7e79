#include "http/requestparser.h"

#include <algorithm>
#include <array>
#include <http_parser.h>
#include <utility>

#include <QString>

namespace Http {

namespace {

// Everything the callbacks collect for one message. http_parser hands out pointers into the
// caller's buffer; the request keeps them as views (see HttpRequest for their lifetime).
struct ParseState
{
    ParseState(const ParserLimits &parserLimits, HttpRequest &target)
        : limits(parserLimits)
        , request(target)
    {}

    const ParserLimits &limits;
    HttpRequest &request;
    QByteArrayView field;
    QByteArrayView value;
    bool inField = false;
    bool inValue = false;
    bool inUrl = false;
    bool chunked = false;
    qsizetype bodySize = 0;
    bool headersComplete = false;
    bool messageComplete = false;
    bool expectContinue = false;
    int errorStatus = 0;
    QByteArray errorCode;
    QString errorMessage;

    // Any return value other than 0, 1 or 2 from a callback makes http_parser stop with
    // HPE_CB_*; the reason recorded here takes precedence over that generic errno.
    int fail(int status, QByteArray code, QString message)
    {
        errorStatus = status;
        errorCode = std::move(code);
        errorMessage = std::move(message);
        return -1;
    }

    int commitHeader()
    {
        if (!inField && !inValue)
            return 0;
        if (request.headers.size() >= limits.maxHeaderCount) {
            return fail(431, QByteArrayLiteral("headers_too_large"),
                        QStringLiteral("more than %1 header lines").arg(limits.maxHeaderCount));
        }
        request.headers.append(HttpHeader{field, trimmedOws(value)});
        field = {};
        value = {};
        inField = false;
        inValue = false;
        return 0;
    }
};

ParseState &stateOf(http_parser *parser)
{
    return *static_cast<ParseState *>(parser->data);
}

// http_parser hands a token (URL, header name or value) to its callback in one piece per
// http_parser_execute() call; it splits one only where the input ends, and then the next
// piece starts exactly where the previous one ended, so a view can simply grow. A piece
// that does not continue the previous one is a value folded over two lines (obs-fold).
bool extend(QByteArrayView &view, bool &started, const char *at, size_t length)
{
    if (!started) {
        view = QByteArrayView(at, qsizetype(length));
        started = true;
        return true;
    }
    if (view.data() + view.size() != at)
        return false;
    view = QByteArrayView(view.data(), view.size() + qsizetype(length));
    return true;
}

Method toMethod(unsigned method)
{
    switch (static_cast<http_method>(method)) {
    case HTTP_GET:
        return Method::Get;
    case HTTP_HEAD:
        return Method::Head;
    case HTTP_POST:
        return Method::Post;
    case HTTP_PUT:
        return Method::Put;
    case HTTP_DELETE:
        return Method::Delete;
    case HTTP_OPTIONS:
        return Method::Options;
    case HTTP_PATCH:
        return Method::Patch;
    default:
        break;
    }
    return Method::Other;
}

// origin-form ("/p?q") is what clients send to an origin server; absolute-form
// ("http://host/p?q") must be accepted too (RFC 9112 §3.2.2). A fragment is never part of
// the path or query.
void splitTarget(HttpRequest &request)
{
    const QByteArrayView target = request.target;
    if (target.startsWith('/')) {
        qsizetype end = target.indexOf('#');
        if (end < 0)
            end = target.size();
        const qsizetype question = target.indexOf('?');
        if (question >= 0 && question < end) {
            request.path = target.first(question);
            request.query = target.sliced(question + 1, end - question - 1);
        } else {
            request.path = target.first(end);
        }
        return;
    }

    http_parser_url url;
    http_parser_url_init(&url);
    if (target == "*" || http_parser_parse_url(target.data(), size_t(target.size()), 0, &url) != 0) {
        request.path = target;
        return;
    }
    if (url.field_set & (1 << UF_PATH))
        request.path = target.sliced(url.field_data[UF_PATH].off, url.field_data[UF_PATH].len);
    else
        request.path = QByteArrayView("/");
    if (url.field_set & (1 << UF_QUERY))
        request.query = target.sliced(url.field_data[UF_QUERY].off, url.field_data[UF_QUERY].len);
}

// http_parser treats any Transfer-Encoding whose last coding is "chunked" as chunked and
// would hand us the still-encoded bytes of the other codings. We decode nothing but
// chunked, so anything else is refused (RFC 9112 §6.1: 501 for an unknown coding).
bool isPlainChunked(const HttpRequest &request)
{
    int codings = 0;
    bool chunked = false;
    for (const HttpHeader &header : request.headers) {
        if (!equalsIgnoringCase(header.name, "transfer-encoding"))
            continue;
        QByteArrayView rest = header.value;
        while (!rest.isEmpty()) {
            const qsizetype comma = rest.indexOf(',');
            const QByteArrayView coding = trimmedOws(comma < 0 ? rest : rest.first(comma));
            rest = comma < 0 ? QByteArrayView() : rest.sliced(comma + 1);
            if (coding.isEmpty())
                continue;
            ++codings;
            chunked = equalsIgnoringCase(coding, "chunked");
        }
    }
    return codings == 1 && chunked;
}

int onUrl(http_parser *parser, const char *at, size_t length)
{
    ParseState &state = stateOf(parser);
    if (!extend(state.request.target, state.inUrl, at, length))
        return state.fail(400, QByteArrayLiteral("bad_request"), QStringLiteral("malformed request target"));
    return 0;
}

// RFC 9110 §5.6.2 tchar. Debian builds http_parser without HTTP_PARSER_STRICT, which lets a
// space through in header names ("Content-Length : 5" becomes an unknown header and the body
// a second request): a front proxy may frame that differently, so it is refused. A table,
// because every byte of every header name goes through it.
constexpr std::array<bool, 256> tokenChars = [] {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c)
        table[std::size_t(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        table[std::size_t(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        table[std::size_t(c)] = true;
    for (const char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
        table[std::size_t(static_cast<unsigned char>(c))] = true;
    return table;
}();

bool isTokenChar(char c)
{
    return tokenChars[static_cast<unsigned char>(c)];
}

int onHeaderField(http_parser *parser, const char *at, size_t length)
{
    ParseState &state = stateOf(parser);
    if (state.inValue && state.commitHeader() != 0)
        return -1;
    const QByteArrayView piece(at, qsizetype(length));
    if (!std::all_of(piece.begin(), piece.end(), isTokenChar)) {
        return state.fail(400, QByteArrayLiteral("bad_request"),
                          QStringLiteral("malformed request: invalid header name"));
    }
    if (!extend(state.field, state.inField, at, length)) {
        return state.fail(400, QByteArrayLiteral("bad_request"),
                          QStringLiteral("malformed request: invalid header name"));
    }
    return 0;
}

int onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    ParseState &state = stateOf(parser);
    if (!extend(state.value, state.inValue, at, length)) {
        return state.fail(400, QByteArrayLiteral("bad_request"),
                          QStringLiteral("obsolete line folding in header %1 is not accepted")
                              .arg(QString::fromLatin1(state.field)));
    }
    return 0;
}

int onHeadersComplete(http_parser *parser)
{
    ParseState &state = stateOf(parser);
    if (state.commitHeader() != 0)
        return -1;

    HttpRequest &request = state.request;
    request.method = toMethod(parser->method);
    // A static string of the library's, so the view outlives any buffer.
    request.methodText = QByteArrayView(http_method_str(static_cast<http_method>(parser->method)));
    request.versionMajor = parser->http_major;
    request.versionMinor = parser->http_minor;
    request.keepAlive = http_should_keep_alive(parser) != 0;
    splitTarget(request);

    // http_parser also accepts "HTTP/2.0" and a version-less "GET /" (read as 0.9).
    if (parser->http_major != 1) {
        return state.fail(
            400, QByteArrayLiteral("bad_request"),
            QStringLiteral("unsupported HTTP version %1.%2").arg(parser->http_major).arg(parser->http_minor));
    }

    const bool hasContentLength = (parser->flags & F_CONTENTLENGTH) != 0;
    const bool hasTransferEncoding = parser->uses_transfer_encoding != 0;
    // Both framings at once is the classic request-smuggling shape (RFC 9112 §6.3).
    if (hasContentLength && hasTransferEncoding) {
        return state.fail(400, QByteArrayLiteral("bad_request"),
                          QStringLiteral("both Content-Length and Transfer-Encoding are present"));
    }
    if (hasTransferEncoding && !isPlainChunked(request)) {
        return state.fail(501, QByteArrayLiteral("not_implemented"),
                          QStringLiteral("unsupported transfer coding: %1")
                              .arg(QString::fromLatin1(request.header("transfer-encoding"))));
    }
    if (!hasContentLength && !hasTransferEncoding &&
        (request.method == Method::Post || request.method == Method::Put ||
         request.method == Method::Patch)) {
        return state.fail(411, QByteArrayLiteral("length_required"),
                          QStringLiteral("a %1 request needs Content-Length or chunked transfer coding")
                              .arg(QString::fromLatin1(request.methodText)));
    }
    // Refused as soon as the headers are in, so that a client waiting for "100 Continue"
    // (or simply still sending) learns it before the body is transferred.
    if (hasContentLength && parser->content_length > quint64(state.limits.maxBodyBytes)) {
        return state.fail(413, QByteArrayLiteral("payload_too_large"),
                          QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                              .arg(parser->content_length)
                              .arg(state.limits.maxBodyBytes));
    }
    state.chunked = hasTransferEncoding;

    const bool expectsBody = hasTransferEncoding || (hasContentLength && parser->content_length > 0);
    // RFC 9110 §10.1.1: a server ignores 100-continue from an HTTP/1.0 client.
    state.expectContinue = expectsBody && request.versionMinor >= 1 &&
                           equalsIgnoringCase(request.header("expect"), "100-continue");
    state.headersComplete = true;
    return 0;
}

int onBody(http_parser *parser, const char *at, size_t length)
{
    ParseState &state = stateOf(parser);
    if (state.bodySize + qsizetype(length) > state.limits.maxBodyBytes) {
        return state.fail(
            413, QByteArrayLiteral("payload_too_large"),
            QStringLiteral("request body exceeds the limit of %1 bytes").arg(state.limits.maxBodyBytes));
    }
    state.bodySize += qsizetype(length);
    if (state.chunked) {
        // Chunks are separated by their framing in the input: join them (the one copy).
        state.request.ownedBody.append(at, qsizetype(length));
        return 0;
    }
    // A Content-Length body is one run of bytes in the input, delivered in at most two
    // pieces (one per http_parser_execute() call), so it stays a view.
    bool started = !state.request.body.isNull();
    if (!extend(state.request.body, started, at, length))
        return state.fail(400, QByteArrayLiteral("bad_request"), QStringLiteral("malformed request body"));
    return 0;
}

// Chunk sizes are announced before the data: refusing here answers a client that announces
// a huge chunk at once instead of after it has sent 4 KiB of it.
int onChunkHeader(http_parser *parser)
{
    ParseState &state = stateOf(parser);
    if (parser->content_length > quint64(state.limits.maxBodyBytes - state.bodySize)) {
        return state.fail(
            413, QByteArrayLiteral("payload_too_large"),
            QStringLiteral("request body exceeds the limit of %1 bytes").arg(state.limits.maxBodyBytes));
    }
    return 0;
}

int onMessageComplete(http_parser *parser)
{
    ParseState &state = stateOf(parser);
    state.messageComplete = true;
    if (state.chunked)
        state.request.body = QByteArrayView(state.request.ownedBody);
    // Stop right after this message: http_parser_execute then returns the number of bytes
    // of this message only, and a pipelined successor is left for the next parse() call.
    http_parser_pause(parser, 1);
    return 0;
}

const http_parser_settings &parserSettings()
{
    static const http_parser_settings settings = [] {
        http_parser_settings s;
        http_parser_settings_init(&s);
        s.on_url = onUrl;
        s.on_header_field = onHeaderField;
        s.on_header_value = onHeaderValue;
        s.on_headers_complete = onHeadersComplete;
        s.on_body = onBody;
        s.on_chunk_header = onChunkHeader;
        s.on_message_complete = onMessageComplete;
        return s;
    }();
    return settings;
}

RequestParser::Result makeError(RequestParser::Result &&result, int status, QByteArray code, QString message)
{
    result.status = RequestParser::Status::Error;
    result.frameSize = 0;
    result.expectContinue = false;
    result.errorStatus = status;
    result.errorCode = std::move(code);
    result.errorMessage = std::move(message);
    result.request.keepAlive = false;
    return std::move(result);
}

} // namespace

RequestParser::Result RequestParser::parse(QByteArrayView data, const ParserLimits &limits)
{
    Result result;
    if (data.isEmpty())
        return result;

    const qsizetype maxHeaderBytes = std::max<qsizetype>(limits.maxHeaderBytes, 0);
    const qsizetype maxBodyBytes = std::max<qsizetype>(limits.maxBodyBytes, 0);

    const ParserLimits effective{maxHeaderBytes, maxBodyBytes, std::max(limits.maxHeaderCount, 0)};
    ParseState state(effective, result.request);
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &state;

    // Two passes over one parser: the first sees at most maxHeaderBytes, so if the headers
    // are not complete by then, the head is too large, whether or not its end has arrived.
    // This needs no knowledge of http_parser's internal header counter (nread).
    const qsizetype total = data.size();
    const qsizetype headSlice = std::min(total, maxHeaderBytes);
    qsizetype consumed =
        qsizetype(http_parser_execute(&parser, &parserSettings(), data.data(), size_t(headSlice)));
    if (HTTP_PARSER_ERRNO(&parser) == HPE_OK && state.headersComplete && headSlice < total) {
        consumed += qsizetype(http_parser_execute(&parser, &parserSettings(), data.data() + consumed,
                                                  size_t(total - consumed)));
    }

    if (state.errorStatus != 0)
        return makeError(std::move(result), state.errorStatus, state.errorCode, state.errorMessage);

    if (state.messageComplete) {
        // Paused in on_message_complete: consumed ends exactly after this message.
        result.status = Status::Complete;
        result.frameSize = consumed;
        return result;
    }

    const http_errno error = HTTP_PARSER_ERRNO(&parser);
    switch (error) {
    case HPE_OK:
        break;
    case HPE_HEADER_OVERFLOW: // only reachable with maxHeaderBytes above the library's own limit
        return makeError(std::move(result), 431, QByteArrayLiteral("headers_too_large"),
                         QStringLiteral("request headers exceed the limit"));
    case HPE_UNEXPECTED_CONTENT_LENGTH:
        return makeError(std::move(result), 400, QByteArrayLiteral("bad_request"),
                         QStringLiteral("conflicting framing: %1 (Content-Length repeated or combined "
                                        "with Transfer-Encoding)")
                             .arg(QString::fromLatin1(http_errno_description(error))));
    case HPE_INVALID_TRANSFER_ENCODING:
        return makeError(std::move(result), 501, QByteArrayLiteral("not_implemented"),
                         QStringLiteral("unsupported transfer coding"));
    default:
        return makeError(
            std::move(result), 400, QByteArrayLiteral("bad_request"),
            QStringLiteral("malformed request: %1").arg(QString::fromLatin1(http_errno_description(error))));
    }

    if (!state.headersComplete) {
        if (total > maxHeaderBytes) {
            return makeError(
                std::move(result), 431, QByteArrayLiteral("headers_too_large"),
                QStringLiteral("request line and headers exceed the limit of %1 bytes").arg(maxHeaderBytes));
        }
        return result;
    }

    // A Content-Length body is bounded by the check in onHeadersComplete, but chunk
    // extensions, chunk-size lines and trailers are not body bytes and http_parser does not
    // bound them. Since an incomplete message is re-parsed on every read, cap its size.
    if (total > 2 * (maxHeaderBytes + maxBodyBytes)) {
        return makeError(std::move(result), 413, QByteArrayLiteral("payload_too_large"),
                         QStringLiteral("chunked request framing exceeds %1 bytes")
                             .arg(2 * (maxHeaderBytes + maxBodyBytes)));
    }

    result.expectContinue = state.expectContinue;
    return result;
}

} // namespace Http
