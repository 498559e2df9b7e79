#include "http/httpconnection.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/httpserver.h"
#include "http/iocontext.h"
#include "http/requestparser.h"

namespace Http {

namespace {

// Pipelining depth after which parsing pauses until answers go out: bounds the memory a
// client can pin with requests whose answers are deferred (votes waiting for a commit).
constexpr std::size_t MaxPendingSlots = 64;
// A client that pipelines but does not read its answers must not grow our write buffer
// without bound either.
constexpr qsizetype MaxUnsentBytes = 1024 * 1024;
// Enough for a vote and its headers in one read; a request that needs more grows the buffer.
constexpr qsizetype InitialInputCapacity = 4 * 1024;
// An output buffer that grew for a large answer (metrics, CSV) is given back when it is
// empty again, so that thousands of idle keep-alive connections do not each keep one.
constexpr qsizetype KeptOutputCapacity = 64 * 1024;
// How long a closing connection waits for the client's close after our last answer.
constexpr qint64 LingerTimeoutMs = 2000;
// What a closing connection reads and drops before it gives up on the client and resets:
// a client that keeps sending after the request that closed is not going to stop.
constexpr qint64 MaxDiscardedBytes = 1024 * 1024;

const QByteArrayView continueLine = "HTTP/1.1 100 Continue\r\n\r\n";

} // namespace

HttpConnection::Slot &HttpConnection::SlotRing::pushBack()
{
    if (m_size == m_items.size()) {
        std::vector<Slot> grown(std::max<std::size_t>(4, m_items.size() * 2));
        for (std::size_t i = 0; i < m_size; ++i)
            grown[i] = std::move(at(i));
        m_items.swap(grown);
        m_head = 0;
    }
    Slot &slot = m_items[(m_head + m_size) & (m_items.size() - 1)];
    ++m_size;
    return slot;
}

void HttpConnection::SlotRing::popFront()
{
    m_items[m_head].response.reset();
    m_head = (m_head + 1) & (m_items.size() - 1);
    --m_size;
}

void HttpConnection::SlotRing::clear()
{
    while (m_size > 0)
        popFront();
    m_head = 0;
}

HttpConnection::HttpConnection(IoContext &context, quint64 id, int fd, const QHostAddress &peerAddress,
                               quint16 peerPort, bool refused)
    : m_context(context)
    , m_id(id)
    , m_fd(fd)
    , m_refused(refused)
{
    m_requestContext.ticket = ReplyTicket{&context, id, 0};
    m_requestContext.peerAddress = peerAddress;
    m_requestContext.peerPort = peerPort;
    m_requestContext.peerIsLoopback = peerAddress.isLoopback();
    m_lastActivityMs = context.nowMs();
}

HttpConnection::~HttpConnection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void HttpConnection::start()
{
    if (!m_refused)
        return;
    // Over the connection limit: one answer without reading anything, then close.
    Slot &slot = m_slots.pushBack();
    slot.sequence = m_nextSequence++;
    slot.versionMinor = 1;
    slot.keepAlive = false;
    slot.headOnly = false;
    slot.crossOrigin = false;
    slot.response = HttpResponse::jsonError(503, QByteArrayLiteral("overloaded"),
                                            QStringLiteral("too many open connections; retry shortly"))
                        .addHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"))
                        .setCloseConnection();
    m_state = State::Closing;
    requestFlush();
}

void HttpConnection::handleEvents(quint32 events)
{
    if (m_state == State::Finished)
        return;
    if (events & EPOLLERR) {
        // Reset by the client (or unreachable): nothing we send can arrive any more.
        finish();
        return;
    }
    if (events & EPOLLRDHUP)
        m_readShutdown = true;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
        m_readable = true;
        readAndProcess();
    }
    if (m_state != State::Finished && (events & EPOLLOUT) && hasUnsentOutput())
        requestFlush();
}

