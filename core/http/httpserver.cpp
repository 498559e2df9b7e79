#include "http/httpserver.h"

#include <QMetaObject>
#include <QThread>

namespace Http {

HttpServer::HttpServer(Router router, ParserLimits limits, QObject *parent)
    : QObject(parent)
    , m_router(std::move(router))
    , m_limits(limits)
{}

HttpServer::~HttpServer()
{
    close();
}

void HttpServer::setProtocolErrorObserver(ProtocolErrorObserver observer)
{
    Q_ASSERT_X(!m_thread, "HttpServer::setProtocolErrorObserver", "must be set before listen()");
    m_observer = std::move(observer);
}

bool HttpServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    if (m_thread) {
        if (error)
            *error = QStringLiteral("the server is already listening");
        return false;
    }

    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("votedesk-io"));
    // Parentless so that it can move; deleted in its own thread when the thread finishes
    // (QThread processes deferred deletions at that point), after close() has emptied it.
    m_context = new IoContext(m_router, m_limits, m_counters, m_observer);
    m_context->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();

    // Crossing: controlling thread -> I/O thread, blocking, so that the caller knows the
    // outcome (and the port) when listen() returns. Captured locals outlive the call.
    bool ok = false;
    quint16 boundPort = 0;
    QString bindError;
    IoContext *context = m_context;
    QMetaObject::invokeMethod(
        m_context,
        [&, context] {
            ok = context->listen(address, port, &bindError);
            boundPort = ok ? context->serverPort() : 0;
        },
        Qt::BlockingQueuedConnection);

    if (!ok) {
        close();
        if (error)
            *error = bindError;
        return false;
    }
    m_address = address;
    m_port = boundPort;
    return true;
}

void HttpServer::close()
{
    if (!m_thread)
        return;
    if (m_context) {
        // Crossing: controlling thread -> I/O thread, blocking: when this returns no socket is
        // open any more and no handler runs. Replies still queued for the context are
        // discarded with it.
        IoContext *context = m_context;
        QMetaObject::invokeMethod(
            m_context, [context] { context->closeAll(); }, Qt::BlockingQueuedConnection);
        m_context = nullptr; // deleted by the finished() -> deleteLater() connection
    }
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_port = 0;
    m_address = QHostAddress();
}

} // namespace Http
