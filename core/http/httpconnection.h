#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QHostAddress>

#include "http/httpresponse.h"
#include "http/router.h"

namespace Http {

class IoContext;
struct HttpRequest;

// One client connection: a non-blocking socket with TCP_NODELAY, owned by its IoContext and
// touched only on that context's I/O thread (Linux only; edge-triggered epoll).
//
// Reads into one buffer that it keeps for its whole life (it grows only for a request that
// needs it), cuts it into requests with RequestParser (pipelining: all complete requests of
// a read), dispatches each to the Router, and writes the answers strictly in request order.
// Deferred answers hold back the ones behind them; all answers that are ready by the end of
// a loop iteration go out in one send. Parsing stops while 64 answers are pending or 1 MiB
// is unsent, and the unread bytes stay in the kernel so TCP pushes back on the client.
//
// Closing: after an answer that closes (error, "Connection: close", HTTP/1.0) it sends what
// is queued, shuts down its sending side and reads until the client closes (bounded), so the
// client is not sent a reset that could destroy the last answer before it is read. When
// the client closes first, the answers ready at that moment are sent and deferred ones
// are dropped.
class HttpConnection final
{
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    HttpConnection(IoContext &context, quint64 id, int fd, const QHostAddress &peerAddress, quint16 peerPort,
                   bool refused);
    ~HttpConnection(); // closes the socket if it is still open

    quint64 id() const { return m_id; }
    bool isRefused() const { return m_refused; }
    bool isFinished() const { return m_state == State::Finished; }

    // Called by the IoContext, all on the I/O thread.
    void start();                                           // registered with epoll
    void handleEvents(quint32 events);                      // epoll reported these
    void complete(quint64 sequence, HttpResponse response); // a deferred answer arrived
    void flush();                                           // write the answers that are ready
    void sweep(qint64 nowMs);                               // timeouts
    void abort();                                           // server shutdown: close now

private:
    enum class State
    {
        Open,      // reading and parsing requests
        Closing,   // no more requests are parsed; answering those before the closing one
        Lingering, // the last answer is out and our side shut down; waiting for the client's close
        Finished   // socket closed, waiting to be destroyed
    };

    struct Slot
    {
        quint64 sequence = 0;
        int versionMinor = 1;
        bool keepAlive = true;
        bool headOnly = false;
        bool crossOrigin = false; // the router allows any origin to read this path
        std::optional<HttpResponse> response;
    };

    // The pipeline: a ring buffer of slots that grows by doubling (rarely beyond 4: only
    // pipelining clients fill it) and never allocates per request.
    class SlotRing
    {
    public:
        bool isEmpty() const { return m_size == 0; }
        std::size_t size() const { return m_size; }
        Slot &front() { return m_items[m_head]; }
        Slot &at(std::size_t i) { return m_items[(m_head + i) & (m_items.size() - 1)]; }
        Slot &pushBack();
        void popFront();
        void clear();

    private:
        std::vector<Slot> m_items; // size is a power of two
        std::size_t m_head = 0;
        std::size_t m_size = 0;
    };

    void readAndProcess();
    bool reserveInput();
    void processBuffer();
    void dispatch(const HttpRequest &request);
    void pushErrorAnswer(int status, const QByteArray &code, const QString &message, int versionMinor);
    void serializeReady();
    bool writeOut();
    void startLingering();
    void peerClosed();
    void resumeIfUnblocked();
    bool isBackpressured() const;
    bool hasUnsentOutput() const { return m_outSent < m_out.size(); }
    void requestFlush();
    void finish();

    IoContext &m_context;
    const quint64 m_id;
    int m_fd;
    const bool m_refused;
    State m_state = State::Open;
    RequestContext m_requestContext; // peer and ticket; sequence and time set per request

    // Input: bytes [m_inBegin, m_inEnd) of m_in are received and not yet consumed.
    std::unique_ptr<char[]> m_in;
    qsizetype m_inCapacity = 0;
    qsizetype m_inBegin = 0;
    qsizetype m_inEnd = 0;

    // Output: bytes [m_outSent, size) of m_out are serialised and not yet sent.
    QByteArray m_out;
    qsizetype m_outSent = 0;

    SlotRing m_slots;
    quint64 m_nextSequence = 1;

    qint64 m_requestStartMs = 0; // first sight of the incomplete request in the buffer, or 0
    qint64 m_lastActivityMs = 0; // last read or write progress
    qint64 m_lingerDeadlineMs = 0;
    qint64 m_discardedBytes = 0;     // read and dropped while closing or lingering
    bool m_readable = false;         // epoll said readable and we have not yet read it dry
    bool m_readShutdown = false;     // the client has shut down its sending side (EPOLLRDHUP)
    bool m_peerClosed = false;       // send what is ready, then close
    bool m_closeWhenWritten = false; // the closing answer is serialised: shut down after it
    bool m_backpressured = false;    // parsing stopped: too many answers pending or unsent
    bool m_continueSent = false;     // "100 Continue" already sent for the request being received
    bool m_continueWaiting = false;  // "100 Continue" held back until earlier answers are out
    bool m_flushRequested = false;   // queued in the context's flush list
};

} // namespace Http
