#pragma once

#include <atomic>

#include <QByteArray>
#include <QList>
#include <QPair>

// Process-wide ingest counters. Updated with relaxed atomics from the I/O threads and the
// journal writer; read by /metrics and the console. Per-session rejection counters live in
// RejectCounters; this is the pipeline's view (what the operator and Prometheus graph).
// The per-second series and latency histograms arrive with the line-rate ingest work.
class Metrics final
{
public:
    std::atomic<qint64> votesReceived{0};  // passed edge validation and were queued
    std::atomic<qint64> votesPersisted{0}; // committed to the store and answered 202
    std::atomic<qint64> votesFailed{0};    // answered 503 storage_unavailable after a failed commit
    std::atomic<qint64> commits{0};
    std::atomic<qint64> commitFailures{0};
    std::atomic<qint64> commitMicrosTotal{0};
    std::atomic<qint64> commitMicrosMax{0};
    std::atomic<qint64> lastBatchSize{0};
    std::atomic<bool> storageHealthy{true};

    void recordCommit(qint64 votes, qint64 micros, bool ok);

    // Prometheus text exposition format (version 0.0.4).
    struct Sample
    {
        QByteArray name; // with labels, e.g. votedesk_votes_rejected_total{reason="invalid_json"}
        QByteArray type; // counter | gauge
        QByteArray help;
        double value = 0;
    };
    QList<Sample> samples() const;
    static QByteArray prometheusText(const QList<Sample> &samples);
};
