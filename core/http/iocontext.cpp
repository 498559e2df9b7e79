#include "http/iocontext.h"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <QHostAddress>

#include "http/acceptor.h"
#include "http/httpconnection.h"
#include "http/httpserver.h"

namespace Http {

namespace {

constexpr int MaxEventsPerWait = 256;
constexpr qint64 MaxSweepIntervalMs = 250;
constexpr qint64 MinSweepIntervalMs = 10;

qint64 clockMs(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; handlers (loopback checks for
// the admin API, logs, rate limits) should see the plain IPv4 address.
QHostAddress peerAddressOf(const sockaddr_storage &peer, quint16 *port)
{
    QHostAddress address(reinterpret_cast<const sockaddr *>(&peer));
    *port = ntohs(peer.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6 *>(&peer)->sin6_port
                                             : reinterpret_cast<const sockaddr_in *>(&peer)->sin_port);
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4 && address.protocol() == QAbstractSocket::IPv6Protocol)
        address = QHostAddress(v4);
    return address;
}

} // namespace

IoContext::IoContext(int index, const Router &router, const HttpServerOptions &options,
                     HttpServerCounters &counters, const ProtocolErrorObserver &observer)
    : m_index(index)
    , m_router(router)
    , m_options(options)
    , m_counters(counters)
    , m_observer(observer)
{
    // Coarse is enough: a timeout fires within a quarter of its length (and at most 250 ms)
    // after it expires. Tests use small timeouts, so they get a finer sweep.
    qint64 shortest = MaxSweepIntervalMs * 4;
    if (options.headerTimeoutMs > 0)
        shortest = std::min<qint64>(shortest, options.headerTimeoutMs);
    if (options.idleTimeoutMs > 0)
        shortest = std::min<qint64>(shortest, options.idleTimeoutMs);
    m_sweepIntervalMs = std::clamp(shortest / 4, MinSweepIntervalMs, MaxSweepIntervalMs);
}

IoContext::~IoContext()
{
    Q_ASSERT(!m_thread.joinable());
    // Replies and sockets that arrived after the loop ended.
    discardSockets(m_inbox.sockets);
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epollFd >= 0)
        ::close(m_epollFd);
}

const ParserLimits &IoContext::limits() const
{
    return m_options.limits;
}

bool IoContext::open(QString *error)
{
    m_epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epollFd < 0) {
        if (error)
            *error = QStringLiteral("epoll_create1: %1").arg(qt_error_string(errno));
        return false;
    }
    m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakeFd < 0) {
        if (error)
            *error = QStringLiteral("eventfd: %1").arg(qt_error_string(errno));
        return false;
    }
    // Edge-triggered and never read: every write() to an eventfd wakes its waiters, so each
    // wake() is reported once even though the counter only grows (it would take 2^64 writes
    // to fill it). That saves the read() per wake-up.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLET;
    event.data.ptr = &m_wakeFd;
    if (::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeFd, &event) != 0) {
        if (error)
            *error = QStringLiteral("epoll_ctl: %1").arg(qt_error_string(errno));
        return false;
    }
    return true;
}

void IoContext::setAcceptor(Acceptor *acceptor, int listenFd)
{
    // Level-triggered: accepting stops after a batch (MaxAcceptsPerWake) and the rest of the
    // queue is reported again on the next epoll_wait.
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = acceptor;
    if (::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, listenFd, &event) != 0)
        qWarning("Http::IoContext: cannot watch the listening socket: %s",
                 qUtf8Printable(qt_error_string(errno)));
    m_acceptor = acceptor;
}

void IoContext::start()
{
    m_thread = std::thread([this] { run(); });
}

void IoContext::stop()
{
    if (!m_thread.joinable())
        return;
    m_stopRequested.store(true, std::memory_order_release);
    wake();
    m_thread.join();
}

void IoContext::postReplies(std::vector<PendingReply> &&replies)
{
    if (replies.empty())
        return;
    bool wasEmpty = false;
    {
        const std::lock_guard lock(m_inboxMutex);
        wasEmpty = m_inbox.isEmpty();
        if (m_inbox.replies.empty()) {
            m_inbox.replies.swap(replies); // the common case: the whole batch, without copying
        } else {
            m_inbox.replies.insert(m_inbox.replies.end(), std::make_move_iterator(replies.begin()),
                                   std::make_move_iterator(replies.end()));
        }
    }
    if (wasEmpty)
        wake();
}

void IoContext::postSocket(const AcceptedSocket &socket)
{
    bool wasEmpty = false;
    {
        const std::lock_guard lock(m_inboxMutex);
        wasEmpty = m_inbox.isEmpty();
        m_inbox.sockets.push_back(socket);
    }
    if (wasEmpty)
        wake();
}

