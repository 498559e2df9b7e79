#pragma once

#include <vector>

#include <QHostAddress>
#include <QString>

namespace Http {

class IoContext;
struct HttpServerCounters;

// The listening socket (Linux only: accept4, SOCK_NONBLOCK). Bound and listening from the
// controlling thread in HttpServer::listen(); afterwards it sits in I/O context 0's epoll set
// and acceptReady() runs on that thread. Each accepted socket gets TCP_NODELAY and goes to
// the next context round-robin (see HttpServer for why not SO_REUSEPORT). Over
// maxConnections it is still accepted, but only answered 503 and closed: a client that is
// left in the listen queue learns nothing and retries blindly.
class Acceptor final
{
    Q_DISABLE_COPY_MOVE(Acceptor)

public:
    Acceptor(int maxConnections, HttpServerCounters &counters);
    ~Acceptor(); // closes the listening socket

    bool listen(const QHostAddress &address, quint16 port, QString *error);
    int fd() const { return m_fd; }
    quint16 port() const { return m_port; }
    void setContexts(std::vector<IoContext *> contexts) { m_contexts = std::move(contexts); }

    // On the accepting context's thread, when epoll reports the socket readable.
    void acceptReady(IoContext &self);

private:
    void refuseWithoutDescriptor();

    const int m_maxConnections;
    HttpServerCounters &m_counters;
    int m_fd = -1;
    // A descriptor kept open to be given up when the process runs out of them, so that a
    // waiting connection can still be accepted, answered 503 and closed instead of staying
    // readable forever (which would spin the level-triggered loop).
    int m_spareFd = -1;
    quint16 m_port = 0;
    std::vector<IoContext *> m_contexts;
    std::size_t m_next = 0;
};

} // namespace Http
