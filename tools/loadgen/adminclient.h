#pragma once

#include <sys/socket.h>

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

// Where the server is: resolved once, used by the load connections and the admin client.
struct ServerAddress
{
    sockaddr_storage storage{};
    socklen_t length = 0;
    QByteArray hostHeader; // "127.0.0.1:8080"

    // IPv4 first when the name has both: votedesk binds 127.0.0.1 by default.
    static bool resolve(const QString &host, quint16 port, ServerAddress *out, QString *error);
};

// The loadgen's few calls to the session and admin API: one request per connection,
// blocking with a time limit. These are a handful of calls around a run, not the hot path,
// so plain blocking sockets keep them obvious.
class AdminClient final
{
public:
    struct Response
    {
        int status = 0; // 0: no answer, see error
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers; // names lower-case
        QString error;
        bool adminCall = false; // the target was the admin API
        bool tokenSent = false; // with the admin token

        QByteArray header(QByteArrayView lowerCaseName) const;
        QJsonObject json() const;
        // "404 not_found: ..." or the transport error, for messages. An admin call refused
        // 401 or 403 also says what to do about the token.
        QString describe() const;
    };

    // adminToken: sent as "Authorization: Bearer <token>" with admin API calls only (the
    // public endpoints need none, and a secret goes nowhere it is not needed); empty: none.
    AdminClient(ServerAddress address, int timeoutMs, QByteArray adminToken = {});

    Response get(const QByteArray &target) const;
    Response post(const QByteArray &target, const QByteArray &json) const;

private:
    Response request(const QByteArray &method, const QByteArray &target, const QByteArray &body) const;

    ServerAddress m_address;
    int m_timeoutMs;
    QByteArray m_adminToken;
};
