#include "engine/tlsterminator.h"

#include <QFile>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpSocket>

#include "http/requestparser.h"

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcTls, "votedesk.tls")

namespace {

// Headers the relay sets itself (or that frame the body it re-sends): a client's own are dropped.
bool isRelayOwned(QByteArrayView name)
{
    for (const char *owned : {"x-forwarded-for", "x-forwarded-proto", "x-votedesk-relay", "x-votedesk-canary",
                              "content-length", "transfer-encoding", "expect"}) {
        if (Http::equalsIgnoringCase(name, owned))
            return true;
    }
    return false;
}

// One client: its TLS socket, its loopback connection to the server, and what is in between.
// Owned by the TLS socket (a child), so it goes when the client does.
class Relay final : public QObject
{
public:
    Relay(QSslSocket *client, quint16 backendPort, const QByteArray &relaySecret)
        : QObject(client)
        , m_client(client)
        , m_backend(new QTcpSocket(this))
        , m_relaySecret(relaySecret)
    {
        m_forwardedFor = client->peerAddress().toString().toLatin1();
        if (m_forwardedFor.startsWith("::ffff:"))
            m_forwardedFor.remove(0, 7); // an IPv4 client on a dual-stack socket
        connect(client, &QSslSocket::readyRead, this, &Relay::fromClient);
        connect(client, &QSslSocket::disconnected, this, [this] {
            m_backend->disconnectFromHost();
            m_client->deleteLater();
        });
        connect(m_backend, &QTcpSocket::connected, this, [this] {
            m_backendUp = true;
            m_backend->write(m_pending);
            m_pending.clear();
        });
        connect(m_backend, &QTcpSocket::readyRead, this, [this] { m_client->write(m_backend->readAll()); });
        connect(m_backend, &QTcpSocket::disconnected, this, [this] {
            m_client->write(m_backend->readAll());
            m_client->disconnectFromHost(); // after what is written has gone out
        });
        connect(m_backend, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
            if (error != QAbstractSocket::RemoteHostClosedError) {
                qCWarning(lcTls) << "cannot reach the server:" << m_backend->errorString();
                m_client->disconnectFromHost();
            }
        });
        m_backend->connectToHost(QHostAddress(QHostAddress::LocalHost), backendPort);
        fromClient(); // bytes that came with the handshake
    }

private:
    void toBackend(const QByteArray &bytes)
    {
        if (m_backendUp)
            m_backend->write(bytes);
        else
            m_pending += bytes;
    }

    void fromClient()
    {
        m_buffer += m_client->readAll();
        if (m_passThrough) {
            toBackend(m_buffer);
            m_buffer.clear();
            return;
        }
        while (!m_buffer.isEmpty()) {
            const Http::RequestParser::Result result = Http::RequestParser::parse(QByteArrayView(m_buffer));
            if (result.status == Http::RequestParser::Status::Incomplete) {
                if (result.expectContinue && !m_continueSent) {
                    m_client->write("HTTP/1.1 100 Continue\r\n\r\n");
                    m_continueSent = true;
                }
                return;
            }
            if (result.status == Http::RequestParser::Status::Error) {
                // The server sees the same bytes, gives the same answer (counted) and closes.
                m_passThrough = true;
                toBackend(m_buffer);
                m_buffer.clear();
                return;
            }
            toBackend(rewrite(result.request));
            m_buffer.remove(0, result.frameSize);
            m_continueSent = false;
        }
    }

    QByteArray rewrite(const Http::HttpRequest &request) const
    {
        QByteArray out;
        out.reserve(256 + request.body.size());
        out.append(request.methodText).append(' ').append(request.target).append(" HTTP/1.");
        out.append(char('0' + request.versionMinor)).append("\r\n");
        for (const Http::HttpHeader &header : request.headers) {
            if (isRelayOwned(header.name))
                continue;
            out.append(header.name).append(": ").append(header.value).append("\r\n");
        }
        out.append("X-Forwarded-For: ").append(m_forwardedFor).append("\r\n");
        out.append("X-Forwarded-Proto: https\r\n");
        out.append("X-Votedesk-Relay: ").append(m_relaySecret).append("\r\n");
        if (!request.body.isEmpty() || request.method == Http::Method::Post ||
            request.method == Http::Method::Put)
            out.append("Content-Length: ").append(QByteArray::number(request.body.size())).append("\r\n");
        out.append("\r\n").append(request.body);
        return out;
    }