void HttpConnection::readAndProcess()
{
    while (m_readable && m_state != State::Finished) {
        const bool parsing = m_state == State::Open;
        char *target = nullptr;
        qsizetype space = 0;
        if (parsing) {
            if (isBackpressured()) {
                // The bytes stay in the kernel; resumeIfUnblocked() comes back for them.
                m_backpressured = true;
                return;
            }
            if (!reserveInput())
                continue; // answered and closing: what follows is read and discarded
            target = m_in.get() + m_inEnd;
            space = m_inCapacity - m_inEnd;
        } else {
            // Requests after the one that closes are not answered; drain them so that the
            // client is not blocked and our close does not turn into a reset.
            target = m_context.discardBuffer();
            space = m_context.discardBufferSize();
        }

        const ssize_t received = ::recv(m_fd, target, size_t(space), 0);
        if (received > 0) {
            m_context.counters().bytesIn.fetch_add(received, std::memory_order_relaxed);
            m_lastActivityMs = m_context.nowMs();
            // A short read means the socket is empty now, and edge-triggered epoll reports the
            // next arrival; reading again only to see EAGAIN would cost a syscall per request.
            if (received < space)
                m_readable = false;
            if (parsing) {
                m_inEnd += received;
                processBuffer();
            } else if ((m_discardedBytes += received) > MaxDiscardedBytes) {
                finish();
                return;
            }
            continue;
        }
        if (received == 0) {
            m_readable = false;
            peerClosed();
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            m_readable = false;
            break;
        }
        finish(); // ECONNRESET and the like
        return;
    }
    // EPOLLRDHUP came with the last bytes: once they are read, the client's end is reached.
    if (!m_readable && m_readShutdown && m_state != State::Finished)
        peerClosed();
}

bool HttpConnection::reserveInput()
{
    if (!m_in) {
        m_inCapacity = InitialInputCapacity;
        m_in = std::make_unique_for_overwrite<char[]>(std::size_t(m_inCapacity));
    }
    if (m_inEnd < m_inCapacity)
        return true;
    if (m_inBegin > 0) {
        std::memmove(m_in.get(), m_in.get() + m_inBegin, std::size_t(m_inEnd - m_inBegin));
        m_inEnd -= m_inBegin;
        m_inBegin = 0;
        return true;
    }
    // The parser refuses an incomplete request long before it is this large (431 for the
    // head, 413 for the body and for chunk framing), so this is only a safety net.
    const ParserLimits &limits = m_context.limits();
    const qsizetype maxCapacity =
        std::max<qsizetype>(64 * 1024, 2 * (limits.maxHeaderBytes + limits.maxBodyBytes) + 4096);
    if (m_inCapacity >= maxCapacity) {
        const QByteArray code = QByteArrayLiteral("payload_too_large");
        m_context.reportProtocolError(413, code);
        pushErrorAnswer(413, code, QStringLiteral("request exceeds %1 bytes").arg(maxCapacity), 1);
        return false;
    }
    const qsizetype capacity = std::min(maxCapacity, m_inCapacity * 2);
    auto grown = std::make_unique_for_overwrite<char[]>(std::size_t(capacity));
    std::memcpy(grown.get(), m_in.get(), std::size_t(m_inEnd));
    m_in = std::move(grown);
    m_inCapacity = capacity;
    return true;
}

void HttpConnection::processBuffer()
{
    while (m_state == State::Open && m_inBegin < m_inEnd) {
        if (isBackpressured()) {
            // Answers that are ready can be queued for the socket now and make room; only
            // deferred ones block.
            serializeReady();
            if (m_state != State::Open)
                break;
            if (isBackpressured()) {
                m_backpressured = true;
                break;
            }
        }

        const RequestParser::Result result = RequestParser::parse(
            QByteArrayView(m_in.get() + m_inBegin, m_inEnd - m_inBegin), m_context.limits());
        if (result.status == RequestParser::Status::Incomplete) {
            if (result.expectContinue && !m_continueSent) {
                // An interim answer must not overtake final answers to earlier requests.
                if (m_slots.isEmpty()) {
                    m_out.append(continueLine);
                    m_context.counters().bytesOut.fetch_add(continueLine.size(), std::memory_order_relaxed);
                    m_continueSent = true;
                    requestFlush();
                } else {
                    m_continueWaiting = true;
                }
            }
            if (m_requestStartMs == 0)
                m_requestStartMs = m_context.nowMs();
            break;
        }
        if (result.status == RequestParser::Status::Error) {
            m_context.reportProtocolError(result.errorStatus, result.errorCode);
            pushErrorAnswer(result.errorStatus, result.errorCode, result.errorMessage,
                            result.request.versionMinor);
            break;
        }

        m_inBegin += result.frameSize;
        m_requestStartMs = 0;
        m_continueSent = false;
        m_continueWaiting = false;
        dispatch(result.request);
        // Serialised at once (sent at the end of the loop iteration), so that unsent bytes
        // count towards backpressure and the response objects go right away.
        if (m_slots.front().response)
            serializeReady();
    }

    if (m_state != State::Open || m_inBegin == m_inEnd) {
        m_inBegin = 0;
        m_inEnd = 0;
        m_requestStartMs = 0;
    }
    if (!m_slots.isEmpty() && m_slots.front().response)
        requestFlush();
}

