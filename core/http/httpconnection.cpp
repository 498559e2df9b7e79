#include "http/httpconnection.h"

#include <QDateTime>
#include <QTcpSocket>

#include "http/httpserver.h"
#include "http/iocontext.h"
#include "http/requestparser.h"
#include "http/router.h"

namespace Http {

namespace {

// Pipelining depth after which parsing pauses until answers go out: bounds the memory a
// client can pin with requests whose answers are deferred (votes waiting for a commit).
constexpr std::size_t MaxPendingSlots = 64;
// Qt stops reading from the kernel when its buffer holds this much and we do not drain
// it, so a paused connection pushes back on the client through TCP flow control.
constexpr qint64 ReadBufferSize = 64 * 1024;
// A client that pipelines but does not read its answers must not grow our write buffer
// without bound either.
constexpr qint64 MaxUnsentBytes = 1024 * 1024;

} // namespace

HttpConnection::HttpConnection(IoContext &context, quint64 id, QTcpSocket *socket, QObject *parent)
    : QObject(parent)
    , m_context(context)
    , m_id(id)
    , m_socket(socket)
{
    m_socket->setParent(this);
    m_socket->setReadBufferSize(ReadBufferSize);

    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; handlers (loopback checks
    // for the admin API, logs, rate limits) should see the plain IPv4 address.
    m_peerAddress = m_socket->peerAddress();
    bool isV4 = false;
    const quint32 v4 = m_peerAddress.toIPv4Address(&isV4);
    if (isV4 && m_peerAddress.protocol() == QAbstractSocket::IPv6Protocol)
        m_peerAddress = QHostAddress(v4);
    m_peerPort = m_socket->peerPort();
    m_peerIsLoopback = m_peerAddress.isLoopback();

    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::complete(quint64 sequence, HttpResponse response)
{
    if (m_disconnected || m_slots.empty())
        return;
    // Slots hold consecutive sequences, so the position is a subtraction. Anything outside
    // was dropped when the connection decided to close after an earlier answer.
    const quint64 first = m_slots.front().sequence;
    if (sequence < first || sequence - first >= m_slots.size())
        return;
    Slot &slot = m_slots[std::size_t(sequence - first)];
    Q_ASSERT(slot.sequence == sequence);
    if (slot.response) {
        qWarning("Http::HttpConnection: request %llu answered twice; keeping the first answer", sequence);
        return;
    }
    if (slot.crossOrigin)
        response.addHeader(QByteArrayLiteral("Access-Control-Allow-Origin"), QByteArrayLiteral("*"));
    slot.response = std::move(response);
    if (sequence != first)
        return; // still held back by an earlier answer
    flush();
    resumeIfUnblocked();
}

void HttpConnection::close()
{
    // Used when the server shuts down: no answers are flushed and the context is not told,
    // because it is the one closing us.
    m_disconnected = true;
    m_closing = true;
    m_slots.clear();
    m_buffer.clear();
    disconnect(m_socket, nullptr, this, nullptr);
    m_socket->abort();
}

void HttpConnection::onReadyRead()
{
    if (m_disconnected)
        return;
    if (m_closing) {
        // Requests after the one that closes are not answered; drain them so Qt's buffer
        // does not fill up while the last answers are being written.
        const QByteArray ignored = m_socket->readAll();
        m_context.counters().bytesIn.fetch_add(ignored.size(), std::memory_order_relaxed);
        return;
    }
    if (isBackpressured()) {
        // Leave the bytes in the socket; resumeIfUnblocked() comes back for them.
        m_backpressured = true;
        return;
    }
    const QByteArray data = m_socket->readAll();
    m_context.counters().bytesIn.fetch_add(data.size(), std::memory_order_relaxed);
    if (m_buffer.isEmpty())
        m_buffer = data;
    else
        m_buffer.append(data);
    processBuffer();
}

void HttpConnection::onBytesWritten()
{
    resumeIfUnblocked();
}

void HttpConnection::onDisconnected()
{
    if (m_disconnected)
        return;
    m_disconnected = true;
    m_closing = true;
    m_slots.clear();
    m_buffer.clear();
    m_context.connectionClosed(m_id);
    // Not deleted here: this may run inside flush() (disconnectFromHost() with nothing left
    // to write emits disconnected synchronously) or inside IoContext::deliver().
    deleteLater();
}

void HttpConnection::processBuffer()
{
    qsizetype offset = 0;
    while (!m_closing) {
        if (isBackpressured()) {
            // Answers that are ready can go out now and make room; only deferred ones block.
            flush();
            if (m_closing)
                break;
            if (isBackpressured()) {
                m_backpressured = true;
                break;
            }
        }
        if (offset == m_buffer.size())
            break;

        RequestParser::Result result =
            RequestParser::parse(QByteArrayView(m_buffer).sliced(offset), m_context.limits());
        if (result.status == RequestParser::Status::Incomplete) {
            if (result.expectContinue && !m_continueSent) {
                // An interim answer must not overtake final answers to earlier requests.
                if (m_slots.empty()) {
                    static const QByteArray continueLine = QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n");
                    m_socket->write(continueLine);
                    m_context.counters().bytesOut.fetch_add(continueLine.size(), std::memory_order_relaxed);
                    m_continueSent = true;
                } else {
                    m_continueWaiting = true;
                }
            }
            break;
        }
        if (result.status == RequestParser::Status::Error) {
            m_context.reportProtocolError(result.errorStatus, result.errorCode);
            Slot slot;
            slot.sequence = m_nextSequence++;
            slot.versionMinor = result.request.versionMinor;
            slot.keepAlive = false;
            slot.response = HttpResponse::jsonError(result.errorStatus, result.errorCode, result.errorMessage)
                                .setCloseConnection();
            m_slots.push_back(std::move(slot));
            m_closing = true;
            break;
        }

        offset += result.frameSize;
        m_continueSent = false;
        m_continueWaiting = false;
        dispatch(result.request);
    }

    if (m_closing)
        m_buffer.clear();
    else if (offset > 0)
        m_buffer.remove(0, offset);
    flush();
}

void HttpConnection::dispatch(const HttpRequest &request)
{
    m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);

    Slot slot;
    slot.sequence = m_nextSequence++;
    slot.versionMinor = request.versionMinor;
    slot.keepAlive = request.keepAlive;
    slot.headOnly = request.method == Method::Head;
    // OPTIONS answers carry their own CORS headers (or deliberately none).
    slot.crossOrigin = request.method != Method::Options && m_context.router().isCrossOrigin(request.path);

    RequestContext ctx;
    ctx.ticket = ReplyTicket{&m_context, m_id, slot.sequence};
    ctx.peerAddress = m_peerAddress;
    ctx.peerPort = m_peerPort;
    ctx.peerIsLoopback = m_peerIsLoopback;
    ctx.receivedAtMs = QDateTime::currentMSecsSinceEpoch();

    // Handlers cannot call back into this connection synchronously (sendReply() always
    // queues), so the slot can be pushed first and filled afterwards.
    m_slots.push_back(std::move(slot));
    std::optional<HttpResponse> response = m_context.router().dispatch(request, ctx);
    if (response) {
        if (response->closeConnection())
            m_closing = true;
        if (m_slots.back().crossOrigin)
            response->addHeader(QByteArrayLiteral("Access-Control-Allow-Origin"), QByteArrayLiteral("*"));
        m_slots.back().response = std::move(response);
    }
    if (!request.keepAlive)
        m_closing = true; // pipelined requests after this one are not served
}

void HttpConnection::flush()
{
    if (m_disconnected)
        return;

    // Every answer that is ready, from the front, in one write: TCP_NODELAY is on, so
    // separate writes would mean separate segments.
    QByteArray out;
    bool closeAfter = false;
    while (!m_slots.empty() && m_slots.front().response) {
        const Slot &slot = m_slots.front();
        const bool keepAlive = slot.keepAlive && !slot.response->closeConnection();
        slot.response->serialize(out, slot.versionMinor, keepAlive, slot.headOnly);
        m_slots.pop_front();
        if (!keepAlive) {
            closeAfter = true;
            break;
        }
    }

    if (!out.isEmpty()) {
        m_socket->write(out);
        m_context.counters().bytesOut.fetch_add(out.size(), std::memory_order_relaxed);
    }
    if (closeAfter) {
        // Requests behind the closing answer were never promised an answer; their deferred
        // replies find no slot and are dropped in complete().
        m_closing = true;
        m_slots.clear();
        m_buffer.clear();
        // Sends what is queued, then closes; may emit disconnected() right here.
        m_socket->disconnectFromHost();
    }
}

bool HttpConnection::isBackpressured() const
{
    return m_slots.size() >= MaxPendingSlots || m_socket->bytesToWrite() > MaxUnsentBytes;
}

void HttpConnection::resumeIfUnblocked()
{
    if (m_disconnected || m_closing)
        return;
    const bool resumeParsing = m_backpressured && !isBackpressured();
    const bool sendContinue = m_continueWaiting && m_slots.empty();
    if (!resumeParsing && !sendContinue)
        return;
    m_backpressured = false;
    m_continueWaiting = false;
    // Reads what Qt held back meanwhile, then parses the whole buffer again.
    onReadyRead();
}

} // namespace Http
