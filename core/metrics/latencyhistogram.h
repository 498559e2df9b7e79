#pragma once

#include <array>
#include <atomic>

#include <QList>
#include <QtGlobal>

// A lock-free latency histogram in microseconds, HDR style (log-linear): every power of two
// is split into 16 equal sub-buckets, so a bucket is never wider than 1/16 of its lower
// bound. Values 0..31 µs are exact; the range ends at kMaxTrackableMicros (2^27 - 1 µs,
// about 134 s). Negative values count as 0; larger values land in the top bucket (their
// sum and max stay exact). 384 buckets, 3 KiB: cheap to copy once a second.
//
// Relative error: percentile() answers the inclusive upper bound of the bucket that holds
// the sample of that rank, so for a true value v it returns q with v <= q < v * (1 + 1/16),
// i.e. it over-states by less than 6.25 % and never under-states. An upper bound is the
// conservative side for latency SLOs: the graph may look slightly worse than reality, never
// better.
//
// Threads: record() from any number of threads (relaxed atomics: these are statistics,
// nothing is ordered by them). snapshot() from any thread; it is a copy of independent
// counters, not a point in time: a record() racing it may be seen in one counter (bucket,
// sum, max) and not yet in another. Each counter only grows, so later snapshots taken by the
// same thread never see a counter go back, and snapshot differences are never negative.
//
// Prometheus buckets: the decimal `le` boundaries (kPrometheusBoundsMicros) do not fall on
// log-linear bucket edges, so deriving them from the fine buckets would misfile values
// within 1/16 of a boundary. A second, tiny array of counters at exactly those boundaries
// is bumped in record() instead: one more relaxed increment buys exact `le` semantics.
class LatencyHistogram final
{
public:
    static constexpr int kSubBucketBits = 4;
    static constexpr int kSubBucketCount = 1 << kSubBucketBits;
    static constexpr int kTopExponent = 26; // the last power of two covered: [2^26, 2^27) µs
    static constexpr qint64 kMaxTrackableMicros = (qint64(1) << (kTopExponent + 1)) - 1;
    static constexpr int kBucketCount =
        kSubBucketCount + (kTopExponent - kSubBucketBits + 1) * kSubBucketCount;

    // `le` boundaries for the Prometheus export, in µs (exported in seconds). 100 µs and
    // 250 µs go below the usual 0.5 ms so that group commits (an fdatasync is ~0.2 ms)
    // don't all pile into the first bucket.
    static constexpr std::array<qint64, 16> kPrometheusBoundsMicros{
        100,    250,     500,     1'000,   2'000,     5'000,     10'000,    25'000,
        50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
    static constexpr int kPrometheusBucketCount = int(kPrometheusBoundsMicros.size()) + 1; // + "+Inf"

    static int bucketIndex(qint64 micros);
    static qint64 bucketLowerMicros(int index);
    static qint64 bucketUpperMicros(int index); // inclusive

    struct PrometheusBucket
    {
        double leSeconds = 0; // the last one is +infinity
        qint64 cumulativeCount = 0;
    };

    // Plain counts, copyable and subtractable: `now - previous` is the interval between two
    // snapshots of the same histogram.
    class Snapshot final
    {
    public:
        qint64 count() const { return m_count; }
        qint64 sum() const { return m_sumMicros; } // µs
        // µs; an upper bound on the largest value: exact in a snapshot of the histogram,
        // within the bucket error in a difference (capped by the lifetime max either way).
        qint64 max() const { return m_maxMicros; }
        // percent in [0, 100] (50 = median); µs, the bucket's inclusive upper bound capped
        // at max(); 0 when the snapshot is empty.
        qint64 percentile(double percent) const;
        qint64 bucketCount(int index) const { return m_buckets[std::size_t(index)]; }

        // Cumulative counts at kPrometheusBoundsMicros, ascending, then "+Inf". The "+Inf"
        // count is the one to export as `_count`: it is consistent with the buckets by
        // construction, while count() comes from the fine buckets and may differ by a
        // record() that raced the snapshot.
        QList<PrometheusBucket> prometheusBuckets() const;

        Snapshot operator-(const Snapshot &previous) const;

    private:
        friend class LatencyHistogram;

        std::array<qint64, kBucketCount> m_buckets{};
        std::array<qint64, kPrometheusBucketCount> m_prometheus{}; // not cumulative
        qint64 m_count = 0;
        qint64 m_sumMicros = 0;
        qint64 m_maxMicros = 0;
    };

    void record(qint64 micros);
    Snapshot snapshot() const;

private:
    static int prometheusIndex(qint64 micros);

    std::array<std::atomic<qint64>, kBucketCount> m_buckets{};
    std::array<std::atomic<qint64>, kPrometheusBucketCount> m_prometheus{};
    std::atomic<qint64> m_sumMicros{0};
    std::atomic<qint64> m_maxMicros{0};
};