void HttpConnection::dispatch(const HttpRequest &request)
{
    m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);

    Slot &slot = m_slots.pushBack();
    slot.sequence = m_nextSequence++;
    slot.versionMinor = request.versionMinor;
    slot.keepAlive = request.keepAlive;
    slot.headOnly = request.method == Method::Head;
    // OPTIONS answers carry their own CORS headers (or deliberately none).
    slot.crossOrigin = request.method != Method::Options && m_context.router().isCrossOrigin(request.path);

    m_requestContext.ticket.sequence = slot.sequence;
    m_requestContext.receivedAtMs = m_context.wallClockMs();

    // Handlers cannot reach this connection synchronously (sendReply() always goes through
    // the inbox), so `slot` stays valid across the call.
    std::optional<HttpResponse> response = m_context.router().dispatch(request, m_requestContext);
    if (response) {
        if (response->closeConnection())
            m_state = State::Closing;
        slot.response = std::move(response);
    }
    if (!request.keepAlive)
        m_state = State::Closing; // pipelined requests after this one are not served
}

void HttpConnection::pushErrorAnswer(int status, const QByteArray &code, const QString &message,
                                     int versionMinor)
{
    Slot &slot = m_slots.pushBack();
    slot.sequence = m_nextSequence++;
    slot.versionMinor = versionMinor;
    slot.keepAlive = false;
    slot.headOnly = false;
    slot.crossOrigin = false;
    slot.response = HttpResponse::jsonError(status, code, message).setCloseConnection();
    m_state = State::Closing;
    m_inBegin = 0;
    m_inEnd = 0;
    m_requestStartMs = 0;
    if (m_slots.size() == 1)
        requestFlush();
}

void HttpConnection::complete(quint64 sequence, HttpResponse response)
{
    if (m_state == State::Finished || m_state == State::Lingering || m_slots.isEmpty())
        return;
    // Slots hold consecutive sequences, so the position is a subtraction. Anything outside
    // was dropped when the connection decided to close after an earlier answer.
    const quint64 first = m_slots.front().sequence;
    if (sequence < first || sequence - first >= m_slots.size())
        return;
    Slot &slot = m_slots.at(std::size_t(sequence - first));
    Q_ASSERT(slot.sequence == sequence);
    if (slot.response) {
        qWarning("Http::HttpConnection: request %llu answered twice; keeping the first answer", sequence);
        return;
    }
    slot.response = std::move(response);
    if (sequence == first)
        requestFlush(); // otherwise still held back by an earlier answer
}

void HttpConnection::serializeReady()
{
    const qsizetype before = m_out.size();
    bool closeAfter = false;
    while (!m_slots.isEmpty() && m_slots.front().response) {
        const Slot &slot = m_slots.front();
        const bool keepAlive = slot.keepAlive && !slot.response->closeConnection();
        slot.response->serialize(m_out, slot.versionMinor, keepAlive, slot.headOnly, slot.crossOrigin);
        m_slots.popFront();
        if (!keepAlive) {
            closeAfter = true;
            break;
        }
    }
    m_context.counters().bytesOut.fetch_add(m_out.size() - before, std::memory_order_relaxed);
    if (closeAfter) {
        // Requests behind the closing answer were never promised an answer; their deferred
        // replies find no slot and are dropped in complete().
        m_slots.clear();
        m_state = State::Closing;
        m_closeWhenWritten = true;
        m_inBegin = 0;
        m_inEnd = 0;
    }
}

void HttpConnection::flush()
{
    m_flushRequested = false;
    if (m_state == State::Finished)
        return;
    if (m_state != State::Lingering)
        serializeReady();
    if (!writeOut())
        return; // the client is gone
    if (!hasUnsentOutput()) {
        if (m_peerClosed) {
            finish();
            return;
        }
        if (m_closeWhenWritten && m_state != State::Lingering) {
            startLingering();
            return;
        }
    }
    resumeIfUnblocked();
}

