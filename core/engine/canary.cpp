#include "engine/canary.h"

#include <cmath>
#include <limits>

#include <QLoggingCategory>
#include <QTcpSocket>

#include "ingest/pendingvote.h"

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcCanary, "votedesk.canary")

Canary::Canary(Config config, Metrics &metrics, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_metrics(metrics)
{
    m_interval.setInterval(qMax(100, m_config.intervalMs));
    connect(&m_interval, &QTimer::timeout, this, &Canary::probe);
    m_deadline.setSingleShot(true);
    m_deadline.setInterval(qMax(1, m_config.deadlineMs));
    connect(&m_deadline, &QTimer::timeout, this,
            [this] { finish(false, u"no answer within %1 ms"_s.arg(m_config.deadlineMs)); });
    m_metrics.setGauge(Metrics::kCanaryLatencyGauge,
                       "Seconds from sending the last canary vote to its 202 (NaN: missed)", [this] {
                           const qint64 us = lastLatencyUs.load(std::memory_order_relaxed);
                           return us < 0 ? std::numeric_limits<double>::quiet_NaN() : double(us) / 1e6;
                       });
}

Canary::~Canary()
{
    stop();
    m_metrics.setGauge(Metrics::kCanaryLatencyGauge, "Seconds from sending the last canary vote to its 202",
                       [] { return 0.0; });
}

void Canary::start(const QHostAddress &address, quint16 port)
{
    m_address = address;
    m_port = port;
    m_interval.start();
    probe();
}

void Canary::stop()
{
    m_interval.stop();
    m_deadline.stop();
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket.reset();
    }
}

void Canary::probe()
{
    if (m_socket || m_port == 0)
        return; // one at a time: a probe still in flight will be missed or seen by itself
    const QByteArray body = R"({"voter":")" + QByteArray(kCanaryVoterPrefix) +
                            QByteArray::number(++m_serial) + R"(","option":")" +
                            QByteArray(kCanaryOptionKey) + R"("})";
    const QByteArray request = "POST /v1/votes HTTP/1.1\r\nHost: " + m_address.toString().toLatin1() +
                               "\r\nContent-Type: application/json\r\nX-Votedesk-Canary: 1\r\n"
                               "Connection: close\r\nContent-Length: " +
                               QByteArray::number(body.size()) + "\r\n\r\n" + body;
    m_answer.clear();
    m_socket = std::make_unique<QTcpSocket>();
    QTcpSocket *socket = m_socket.get();
    connect(socket, &QTcpSocket::connected, this, [socket, request] { socket->write(request); });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { m_answer += socket->readAll(); });
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        m_answer += socket->readAll();
        // "HTTP/1.1 202 Accepted" with a receipt of the canary's session, and nothing else.
        const bool accepted =
            m_answer.startsWith("HTTP/1.1 202 ") &&
            m_answer.contains(QByteArray(R"("receipt":")" + QByteArray::number(kCanarySessionId) + '-'));
        finish(accepted, accepted ? QString()
                                  : u"answered %1"_s.arg(
                                        QString::fromLatin1(m_answer.left(m_answer.indexOf('\r')).left(80))));
    });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError error) {
        if (error != QAbstractSocket::RemoteHostClosedError)
            finish(false, socket->errorString());
    });
    sent.fetch_add(1, std::memory_order_relaxed);
    m_sentAt.start();
    m_deadline.start();
    socket->connectToHost(m_address, m_port);
}

void Canary::finish(bool ok, const QString &problem)
{
    if (!m_socket)
        return;
    const qint64 latencyUs = m_sentAt.nsecsElapsed() / 1000;
    m_deadline.stop();
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket.release()->deleteLater(); // we may be inside one of its signals
    if (ok) {
        seen.fetch_add(1, std::memory_order_relaxed);
        lastLatencyUs.store(latencyUs, std::memory_order_relaxed);
        Q_EMIT probeSeen(latencyUs);
        if (m_failing.exchange(false, std::memory_order_relaxed)) {
            qCInfo(lcCanary) << "the canary vote is seen again";
            Q_EMIT recovered();
        }
        return;
    }
    missed.fetch_add(1, std::memory_order_relaxed);
    lastLatencyUs.store(-1, std::memory_order_relaxed);
    const QString message = u"the canary vote was not stored: %1"_s.arg(problem);
    // Once per failing spell, not once per probe: the alert is the news, the counter the rest.
    if (!m_failing.exchange(true, std::memory_order_relaxed)) {
        qCWarning(lcCanary).noquote() << message;
        Q_EMIT missing(message);
    }
}

QList<Metrics::Sample> Canary::samples() const
{
    auto v = [](const std::atomic<qint64> &a) {
        return double(a.load(std::memory_order_relaxed));
    };
    return {
        {"votedesk_canary_sent_total", "counter", "Canary votes sent through the public endpoint", v(sent)},
        {"votedesk_canary_seen_total", "counter", "Canary votes answered 202 (stored) in time", v(seen)},
        {"votedesk_canary_missed_total", "counter", "Canary votes not stored in time", v(missed)},
        {"votedesk_canary_failing", "gauge", "1 while the last canary was missed", failing() ? 1.0 : 0.0},
    };
}
