#include "http/httpserver.h"

#include "http/acceptor.h"

namespace Http {

HttpServer::HttpServer(Router router, Options options, QObject *parent)
    : QObject(parent)
    , m_router(std::move(router))
    , m_options(options)
{
    m_options.ioThreads = std::max(1, m_options.ioThreads);
    m_options.maxConnections = std::max(1, m_options.maxConnections);
}

HttpServer::~HttpServer()
{
    close();
}

void HttpServer::setProtocolErrorObserver(ProtocolErrorObserver observer)
{
    Q_ASSERT_X(m_contexts.empty(), "HttpServer::setProtocolErrorObserver", "must be set before listen()");
    m_observer = std::move(observer);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_contexts.empty()) {
        if (error)
            *error = QStringLiteral("the server is already listening");
        return false;
    }

    auto acceptor = std::make_unique<Acceptor>(m_options.maxConnections, m_counters);
    if (!acceptor->listen(address, port, error))
        return false;

    std::vector<std::unique_ptr<IoContext>> contexts;
    std::vector<IoContext *> targets;
    for (int i = 0; i < m_options.ioThreads; ++i) {
        auto context = std::make_unique<IoContext>(i, m_router, m_options, m_counters, m_observer);
        QString contextError;
        if (!context->open(&contextError)) {
            if (error)
                *error = QStringLiteral("cannot start I/O thread: %1").arg(contextError);
            return false; // nothing runs yet; the contexts and the acceptor close with their owners
        }
        targets.push_back(context.get());
        contexts.push_back(std::move(context));
    }
    acceptor->setContexts(std::move(targets));
    contexts.front()->setAcceptor(acceptor.get(), acceptor->fd());

    m_acceptor = std::move(acceptor);
    m_contexts = std::move(contexts);
    for (const auto &context : m_contexts)
        context->start();
    m_address = address;
    m_port = m_acceptor->port();
    return true;
}

void HttpServer::close()
{
    if (m_contexts.empty())
        return;
    // Context 0 first: it accepts, so once it has stopped no socket is handed to the others.
    // Each loop closes its own connections before its thread ends.
    for (const auto &context : m_contexts)
        context->stop();
    // Only now, with no thread left in epoll_wait on it, the listening socket closes.
    m_acceptor.reset();
    // Sockets and replies that reached an inbox after its loop ended are dropped here.
    m_contexts.clear();
    m_port = 0;
    m_address = QHostAddress();
}

} // namespace Http
