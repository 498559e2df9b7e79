#include "adminclient.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <QJsonDocument>

using namespace Qt::Literals::StringLiterals;

namespace {
qint64 nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct ParseState
{
    AdminClient::Response *response = nullptr;
    QByteArray field;
    bool inValue = false;
    bool complete = false;
};

int onHeaderField(http_parser *parser, const char *at, size_t length)
{
    auto *state = static_cast<ParseState *>(parser->data);
    if (state->inValue) {
        state->field.clear();
        state->inValue = false;
    }
    state->field.append(at, qsizetype(length));
    return 0;
}

int onHeaderValue(http_parser *parser, const char *at, size_t length)
{
    auto *state = static_cast<ParseState *>(parser->data);
    if (!state->inValue) {
        state->response->headers.append({state->field.toLower(), QByteArray()});
        state->inValue = true;
    }
    state->response->headers.last().second.append(at, qsizetype(length));
    return 0;
}

int onBody(http_parser *parser, const char *at, size_t length)
{
    static_cast<ParseState *>(parser->data)->response->body.append(at, qsizetype(length));
    return 0;
}

int onComplete(http_parser *parser)
{
    auto *state = static_cast<ParseState *>(parser->data);
    state->complete = true;
    state->response->status = int(parser->status_code);
    return 0;
}

// Waits for the socket to be ready; false when the time is up or poll failed.
bool waitFor(int fd, short events, qint64 deadline)
{
    for (;;) {
        const qint64 left = deadline - nowMs();
        if (left <= 0)
            return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, int(left));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}
} // namespace

bool ServerAddress::resolve(const QString &host, quint16 port, ServerAddress *out, QString *error)
{
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo *found = nullptr;
    const QByteArray name = (host.startsWith(u'[') ? host.mid(1, host.size() - 2) : host).toUtf8();
    const int rc = ::getaddrinfo(name.constData(), QByteArray::number(port).constData(), &hints, &found);
    if (rc != 0) {
        if (error)
            *error = u"cannot resolve %1: %2"_s.arg(host, QString::fromLocal8Bit(gai_strerror(rc)));
        return false;
    }
    const addrinfo *chosen = found;
    for (const addrinfo *ai = found; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            chosen = ai;
            break;
        }
    }
    std::memcpy(&out->storage, chosen->ai_addr, chosen->ai_addrlen);
    out->length = chosen->ai_addrlen;
    const bool v6 = chosen->ai_family == AF_INET6;
    ::freeaddrinfo(found);
    out->hostHeader =
        (v6 && !host.startsWith(u'[') ? u"[%1]"_s.arg(host) : host).toUtf8() + ':' + QByteArray::number(port);
    return true;
}

QByteArray AdminClient::Response::header(QByteArrayView lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value.trimmed();
    }
    return {};
}

QJsonObject AdminClient::Response::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QString AdminClient::Response::describe() const
{
    if (status == 0)
        return error;
    const QJsonObject object = json();
    QString text = object.contains(u"error"_s)
                       ? u"%1 %2: %3"_s.arg(status).arg(object.value(u"error"_s).toString(),
                                                        object.value(u"message"_s).toString())
                       : u"HTTP %1"_s.arg(status);
    if (adminCall && (status == 401 || status == 403)) {
        text += tokenSent
                    ? u" (the admin token sent was refused: is it the server's? check --admin-token-file "
                      u"or VOTEDESK_ADMIN_TOKEN)"_s
                    : u" (the server's admin API needs its admin token from here: "
                      u"--admin-token-file FILE or VOTEDESK_ADMIN_TOKEN)"_s;
    }
    return text;
}

AdminClient::AdminClient(ServerAddress address, int timeoutMs, QByteArray adminToken)
    : m_address(std::move(address))
    , m_timeoutMs(timeoutMs)
    , m_adminToken(std::move(adminToken))
{}

AdminClient::Response AdminClient::get(const QByteArray &target) const
{
    return request("GET", target, {});
}

AdminClient::Response AdminClient::post(const QByteArray &target, const QByteArray &json) const
{
    return request("POST", target, json);
}

AdminClient::Response AdminClient::request(const QByteArray &method, const QByteArray &target,
                                           const QByteArray &body) const
{
    Response response;
    response.adminCall = target.startsWith("/v1/admin/");
    response.tokenSent = response.adminCall && !m_adminToken.isEmpty();
    const qint64 deadline = nowMs() + m_timeoutMs;
    auto failed = [&](const QString &what) {
        response.status = 0;
        // Callers name the request; this says what happened and where.
        response.error = u"%1 (%2)"_s.arg(what, QString::fromLatin1(m_address.hostHeader));
        return response;
    };
    const int fd = ::socket(m_address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failed(QString::fromLocal8Bit(std::strerror(errno)));
    struct Closer
    {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    if (::connect(fd, reinterpret_cast<const sockaddr *>(&m_address.storage), m_address.length) != 0) {
        if (errno != EINPROGRESS)
            return failed(QString::fromLocal8Bit(std::strerror(errno)));
        if (!waitFor(fd, POLLOUT, deadline))
            return failed(u"no connection within %1 ms"_s.arg(m_timeoutMs));
        int soError = 0;
        socklen_t len = sizeof(soError);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len);
        if (soError != 0)
            return failed(QString::fromLocal8Bit(std::strerror(soError)));
    }

    QByteArray wire = method + ' ' + target + " HTTP/1.1\r\nHost: " + m_address.hostHeader +
                      "\r\nConnection: close\r\nAccept: */*\r\n";
    if (response.tokenSent)
        wire += "Authorization: Bearer " + m_adminToken + "\r\n";
    if (method == "POST") {
        wire +=
            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    }
    wire += "\r\n" + body;
    qsizetype sent = 0;
    while (sent < wire.size()) {
        const ssize_t n = ::send(fd, wire.constData() + sent, size_t(wire.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return failed(QString::fromLocal8Bit(std::strerror(errno)));
        if (!waitFor(fd, POLLOUT, deadline))
            return failed(u"could not send the request within %1 ms"_s.arg(m_timeoutMs));
    }

    http_parser_settings settings{};
    settings.on_header_field = onHeaderField;
    settings.on_header_value = onHeaderValue;
    settings.on_body = onBody;
    settings.on_message_complete = onComplete;
    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    ParseState state;
    state.response = &response;
    parser.data = &state;
    char buffer[65536];
    while (!state.complete) {
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                if (!waitFor(fd, POLLIN, deadline))
                    return failed(u"no answer within %1 ms"_s.arg(m_timeoutMs));
                continue;
            }
            return failed(QString::fromLocal8Bit(std::strerror(errno)));
        }
        // n == 0 tells a body that ends with the connection that it has ended.
        const size_t parsed = http_parser_execute(&parser, &settings, buffer, size_t(n));
        if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || parsed != size_t(n)) {
            if (state.complete)
                break;
            return failed(u"unreadable answer: %1"_s.arg(
                QString::fromLatin1(http_errno_description(http_errno(HTTP_PARSER_ERRNO(&parser))))));
        }
        if (n == 0 && !state.complete)
            return failed(u"the server closed the connection without a complete answer"_s);
    }
    return response;
}
