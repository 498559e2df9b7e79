#pragma once

#include <functional>

#include <QHash>
#include <QHostAddress>
#include <QObject>

#include "http/replyticket.h"
#include "http/requestparser.h"

class QTcpServer;

namespace Http {

class HttpConnection;
class Router;
struct HttpServerCounters;

// Observer for requests the server answers itself (framing errors, limits). Called on the
// I/O thread with the status and error code sent, before the connection closes.
using ProtocolErrorObserver = std::function<void(int status, const QByteArray &code)>;

// Everything one I/O thread owns: its listening socket (one thread for now; more come with
// the multi-core issue), its connections, and the id -> connection map used to route
// deferred replies. Lives in, and is only touched from, its I/O thread; other threads reach
// it only through queued invocations (sendReplies(), HttpServer's blocking start/stop calls).
class IoContext final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IoContext)

public:
    IoContext(const Router &router, ParserLimits limits, HttpServerCounters &counters,
              ProtocolErrorObserver observer, QObject *parent = nullptr);
    ~IoContext() override;

    // I/O thread only.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 serverPort() const;
    void closeAll();
    void deliver(std::vector<PendingReply> &&replies);

    // Used by HttpConnection (same thread).
    const Router &router() const { return m_router; }
    const ParserLimits &limits() const { return m_limits; }
    HttpServerCounters &counters() { return m_counters; }
    void reportProtocolError(int status, const QByteArray &code);
    void connectionClosed(quint64 connectionId);

private:
    void acceptPending();

    const Router &m_router;
    const ParserLimits m_limits;
    HttpServerCounters &m_counters;
    ProtocolErrorObserver m_observer;
    QTcpServer *m_listener = nullptr;
    quint64 m_nextConnectionId = 1;
    QHash<quint64, HttpConnection *> m_connections;
};

} // namespace Http