void IoContext::wake()
{
    const quint64 one = 1;
    while (::write(m_wakeFd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void IoContext::run()
{
    const QByteArray name = "votedesk-io" + QByteArray::number(m_index);
    pthread_setname_np(pthread_self(), name.constData());

    std::array<epoll_event, MaxEventsPerWait> events;
    updateClock();
    m_nextSweepMs = m_nowMs + m_sweepIntervalMs;

    while (!m_stopRequested.load(std::memory_order_acquire)) {
        // Without connections there is nothing to time out: sleep until something arrives.
        const int timeout = m_liveConnections == 0
                                ? -1
                                : int(std::clamp<qint64>(m_nextSweepMs - m_nowMs, 0, m_sweepIntervalMs));
        const int count = ::epoll_wait(m_epollFd, events.data(), MaxEventsPerWait, timeout);
        if (count < 0 && errno != EINTR) {
            qWarning("Http::IoContext: epoll_wait failed: %s", qUtf8Printable(qt_error_string(errno)));
            break;
        }
        updateClock();

        bool woken = false;
        for (int i = 0; i < count; ++i) {
            void *const tag = events[std::size_t(i)].data.ptr;
            if (tag == &m_wakeFd)
                woken = true;
            else if (tag == m_acceptor)
                m_acceptor->acceptReady(*this);
            else
                static_cast<HttpConnection *>(tag)->handleEvents(events[std::size_t(i)].events);
            // Answers go out right after their read (still one send for all the requests of
            // that read), as nginx does, not after the whole batch: otherwise the first
            // answer of a 256-event batch waits for 255 other connections to be parsed, and
            // the clients sit idle meanwhile.
            flushScheduled();
        }
        if (m_options.afterRound)
            m_options.afterRound();
        // Replies from other threads: all of a batch first, so that a connection with several
        // in it gets them in one send.
        if (woken)
            drainInbox();
        flushScheduled();
        if (m_nowMs >= m_nextSweepMs) {
            sweep();
            flushScheduled();
            m_nextSweepMs = m_nowMs + m_sweepIntervalMs;
        }
        m_graveyard.clear();
    }
    closeAll();
}

void IoContext::updateClock()
{
    m_nowMs = clockMs(CLOCK_MONOTONIC);
    m_wallClockMs = clockMs(CLOCK_REALTIME);
}

void IoContext::drainInbox()
{
    {
        const std::lock_guard lock(m_inboxMutex);
        m_inbox.replies.swap(m_draining.replies);
        m_inbox.sockets.swap(m_draining.sockets);
    }
    for (const AcceptedSocket &socket : m_draining.sockets)
        adopt(socket);
    m_draining.sockets.clear();

    for (PendingReply &reply : m_draining.replies) {
        Q_ASSERT(reply.first.context == this);
        // The client may have gone while the answer was being produced: then it is dropped.
        if (HttpConnection *connection = find(reply.first.connectionId))
            connection->complete(reply.first.sequence, std::move(reply.second));
    }
    m_draining.replies.clear(); // keeps the capacity for the next swap
}

void IoContext::adopt(const AcceptedSocket &socket)
{
    quint32 slot = 0;
    if (!m_freeSlots.empty()) {
        slot = m_freeSlots.back();
        m_freeSlots.pop_back();
    } else {
        slot = quint32(m_connections.size());
        m_connections.emplace_back();
    }
    if (++m_serial == 0)
        ++m_serial; // a connection id is never 0
    const quint64 id = (quint64(m_serial) << 32) | slot;

    quint16 peerPort = 0;
    const QHostAddress peerAddress = peerAddressOf(socket.peer, &peerPort);
    auto connection =
        std::make_unique<HttpConnection>(*this, id, socket.fd, peerAddress, peerPort, socket.refused);

    // Edge-triggered with both directions at once: no epoll_ctl() per request to switch
    // interest, and the connection reads until a short read (see readAndProcess()).
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = connection.get();
    if (::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, socket.fd, &event) != 0) {
        qWarning("Http::IoContext: cannot watch a connection: %s", qUtf8Printable(qt_error_string(errno)));
        m_freeSlots.push_back(slot);
        if (!socket.refused)
            m_counters.connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
        return; // the connection's destructor closes the socket
    }
    HttpConnection *raw = connection.get();
    m_connections[slot] = std::move(connection);
    ++m_liveConnections;
    raw->start();
}

void IoContext::release(HttpConnection *connection)
{
    const quint32 slot = quint32(connection->id());
    Q_ASSERT(slot < m_connections.size() && m_connections[slot].get() == connection);
    m_graveyard.push_back(std::move(m_connections[slot]));
    m_freeSlots.push_back(slot);
    --m_liveConnections;
    if (!connection->isRefused())
        m_counters.connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
}

HttpConnection *IoContext::find(quint64 connectionId) const
{
    const quint32 slot = quint32(connectionId);
    if (slot >= m_connections.size())
        return nullptr;
    HttpConnection *connection = m_connections[slot].get();
    return connection && connection->id() == connectionId ? connection : nullptr;
}

void IoContext::scheduleFlush(HttpConnection *connection)
{
    m_flushQueue.push_back(connection);
}

void IoContext::flushScheduled()
{
    // Flushing may schedule more (a resumed connection parses and answers again), so the
    // queue is swapped out until it stays empty. Connections closed on the way are still
    // alive (graveyard) and ignore the call.
    while (!m_flushQueue.empty()) {
        m_flushing.swap(m_flushQueue);
        for (HttpConnection *connection : m_flushing)
            connection->flush();
        m_flushing.clear();
    }
}

void IoContext::sweep()
{
    for (std::size_t i = 0; i < m_connections.size(); ++i) {
        if (HttpConnection *connection = m_connections[i].get())
            connection->sweep(m_nowMs);
    }
}

void IoContext::closeAll()
{
    for (std::size_t i = 0; i < m_connections.size(); ++i) {
        if (HttpConnection *connection = m_connections[i].get())
            connection->abort();
    }
    m_graveyard.clear();
    m_flushQueue.clear();
    const std::lock_guard lock(m_inboxMutex);
    discardSockets(m_inbox.sockets);
    m_inbox.replies.clear();
}

void IoContext::discardSockets(std::vector<AcceptedSocket> &sockets)
{
    for (const AcceptedSocket &socket : sockets) {
        ::close(socket.fd);
        if (!socket.refused)
            m_counters.connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
    }
    sockets.clear();
}

void IoContext::reportProtocolError(int status, const QByteArray &code)
{
    m_counters.protocolErrors.fetch_add(1, std::memory_order_relaxed);
    if (m_observer)
        m_observer(status, code);
}

} // namespace Http
