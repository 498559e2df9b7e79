#pragma once

#include <atomic>
#include <memory>

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include "metrics/metrics.h"

class QTcpSocket;

// Semantic monitoring (the "test message" pattern): every intervalMs the app sends itself a
// vote through the public endpoint, over TCP like any client, and expects its 202 with a
// receipt within deadlineMs. The 202 is released only after the group commit that stored it,
// so a canary seen proves the whole path works: HTTP, edge, queue, workers, writer, store.
//
// The canary vote is flagged (X-Votedesk-Canary, voter id canary.<n>, accepted only from the
// local machine) and stored under session 0, which no show has: nothing counts it, no tally,
// recount, vote-log read, export or verifier of a session ever sees it (pendingvote.h).
//
// A canary not seen in time (no answer, or any other answer: 503 while the store fails, a
// full pipeline, a dead I/O thread) raises `missing` once; the first one seen afterwards
// raises `recovered`. Its latency (send to 202) is in /metrics and in the 1 s series.
//
// Threads: lives on the engine's thread (its QTimers and QTcpSocket run there). The figures
// are atomics, read by /metrics on an I/O thread and by the sampler.
class Canary final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Canary)

public:
    struct Config
    {
        int intervalMs = 10'000;
        int deadlineMs = 5'000;
    };

    // Registers its latency gauge on `metrics` (Metrics::kCanaryLatencyGauge).
    Canary(Config config, Metrics &metrics, QObject *parent = nullptr);
    ~Canary() override;

    // The first probe goes out at once, then one every intervalMs.
    void start(const QHostAddress &address, quint16 port);
    void stop();
    // Sends one now unless one is in flight (the timer calls it; tests may).
    void probe();

    bool failing() const { return m_failing.load(std::memory_order_relaxed); }
    QList<Metrics::Sample> samples() const;

    std::atomic<qint64> sent{0};
    std::atomic<qint64> seen{0};
    std::atomic<qint64> missed{0};
    // Microseconds from send to 202 of the last probe; -1 when it was missed, 0 before any.
    std::atomic<qint64> lastLatencyUs{0};

Q_SIGNALS:
    void probeSeen(qint64 latencyUs);
    void missing(const QString &message);
    void recovered();

private:
    void finish(bool ok, const QString &problem);

    const Config m_config;
    Metrics &m_metrics; // its gauge reads this object: unregistered (made constant) when it goes
    QHostAddress m_address;
    quint16 m_port = 0;
    QTimer m_interval;
    QTimer m_deadline;
    QElapsedTimer m_sentAt;
    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_answer;
    quint64 m_serial = 0;
    std::atomic<bool> m_failing{false}; // written here, read by /metrics
};
