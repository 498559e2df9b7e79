#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include <QHostAddress>
#include <QObject>
#include <QThread>

#include "http/iocontext.h"
#include "http/requestparser.h"
#include "http/router.h"

namespace Http {

class Acceptor;

// Counters every I/O thread updates with relaxed atomics; read by metrics at any time.
struct HttpServerCounters
{
    std::atomic<qint64> connectionsAccepted{0}; // served; the refused ones are not counted here
    std::atomic<qint64> connectionsOpen{0};
    std::atomic<qint64> connectionsRefused{0}; // over maxConnections: 503 overloaded + close
    std::atomic<qint64> requests{0};
    std::atomic<qint64> protocolErrors{0};  // answered by the server itself (incl. 408)
    std::atomic<qint64> requestTimeouts{0}; // 408: a request not complete within headerTimeoutMs
    std::atomic<qint64> idleTimeouts{0};    // closed after idleTimeoutMs without traffic
    std::atomic<qint64> bytesIn{0};
    std::atomic<qint64> bytesOut{0}; // handed to the kernel
};

// Declared outside HttpServer only so that it can be a default argument of its constructor
// (a nested class's member initialisers are not usable there); spelled HttpServer::Options.
struct HttpServerOptions
{
    // Each I/O thread runs its own epoll loop over its own connections. One per core is the
    // point; idealThreadCount() honours the process's CPU affinity (taskset).
    int ioThreads = std::max(1, QThread::idealThreadCount());
    // Open connections beyond this are answered 503 overloaded (Retry-After: 1) and closed.
    int maxConnections = 10000;
    // A request whose first bytes arrived must be complete within this, else 408 and close
    // (slow-loris clients). 0 disables it.
    int headerTimeoutMs = 10000;
    // A keep-alive connection with nothing pending and no traffic for this long is closed
    // silently; so is one whose client stopped reading our answers. 0 disables it.
    int idleTimeoutMs = 60000;
    ParserLimits limits;
    // Called on each I/O thread after it has handled one round of socket events (every request
    // of that round is dispatched). Lets handlers that hand work to other threads wake them once
    // per round instead of once per request. Must be thread-safe; set before listen().
    std::function<void()> afterRound;
};

// The embedded HTTP/1.1 server (Linux only: epoll, eventfd, accept4). One listening socket;
// ioThreads I/O threads, each an epoll loop with no Qt event loop, own their connections
// (keep-alive, pipelining, libhttp-parser, routing through an explicit table). The HTTP
// layer knows bytes and requests, nothing of votes or storage.
//
// Accepting: the listening socket sits in I/O thread 0's epoll set; that thread accepts and
// hands the sockets round-robin to the threads' inboxes (its own directly). Not
// SO_REUSEPORT listeners per thread: with those a second server (another votedesk) could
// bind the same port and silently share the traffic instead of failing with "port in use",
// a listener's hash bucket cannot be rebalanced when its thread is busy, and closing one
// listener resets the connections waiting in its queue. Accepting is rare next to requests
// (keep-alive), so handing a socket over costs nothing measurable.
//
// Threads: construct, listen() and close() from one controlling thread. The router is
// copied in at construction and read-only afterwards. Handlers and the protocol error
// observer run on the I/O threads. sendReplies() may be called from any thread while the
// server is listening.
class HttpServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)

public:
    using Options = HttpServerOptions;

    explicit HttpServer(Router router, Options options = {}, QObject *parent = nullptr);
    ~HttpServer() override; // calls close()

    // Called on the I/O threads, possibly at the same time; set before listen().
    void setProtocolErrorObserver(ProtocolErrorObserver observer);

    // Binds, listens and starts the I/O threads; returns once they run or binding failed.
    // port 0 picks a free port; serverPort() then tells which.
    bool listen(const QHostAddress &address, quint16 port, QString *error = nullptr);
    quint16 serverPort() const { return m_port; }
    QHostAddress serverAddress() const { return m_address; }
    bool isListening() const { return m_port != 0; }
    const Options &options() const { return m_options; }

    // Stops accepting, closes every connection and joins the I/O threads; safe to call twice.
    // Deferred replies still in flight are dropped. The I/O contexts (which tickets point
    // to) live until this returns, so callers stop their producers (the journal writer)
    // before calling it and send nothing afterwards.
    void close();

    const HttpServerCounters &counters() const { return m_counters; }

private:
    Router m_router;
    Options m_options;
    ProtocolErrorObserver m_observer;
    HttpServerCounters m_counters;
    std::vector<std::unique_ptr<IoContext>> m_contexts;
    std::unique_ptr<Acceptor> m_acceptor;
    QHostAddress m_address;
    quint16 m_port = 0;
};

} // namespace Http