bool HttpConnection::writeOut()
{
    while (hasUnsentOutput()) {
        const ssize_t sent =
            ::send(m_fd, m_out.constData() + m_outSent, std::size_t(m_out.size() - m_outSent), MSG_NOSIGNAL);
        if (sent > 0) {
            m_outSent += sent;
            m_lastActivityMs = m_context.nowMs();
            // A short send filled the socket buffer; the kernel then reports EPOLLOUT (an
            // edge) once there is room again, and handleEvents() brings us back.
            if (hasUnsentOutput())
                return true;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
            return true;
        finish(); // EPIPE, ECONNRESET: the client is gone
        return false;
    }
    // Everything is out: start over at the front of the same allocation.
    if (m_out.capacity() > KeptOutputCapacity)
        m_out = QByteArray();
    else
        m_out.truncate(0);
    m_outSent = 0;
    return true;
}

void HttpConnection::startLingering()
{
    // A close() with unread input makes the kernel send a reset, and a reset that arrives
    // before the client has read our last answer destroys it. So: shut down our side (the
    // client sees the end after the answer), read and drop what still comes, and close when
    // the client does, or after LingerTimeoutMs (RFC 9112 §9.6).
    m_state = State::Lingering;
    m_slots.clear();
    m_inBegin = 0;
    m_inEnd = 0;
    if (m_readShutdown) {
        finish(); // the client has already closed its side: nothing more will come
        return;
    }
    ::shutdown(m_fd, SHUT_WR);
    m_lingerDeadlineMs = m_context.nowMs() + LingerTimeoutMs;
    if (m_readable)
        readAndProcess();
}

void HttpConnection::peerClosed()
{
    if (m_state == State::Lingering || m_state == State::Finished) {
        finish();
        return;
    }
    // Whatever is answered already still goes out (the client may only have shut down its
    // sending side), also when that answer is the one that closes; deferred answers are
    // dropped, there is no one to wait for.
    serializeReady();
    m_slots.clear();
    m_state = State::Closing;
    m_peerClosed = true;
    m_inBegin = 0;
    m_inEnd = 0;
    if (hasUnsentOutput())
        requestFlush();
    else
        finish();
}

void HttpConnection::resumeIfUnblocked()
{
    if (m_state != State::Open)
        return;
    const bool resumeParsing = m_backpressured && !isBackpressured();
    const bool sendContinue = m_continueWaiting && m_slots.isEmpty();
    if (!resumeParsing && !sendContinue)
        return;
    m_backpressured = false;
    m_continueWaiting = false;
    // Parses what is buffered (sending a held-back "100 Continue" on the way), then reads
    // what the kernel kept for us meanwhile.
    processBuffer();
    readAndProcess();
}

bool HttpConnection::isBackpressured() const
{
    return m_slots.size() >= MaxPendingSlots || m_out.size() - m_outSent > MaxUnsentBytes;
}

void HttpConnection::requestFlush()
{
    if (m_flushRequested)
        return;
    m_flushRequested = true;
    m_context.scheduleFlush(this);
}

void HttpConnection::sweep(qint64 nowMs)
{
    const HttpServerOptions &options = m_context.options();
    switch (m_state) {
    case State::Finished:
        return;
    case State::Lingering:
        if (nowMs >= m_lingerDeadlineMs)
            finish();
        return;
    case State::Open:
        if (options.headerTimeoutMs > 0 && m_requestStartMs != 0 && !m_backpressured &&
            nowMs - m_requestStartMs >= options.headerTimeoutMs) {
            const QByteArray code = QByteArrayLiteral("request_timeout");
            m_context.counters().requestTimeouts.fetch_add(1, std::memory_order_relaxed);
            m_context.reportProtocolError(408, code);
            pushErrorAnswer(
                408, code,
                QStringLiteral("the request was not complete within %1 ms").arg(options.headerTimeoutMs), 1);
            return;
        }
        break;
    case State::Closing:
        break;
    }

    if (options.idleTimeoutMs <= 0 || nowMs - m_lastActivityMs < options.idleTimeoutMs)
        return;
    // Idle keep-alive: nothing pending, nothing buffered. Or a client that stopped reading
    // our answers: the socket buffer stays full and nothing moves.
    const bool idle = m_state == State::Open && m_slots.isEmpty() && m_inBegin == m_inEnd;
    if (idle || hasUnsentOutput()) {
        m_context.counters().idleTimeouts.fetch_add(1, std::memory_order_relaxed);
        finish();
    }
}

void HttpConnection::abort()
{
    finish();
}

void HttpConnection::finish()
{
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    // Closing the descriptor also removes it from the epoll set.
    ::close(m_fd);
    m_fd = -1;
    m_slots.clear();
    m_context.release(this); // we live on until the context's iteration ends
}

} // namespace Http
