#include "http/acceptor.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QAbstractSocket>

#include "http/httpresponse.h"
#include "http/httpserver.h"
#include "http/iocontext.h"

namespace Http {

namespace {

// Per readiness report; the listening socket is level-triggered, so more waiting
// connections are reported again after the ready clients of this iteration had their turn.
constexpr int MaxAcceptsPerWake = 64;
// The kernel caps it at net.core.somaxconn. A burst of audience connections (a QR code on
// screen) should wait in the queue, not be refused.
constexpr int ListenBacklog = 4096;

QString describe(const QHostAddress &address, quint16 port)
{
    return address.protocol() == QAbstractSocket::IPv6Protocol
               ? QStringLiteral("[%1]:%2").arg(address.toString()).arg(port)
               : QStringLiteral("%1:%2").arg(address.toString()).arg(port);
}

} // namespace

Acceptor::Acceptor(int maxConnections, HttpServerCounters &counters)
    : m_maxConnections(maxConnections)
    , m_counters(counters)
{}

Acceptor::~Acceptor()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_spareFd >= 0)
        ::close(m_spareFd);
}

bool Acceptor::listen(const QHostAddress &address, quint16 port, QString *error)
{
    const auto fail = [&](const QString &what, int code) {
        if (error)
            *error = QStringLiteral("cannot listen on %1: %2: %3")
                         .arg(describe(address, port), what, qt_error_string(code));
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        return false;
    };

    sockaddr_storage storage{};
    socklen_t length = 0;
    bool dualStack = false;
    switch (address.protocol()) {
    case QAbstractSocket::IPv4Protocol: {
        auto *in = reinterpret_cast<sockaddr_in *>(&storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(sockaddr_in);
        break;
    }
    case QAbstractSocket::AnyIPProtocol: // QHostAddress::Any: IPv6 and IPv4, as QTcpServer does
        dualStack = true;
        [[fallthrough]];
    case QAbstractSocket::IPv6Protocol: {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        if (!dualStack) {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, &bytes, sizeof bytes);
            const QString scope = address.scopeId();
            if (!scope.isEmpty()) {
                bool numeric = false;
                in6->sin6_scope_id = scope.toUInt(&numeric);
                if (!numeric)
                    in6->sin6_scope_id = if_nametoindex(scope.toLocal8Bit().constData());
            }
        } else {
            in6->sin6_addr = in6addr_any;
        }
        length = sizeof(sockaddr_in6);
        break;
    }
    default:
        if (error)
            *error = QStringLiteral("cannot listen on \"%1\": not an IP address").arg(address.toString());
        return false;
    }

    m_fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0 && dualStack && errno == EAFNOSUPPORT) {
        // A kernel without IPv6: "any" is then IPv4's any.
        auto *in = reinterpret_cast<sockaddr_in *>(&storage);
        storage = {};
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(INADDR_ANY);
        length = sizeof(sockaddr_in);
        dualStack = false;
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (m_fd < 0)
        return fail(QStringLiteral("socket"), errno);

    // Lets a restarted server bind while connections of the previous one are in TIME_WAIT
    // (QTcpServer does the same). Deliberately not SO_REUSEPORT: see HttpServer.
    const int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (storage.ss_family == AF_INET6) {
        const int v6Only = dualStack ? 0 : 1;
        ::setsockopt(m_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, sizeof v6Only);
    }
    if (::bind(m_fd, reinterpret_cast<const sockaddr *>(&storage), length) != 0)
        return fail(QStringLiteral("bind"), errno);
    if (::listen(m_fd, ListenBacklog) != 0)
        return fail(QStringLiteral("listen"), errno);

    sockaddr_storage bound{};
    socklen_t boundLength = sizeof bound;
    if (::getsockname(m_fd, reinterpret_cast<sockaddr *>(&bound), &boundLength) != 0)
        return fail(QStringLiteral("getsockname"), errno);
    m_port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6 *>(&bound)->sin6_port
                                               : reinterpret_cast<const sockaddr_in *>(&bound)->sin_port);
    m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return true;
}

void Acceptor::acceptReady(IoContext &self)
{
    for (int i = 0; i < MaxAcceptsPerWake; ++i) {
        AcceptedSocket socket;
        socklen_t peerLength = sizeof socket.peer;
        socket.fd = ::accept4(m_fd, reinterpret_cast<sockaddr *>(&socket.peer), &peerLength,
                              SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (socket.fd < 0) {
            switch (errno) {
            case EAGAIN:
                return;
            case EINTR:
            case ECONNABORTED:
            // accept(2): network errors of the new connection are reported here; retry.
            case EPROTO:
            case ENETDOWN:
            case ENOPROTOOPT:
            case EHOSTDOWN:
            case ENONET:
            case EHOSTUNREACH:
            case EOPNOTSUPP:
            case ENETUNREACH:
                continue;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                refuseWithoutDescriptor();
                return;
            default:
                qWarning("Http::Acceptor: accept failed: %s", qUtf8Printable(qt_error_string(errno)));
                return;
            }
        }

        // Without it, Nagle plus the client's delayed ACK stall small pipelined answers by up
        // to 40 ms (DESIGN.md §6).
        const int one = 1;
        ::setsockopt(socket.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

        // Only this thread adds to connectionsOpen (the others only subtract when they close),
        // so checking and then adding cannot let more in than the limit.
        if (m_counters.connectionsOpen.load(std::memory_order_relaxed) >= m_maxConnections) {
            socket.refused = true;
            m_counters.connectionsRefused.fetch_add(1, std::memory_order_relaxed);
            self.adopt(socket); // answered here; no need to wake another thread for it
            continue;
        }
        m_counters.connectionsOpen.fetch_add(1, std::memory_order_relaxed);
        m_counters.connectionsAccepted.fetch_add(1, std::memory_order_relaxed);

        IoContext *target = m_contexts[m_next];
        m_next = (m_next + 1) % m_contexts.size();
        if (target == &self)
            self.adopt(socket);
        else
            target->postSocket(socket);
    }
}

void Acceptor::refuseWithoutDescriptor()
{
    // Out of descriptors: give up the spare one, take the waiting connection, tell it to come
    // back, and close it at once (there is no descriptor to linger with). Best effort.
    if (m_spareFd >= 0) {
        ::close(m_spareFd);
        m_spareFd = -1;
    }
    const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        QByteArray answer;
        HttpResponse::jsonError(503, QByteArrayLiteral("overloaded"),
                                QStringLiteral("the server is out of connections; retry shortly"))
            .addHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"))
            .serialize(answer, 1, false);
        [[maybe_unused]] const ssize_t sent =
            ::send(fd, answer.constData(), std::size_t(answer.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::close(fd);
        m_counters.connectionsRefused.fetch_add(1, std::memory_order_relaxed);
    }
    m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

} // namespace Http