    QSslSocket *m_client;
    QTcpSocket *m_backend;
    const QByteArray m_relaySecret;
    QByteArray m_forwardedFor;
    QByteArray m_buffer;  // from the client, not yet a whole request
    QByteArray m_pending; // for the server, before its connection is up
    bool m_backendUp = false;
    bool m_continueSent = false;
    bool m_passThrough = false;
};

} // namespace

bool TlsTerminator::loadConfiguration(const QString &certificatePath, const QString &keyPath,
                                      QSslConfiguration *configuration, QString *error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = u"TLS is not available (no TLS backend for Qt Network)"_s;
        return false;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certificatePath, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = u"no PEM certificate in %1"_s.arg(certificatePath);
        return false;
    }
    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error = u"cannot read the TLS key %1: %2"_s.arg(keyPath, keyFile.errorString());
        return false;
    }
    const QByteArray pem = keyFile.readAll();
    QSslKey key(pem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec, QSsl::Pem);
    if (key.isNull()) {
        *error = u"%1 holds no unencrypted PEM RSA or EC private key"_s.arg(keyPath);
        return false;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // clients are phones, not certificate holders
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    *configuration = tls;
    return true;
}

TlsTerminator::TlsTerminator(QSslConfiguration configuration, quint16 backendPort, QByteArray relaySecret)
    : m_configuration(std::move(configuration))
    , m_backendPort(backendPort)
    , m_relaySecret(std::move(relaySecret))
{
    m_thread.setObjectName(u"votedesk-tls"_s);
}

TlsTerminator::~TlsTerminator()
{
    close();
}

bool TlsTerminator::listen(const QHostAddress &address, quint16 port, QString *error)
{
    m_context = std::make_unique<QObject>();
    m_context->moveToThread(&m_thread);
    m_thread.start();
    bool ok = false;
    QString problem;
    // Crossing: the server is created, configured and listening on the TLS thread; this thread
    // waits for it (BlockingQueuedConnection), then only reads m_port.
    QMetaObject::invokeMethod(
        m_context.get(),
        [&] {
            m_server = new QSslServer();
            m_server->setSslConfiguration(m_configuration);
            m_server->setHandshakeTimeout(10'000);
            QObject::connect(m_server, &QSslServer::pendingConnectionAvailable, m_server,
                             [this] { onPendingConnection(); });
            QObject::connect(m_server, &QSslServer::errorOccurred, m_server,
                             [](QSslSocket *, QAbstractSocket::SocketError) {}); // the socket closes itself
            ok = m_server->listen(address, port);
            if (!ok) {
                problem = m_server->errorString();
                delete m_server;
                m_server = nullptr;
                return;
            }
            m_port = m_server->serverPort();
        },
        Qt::BlockingQueuedConnection);
    if (!ok) {
        close();
        if (error)
            *error = problem;
    }
    return ok;
}

void TlsTerminator::onPendingConnection()
{
    while (m_server->hasPendingConnections()) {
        auto *socket = qobject_cast<QSslSocket *>(m_server->nextPendingConnection());
        if (!socket)
            continue;
        socket->setParent(m_server); // closed with the server
        new Relay(socket, m_backendPort, m_relaySecret);
    }
}

void TlsTerminator::close()
{
    if (!m_thread.isRunning())
        return;
    QMetaObject::invokeMethod(
        m_context.get(),
        [this] {
            delete m_server; // its children: every client socket and its relay
            m_server = nullptr;
        },
        Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_context.reset(); // its thread has finished: nothing can run on it any more
    m_port = 0;
}
