#pragma once

#include <atomic>
#include <memory>

#include <QHostAddress>
#include <QObject>

#include "http/iocontext.h"
#include "http/requestparser.h"
#include "http/router.h"

class QThread;

namespace Http {

// Counters every I/O thread updates with relaxed atomics; read by metrics at any time.
struct HttpServerCounters
{
    std::atomic<qint64> connectionsAccepted{0};
    std::atomic<qint64> connectionsOpen{0};
    std::atomic<qint64> requests{0};
    std::atomic<qint64> protocolErrors{0};
    std::atomic<qint64> bytesIn{0};
    std::atomic<qint64> bytesOut{0};
};

// The embedded HTTP/1.1 server: a QTcpServer in a dedicated I/O thread (never the GUI
// thread), keep-alive and pipelining, request parsing with libhttp-parser, routing through an
// explicit table. The HTTP layer knows bytes and requests, nothing of votes or storage.
//
// Threads: construct, listen() and close() from one controlling thread. The router is
// copied in at construction and read-only afterwards. Handlers run on the I/O thread.
class HttpServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)

public:
    explicit HttpServer(Router router, ParserLimits limits = {}, QObject *parent = nullptr);
    ~HttpServer() override; // calls close()

    // Called on the I/O thread; set before listen().
    void setProtocolErrorObserver(ProtocolErrorObserver observer);

    // Starts the I/O thread and listens; blocks until the socket is bound or failed.
    // port 0 picks a free port; serverPort() then tells which.
    bool listen(const QHostAddress &address, quint16 port, QString *error = nullptr);
    quint16 serverPort() const { return m_port; }
    QHostAddress serverAddress() const { return m_address; }
    bool isListening() const { return m_port != 0; }

    // Stops accepting, closes every connection and joins the I/O thread. Deferred replies
    // still in flight are dropped; callers stop their producers (the journal writer) first.
    void close();

    const HttpServerCounters &counters() const { return m_counters; }

private:
    Router m_router;
    ParserLimits m_limits;
    ProtocolErrorObserver m_observer;
    HttpServerCounters m_counters;
    QThread *m_thread = nullptr;
    IoContext *m_context = nullptr; // lives in m_thread
    QHostAddress m_address;
    quint16 m_port = 0;
};

} // namespace Http
