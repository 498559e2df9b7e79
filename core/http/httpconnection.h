#pragma once

#include <deque>
#include <optional>

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

#include "http/httpresponse.h"

class QTcpSocket;

namespace Http {

class IoContext;
struct HttpRequest;

// One keep-alive client connection, owned by its IoContext and living in its I/O thread.
// Reads bytes, cuts them into requests with RequestParser (pipelining: several per read),
// dispatches each to the Router, and writes the answers back strictly in request order.
// Answers that are not ready yet (deferred by a handler) hold back the ones behind them;
// all answers that become ready together go out in one write. TCP_NODELAY is set.
class HttpConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    HttpConnection(IoContext &context, quint64 id, QTcpSocket *socket, QObject *parent = nullptr);
    ~HttpConnection() override;

    quint64 id() const { return m_id; }
    // A deferred answer for request `sequence` arrived (same thread, from IoContext::deliver).
    void complete(quint64 sequence, HttpResponse response);
    void close();

private:
    struct Slot
    {
        quint64 sequence = 0;
        int versionMinor = 1;
        bool keepAlive = true;
        bool headOnly = false;
        bool crossOrigin = false; // the router allows any origin to read this path
        std::optional<HttpResponse> response;
    };

    void onReadyRead();
    void onBytesWritten();
    void onDisconnected();
    void processBuffer();
    void dispatch(const HttpRequest &request);
    void flush();
    bool isBackpressured() const;
    void resumeIfUnblocked();

    IoContext &m_context;
    const quint64 m_id;
    QTcpSocket *m_socket;
    QByteArray m_buffer;
    std::deque<Slot> m_slots;
    quint64 m_nextSequence = 1;
    bool m_continueSent = false;    // "100 Continue" already sent for the request being received
    bool m_closing = false;         // no more requests are read; close once the answers are out
    bool m_disconnected = false;    // the socket is gone; nothing more is read or written
    bool m_backpressured = false;   // parsing stopped: too many answers pending or unsent
    bool m_continueWaiting = false; // "100 Continue" held back until earlier answers are out
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    bool m_peerIsLoopback = false;
};

} // namespace Http
