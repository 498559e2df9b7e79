#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include <QByteArray>
#include <QString>

#include "http/replyticket.h"
#include "http/requestparser.h"

namespace Http {

class Acceptor;
class HttpConnection;
class Router;
struct HttpServerCounters;
struct HttpServerOptions;

// Observer for requests the server answers itself (framing errors, limits, 408). Called on
// the I/O thread with the status and error code sent, before the connection closes; with
// several I/O threads it may run on them at the same time.
using ProtocolErrorObserver = std::function<void(int status, const QByteArray &code)>;

// A socket the Acceptor took off the listen queue, on its way to the context that will own it.
struct AcceptedSocket
{
    int fd = -1;
    sockaddr_storage peer{};
    bool refused = false; // over maxConnections: answered 503 and closed, not counted as open
};

// One I/O thread and everything it owns (Linux only): an epoll set, its connections, an
// eventfd that other threads use to wake it, and its inbox. The loop is a plain std::thread
// with no Qt event loop: epoll_wait; for each ready socket read, parse, dispatch and write
// its ready answers (one send); drain the inbox and write every connection that got
// answers (one send each); every ~250 ms sweep the connections for timeouts.
//
// Everything but the "any thread" functions runs on the I/O thread only. Connections are
// addressed from outside by ReplyTicket::connectionId, never by pointer, so a reply to a
// connection that has gone finds nothing and is dropped.
//
// Lifetime: created and opened by HttpServer::listen(), stopped and destroyed by
// HttpServer::close(). Tickets point at the context, so producers must stop sending replies
// before the server is closed.
class IoContext final
{
    Q_DISABLE_COPY_MOVE(IoContext)

public:
    IoContext(int index, const Router &router, const HttpServerOptions &options, HttpServerCounters &counters,
              const ProtocolErrorObserver &observer);
    ~IoContext();

    // Controlling thread, in this order. open() creates the epoll set and the eventfd.
    bool open(QString *error);
    void setAcceptor(Acceptor *acceptor, int listenFd); // context 0 only
    void start();
    // Makes the loop close its connections and return, and joins the thread.
    void stop();

    // Any thread. Crossing: the caller's thread -> this I/O thread, through the inbox.
    void postReplies(std::vector<PendingReply> &&replies);
    void postSocket(const AcceptedSocket &socket);

    // I/O thread only: takes ownership of an accepted socket.
    void adopt(const AcceptedSocket &socket);

    // I/O thread only, for HttpConnection.
    const Router &router() const { return m_router; }
    const HttpServerOptions &options() const { return m_options; }
    const ParserLimits &limits() const;
    HttpServerCounters &counters() { return m_counters; }
    qint64 nowMs() const { return m_nowMs; }             // monotonic, read once per iteration
    qint64 wallClockMs() const { return m_wallClockMs; } // ms since the epoch, same instant
    void scheduleFlush(HttpConnection *connection);      // flush() it at the end of this iteration
    void release(HttpConnection *connection);            // it has closed its socket: forget it
    void reportProtocolError(int status, const QByteArray &code);
    // Bytes read after a connection stopped parsing (closing, lingering) go here and are lost.
    char *discardBuffer() { return m_discard.data(); }
    qsizetype discardBufferSize() const { return qsizetype(m_discard.size()); }

private:
    // What other threads hand over. The locking rule: m_inboxMutex guards m_inbox and nothing
    // else; it is held only to append (producers) or to swap the vectors with m_draining (the
    // I/O thread), never while calling out, so no other lock is ever taken under it. The
    // producer that finds the inbox empty writes the eventfd after unlocking; one that finds
    // it non-empty does not, because the wake-up that the first one sent is still to be
    // handled, and the I/O thread swaps the inbox only after that wake-up has been reported.
    struct Inbox
    {
        std::vector<PendingReply> replies;
        std::vector<AcceptedSocket> sockets;

        bool isEmpty() const { return replies.empty() && sockets.empty(); }
    };

    void run();
    void updateClock();
    void wake();
    void drainInbox();
    void flushScheduled();
    void sweep();
    void closeAll();
    void discardSockets(std::vector<AcceptedSocket> &sockets);
    HttpConnection *find(quint64 connectionId) const;

    const int m_index;
    const Router &m_router;
    const HttpServerOptions &m_options;
    HttpServerCounters &m_counters;
    const ProtocolErrorObserver &m_observer;

    int m_epollFd = -1;
    int m_wakeFd = -1;
    Acceptor *m_acceptor = nullptr;
    std::thread m_thread;
    std::atomic<bool> m_stopRequested{false};

    std::mutex m_inboxMutex;
    Inbox m_inbox;    // guarded by m_inboxMutex
    Inbox m_draining; // I/O thread: what the last swap took out (keeps its capacity)

    // Connections by slot; a connection id is (serial << 32) | slot, so a stale id of a
    // reused slot does not match. Slots of closed connections are reused.
    std::vector<std::unique_ptr<HttpConnection>> m_connections;
    std::vector<quint32> m_freeSlots;
    quint32 m_serial = 0;
    int m_liveConnections = 0;
    // Closed this iteration. epoll may still report events for them later in the same batch,
    // so they are destroyed only when the batch is done.
    std::vector<std::unique_ptr<HttpConnection>> m_graveyard;
    std::vector<HttpConnection *> m_flushQueue;
    std::vector<HttpConnection *> m_flushing;

    qint64 m_nowMs = 0;
    qint64 m_wallClockMs = 0;
    qint64 m_nextSweepMs = 0;
    qint64 m_sweepIntervalMs = 250;
    std::array<char, 16 * 1024> m_discard{};
};

} // namespace Http
