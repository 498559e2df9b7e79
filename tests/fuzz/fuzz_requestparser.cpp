// libFuzzer harness: Http::RequestParser::parse, as a connection calls it (README, "Guarantees").
// The input is cut into requests the way HttpConnection does it (parse, drop frameSize bytes,
// parse again), with the default limits and with tiny ones (the edges of the byte budgets are
// where framing bugs live). Besides what ASan and UBSan catch, it checks what the connection
// relies on: a complete frame is within the input and not empty, every view of the request
// points into the bytes it was parsed from (or into its own de-chunked body), an error carries
// one of the statuses the server answers, and the body respects the limit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "http/requestparser.h"

namespace {
// A broken property names itself before the abort that libFuzzer reports.
void fail(const char *what, int line)
{
    std::fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, line, what);
    std::abort();
}
#define check(condition) ((condition) ? void() : fail(#condition, __LINE__))

bool within(QByteArrayView view, QByteArrayView input)
{
    return view.isEmpty() ||
           (view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size());
}

void parseAll(QByteArrayView input, const Http::ParserLimits &limits)
{
    QByteArrayView rest = input;
    for (int i = 0; i < 64 && !rest.isEmpty(); ++i) {
        const Http::RequestParser::Result result = Http::RequestParser::parse(rest, limits);
        if (result.status == Http::RequestParser::Status::Error) {
            const int s = result.errorStatus;
            check(s == 400 || s == 411 || s == 413 || s == 431 || s == 501);
            check(!result.errorCode.isEmpty() && !result.errorMessage.isEmpty());
            check(!result.request.keepAlive);
            return;
        }
        if (result.status == Http::RequestParser::Status::Incomplete)
            return;
        check(result.frameSize > 0 && result.frameSize <= rest.size());
        const QByteArrayView frame = rest.first(result.frameSize);
        const Http::HttpRequest &request = result.request;
        // An absolute-form target without a path ("http://host") has the path "/", a literal.
        check(within(request.target, frame) && within(request.query, frame));
        check(within(request.path, frame) || request.path == "/");
        for (const Http::HttpHeader &header : request.headers)
            check(within(header.name, frame) && within(header.value, frame));
        check(within(request.body, frame) || within(request.body, QByteArrayView(request.ownedBody)));
        check(request.body.size() <= limits.maxBodyBytes);
        check(request.versionMajor == 1);
        // Read every byte a handler could read: a stale view shows up here under ASan.
        volatile char sink = 0;
        for (const char c : request.body)
            sink = char(sink ^ c);
        (void)request.mediaType();
        (void)request.header("content-type");
        rest = rest.sliced(result.frameSize);
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    parseAll(input, Http::ParserLimits{});
    parseAll(input, Http::ParserLimits{64, 16, 3});
    return 0;
}
