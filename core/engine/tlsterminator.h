#pragma once

#include <memory>

#include <QByteArray>
#include <QHostAddress>
#include <QSslConfiguration>
#include <QThread>

class QSslServer;

// Where and with what the optional HTTPS listener runs.
struct TlsOptions
{
    bool enabled = false;
    QHostAddress bindAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8443;     // 0 = any free port
    QString certificatePath; // PEM, the server's certificate first, then its chain
    QString keyPath;         // PEM private key (RSA or EC), unencrypted
};

// The optional HTTPS listener: a TLS terminator in front of the plain epoll server.
//
// Why not TLS inside the epoll server: its I/O loop reads and writes raw sockets with no Qt
// event loop, and QSslSocket needs one; doing TLS natively would mean driving OpenSSL by hand
// in the hot path, for a listener most shows do not use (a studio LAN, or a proxy that already
// terminates TLS). So, as a reverse proxy on the same machine would: QSslServer (Qt 6.4)
// accepts and handshakes on its own thread with its own event loop, and each client gets one
// plain loopback connection to the epoll server. Requests are parsed (the same RequestParser,
// same limits) and re-sent with the client's address in X-Forwarded-For, "X-Forwarded-Proto:
// https" and a per-process secret in X-Votedesk-Relay; whatever the client sent in those
// headers (and X-Votedesk-Canary) is dropped. The secret is how the server tells this relay
// from any other local process (ClientAddressResolver): loopback is trusted as a proxy for
// the relay only. Answers are relayed byte for byte, in order (one backend connection per
// client, HTTP/1.1 answers come in request order). A request the parser refuses is passed on
// as it came, so the server answers it with its own status, code and counter, and closes.
//
// Cost: two extra loopback hops and a parse per request on the TLS thread; the plain listener
// is untouched. Threads: the terminator object and its sockets live on its own QThread; the
// controlling thread calls listen() and close() only.
class TlsTerminator final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TlsTerminator)

public:
    // Reads the PEM certificate chain and key; false with a message naming the problem.
    static bool loadConfiguration(const QString &certificatePath, const QString &keyPath,
                                  QSslConfiguration *configuration, QString *error);

    TlsTerminator(QSslConfiguration configuration, quint16 backendPort, QByteArray relaySecret);
    ~TlsTerminator() override; // close()

    // Controlling thread. Starts the thread and listens on it; false with a message on failure.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const { return m_port; }
    // Stops listening, closes every connection and joins the thread; safe to call twice.
    void close();

private:
    void onPendingConnection();

    QThread m_thread;
    std::unique_ptr<QObject> m_context; // lives on m_thread: what the cross-thread calls run on
    QSslConfiguration m_configuration;
    const quint16 m_backendPort;
    const QByteArray m_relaySecret;
    QSslServer *m_server = nullptr; // lives on m_thread
    quint16 m_port = 0;
};
