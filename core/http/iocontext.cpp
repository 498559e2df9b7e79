#include "http/iocontext.h"

#include <utility>

#include <QTcpServer>
#include <QTcpSocket>

#include "http/httpconnection.h"
#include "http/httpserver.h"

namespace Http {

IoContext::IoContext(const Router &router, ParserLimits limits, HttpServerCounters &counters,
                     ProtocolErrorObserver observer, QObject *parent)
    : QObject(parent)
    , m_router(router)
    , m_limits(limits)
    , m_counters(counters)
    , m_observer(std::move(observer))
{}

IoContext::~IoContext()
{
    closeAll();
}

bool IoContext::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_listener) {
        m_listener = new QTcpServer(this);
        connect(m_listener, &QTcpServer::newConnection, this, &IoContext::acceptPending);
    }
    if (m_listener->isListening()) {
        if (error)
            *error = QStringLiteral("already listening");
        return false;
    }
    if (!m_listener->listen(address, port)) {
        if (error)
            *error = m_listener->errorString();
        return false;
    }
    return true;
}

quint16 IoContext::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

void IoContext::closeAll()
{
    if (m_listener)
        m_listener->close();
    // Swapped out first: closing a connection must not find itself in the map it is being
    // removed from.
    const QHash<quint64, HttpConnection *> connections = std::exchange(m_connections, {});
    for (HttpConnection *connection : connections) {
        connection->close();
        delete connection;
        m_counters.connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
    }
}

void IoContext::deliver(std::vector<PendingReply> &&replies)
{
    for (PendingReply &reply : replies) {
        Q_ASSERT(reply.first.context == this);
        // Looked up per reply: completing one may close its connection (it removes itself
        // from the map through connectionClosed(), the object itself goes via deleteLater()).
        HttpConnection *connection = m_connections.value(reply.first.connectionId);
        if (!connection)
            continue; // the client went away while the answer was being produced
        connection->complete(reply.first.sequence, std::move(reply.second));
    }
}

void IoContext::reportProtocolError(int status, const QByteArray &code)
{
    m_counters.protocolErrors.fetch_add(1, std::memory_order_relaxed);
    if (m_observer)
        m_observer(status, code);
}

void IoContext::connectionClosed(quint64 connectionId)
{
    if (m_connections.remove(connectionId))
        m_counters.connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
}

void IoContext::acceptPending()
{
    while (QTcpSocket *socket = m_listener->nextPendingConnection()) {
        // Without it, Nagle plus the client's delayed ACK stall small pipelined answers by
        // up to 40 ms (DESIGN.md §6).
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const quint64 id = m_nextConnectionId++;
        auto *connection = new HttpConnection(*this, id, socket, this);
        m_connections.insert(id, connection);
        m_counters.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);
        m_counters.connectionsOpen.fetch_add(1, std::memory_order_relaxed);
    }
}

} // namespace Http
