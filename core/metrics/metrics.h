#pragma once

#include <atomic>
#include <functional>
#include <optional>

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QMutex>
#include <QPair>

#include "metrics/latencyhistogram.h"

// Process-wide ingest counters. Updated with relaxed atomics from the I/O threads, workers and
// the journal writer; read by /metrics, the MetricsSampler (1 s series) and the console.
// Per-session rejection counters live in RejectCounters; this is the pipeline's view (what
// the operator and Prometheus graph). Counters only grow: rates are differences.
class Metrics final
{
public:
    std::atomic<qint64> votesReceived{0};  // passed edge validation and were queued
    std::atomic<qint64> votesAccepted{0};  // answered 202 (bumped where the 202 is released)
    std::atomic<qint64> votesRejected{0};  // refused for any reason, every session (not 202)
    std::atomic<qint64> votesPersisted{0}; // committed to the store and answered 202
    std::atomic<qint64> votesFailed{0};    // answered 503 storage_unavailable after a failed commit
    std::atomic<qint64> commits{0};        // group commits attempted
    std::atomic<qint64> commitFailures{0};
    std::atomic<qint64> commitMicrosTotal{0};
    std::atomic<qint64> commitMicrosMax{0};
    // Batch sizes are a sum and a count, not a LatencyHistogram: the question an operator
    // asks of them is "how well does group commit amortise the fsync", which is the mean
    // (exact per interval from two differences), while their spread is set by the load and
    // capped by --batch-size. One writer thread bumps them once per commit.
    std::atomic<qint64> batches{0};    // group commits that succeeded
    std::atomic<qint64> batchVotes{0}; // votes in those commits: mean batch = batchVotes / batches
    std::atomic<qint64> lastBatchSize{0};
    std::atomic<bool> storageHealthy{true};

    LatencyHistogram endToEnd; // µs from receipt on the I/O thread to the 202 being released
    LatencyHistogram commit;   // µs for one group commit including its fsync (fed by recordCommit)

    // Called by the journal writer after every group commit, successful or not.
    void recordCommit(qint64 votes, qint64 micros, bool ok);

    // Gauges owned by other parts (queue depth, active workers, open connections) are read
    // through callbacks when /metrics is rendered or the sampler runs. Thread-safety: register
    // at start-up, before the server and the sampler run (a mutex makes a late registration
    // safe too, but a gauge that appears mid-run is a gap in every graph). The callbacks are
    // called outside that mutex, from any thread and concurrently, so they must be
    // thread-safe themselves (an atomic load is the usual body). Registering a name again
    // replaces the callback.
    void setGauge(QByteArray name, QByteArray help, std::function<double()> read);
    std::optional<double> readGauge(QByteArrayView name) const; // nullopt if not registered

    // The names the sampler reads its queue depth and active workers by: register these.
    static constexpr char kQueueDepthGauge[] = "votedesk_queue_depth";
    static constexpr char kActiveWorkersGauge[] = "votedesk_workers_active";
    // The canary's last latency in seconds, NaN when it was missed (engine/canary.h).
    static constexpr char kCanaryLatencyGauge[] = "votedesk_canary_latency_seconds";

    // Prometheus text exposition format (version 0.0.4).
    struct Sample
    {
        // The metric name, optionally with pre-rendered labels for callers that build them
        // themselves, e.g. votedesk_session_votes_rejected{reason="invalid_json"} (their
        // values must already be escaped).
        QByteArray name;
        QByteArray type; // counter | gauge | histogram
        QByteArray help;
        double value = 0;
        QList<QPair<QByteArray, QByteArray>> labels = {}; // rendered and escaped after name
        // Empty: the name up to '{'. Histogram series set it, because their names carry
        // _bucket, _sum and _count suffixes but HELP and TYPE belong to the family.
        QByteArray family = {};
    };
    QList<Sample> samples() const;
    // family_bucket{le="..."} (cumulative, "+Inf" last), family_sum (seconds), family_count.
    static QList<Sample> histogramSamples(const QByteArray &family, const QByteArray &help,
                                          const LatencyHistogram::Snapshot &snapshot);
    // Groups the samples by family in order of first appearance, HELP and TYPE once each;
    // of a series given twice (same name and labels) only the first is written.
    static QByteArray prometheusText(const QList<Sample> &samples);
    // Locale-free: integers as integers, otherwise the shortest text that reads back the same
    // double; NaN, +Inf, -Inf as the format spells them.
    static QByteArray formatValue(double value);
    static QByteArray escapeLabelValue(QByteArrayView value);

private:
    struct Gauge
    {
        QByteArray name;
        QByteArray help;
        std::function<double()> read;
    };
    mutable QMutex m_gaugesMutex; // guards m_gauges (the list, not the calls)
    QList<Gauge> m_gauges;

    QList<Gauge> gauges() const;
};
