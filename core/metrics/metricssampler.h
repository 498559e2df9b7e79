#pragma once

#include <array>

#include <QList>
#include <QMutex>

#include "metrics/latencyhistogram.h"

class Metrics;

// One point of the per-second series the console graphs (and the final report keeps).
// Rates are per second over the interval actually elapsed since the previous sample, so a
// late timer tick doesn't show up as a spike; latencies are of that interval only.
struct SecondSample
{
    qint64 atMs = 0;         // when it was taken (the caller's clock); 0 = no sample yet
    qint64 intervalMs = 0;   // what the rates and percentiles cover (≈ 1000)
    qint64 accepted = 0;     // votes/s answered 202
    qint64 rejected = 0;     // votes/s refused, all reasons
    qint64 persisted = 0;    // votes/s committed
    qint64 batches = 0;      // successful group commits/s
    double avgBatchSize = 0; // votes per successful group commit in the interval; 0 if none
    qint64 queueDepth = 0;   // gauge at atMs
    qint64 activeWorkers = 0;
    double latencyP50Ms = 0; // end to end (receipt → 202), interval percentiles, 0 if no votes
    double latencyP95Ms = 0;
    double latencyP99Ms = 0;
    double commitP99Ms = 0;
    // The canary (engine/canary.h): send to 202 of the last probe at atMs; -1 when it was
    // missed, 0 when there is no canary or no probe yet.
    double canaryLatencyMs = 0;
};

// Turns the cumulative counters and histograms of a Metrics into SecondSamples and keeps the
// last kCapacity of them (10 minutes at 1 Hz) for the console's scrolling graphs.
//
// The caller drives it: the engine calls sample() from a 1 s QTimer on its thread; tests pass
// fake times. Pass a monotonic clock (QElapsedTimer-based) where possible: a nowMs that does
// not advance re-primes instead of producing a sample. The first call only primes.
// Queue depth and active workers are read through the gauges registered on Metrics under
// Metrics::kQueueDepthGauge and Metrics::kActiveWorkersGauge (0 while unregistered), so the
// graphs and /metrics read the same source.
class MetricsSampler final
{
public:
    static constexpr int kCapacity = 600;

    explicit MetricsSampler(const Metrics &metrics);

    // From one thread at a time (the timer's); it alone touches the baseline below.
    void sample(qint64 nowMs);

    // From any thread.
    QList<SecondSample> samples() const; // oldest first, at most kCapacity
    SecondSample latest() const;         // a default SecondSample (atMs 0) before the first one

private:
    struct Baseline
    {
        qint64 atMs = 0;
        qint64 accepted = 0;
        qint64 rejected = 0;
        qint64 persisted = 0;
        qint64 batches = 0;
        qint64 batchVotes = 0;
        LatencyHistogram::Snapshot endToEnd;
        LatencyHistogram::Snapshot commit;
    };
    Baseline read(qint64 nowMs) const;

    const Metrics &m_metrics;

    // Owned by the sampling thread; no lock.
    bool m_primed = false;
    Baseline m_baseline;

    // Locking rule: m_mutex guards m_ring, m_next and m_size and nothing else. It is held
    // only to store one sample or copy the ring out, never while reading Metrics or
    // computing, so a reader (UI at 10 Hz, a scrape) never waits for a sample to be built.
    mutable QMutex m_mutex;
    std::array<SecondSample, kCapacity> m_ring{};
    int m_next = 0; // where the next sample goes
    int m_size = 0;
};
