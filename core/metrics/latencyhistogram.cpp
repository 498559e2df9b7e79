#include "metrics/latencyhistogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

static_assert(LatencyHistogram::kBucketCount == 384);
static_assert(std::is_sorted(LatencyHistogram::kPrometheusBoundsMicros.cbegin(),
                             LatencyHistogram::kPrometheusBoundsMicros.cend()));

int LatencyHistogram::bucketIndex(qint64 micros)
{
    if (micros < kSubBucketCount)
        return micros <= 0 ? 0 : int(micros); // 0..15: one bucket per µs
    micros = std::min(micros, kMaxTrackableMicros);
    // [2^e, 2^(e+1)) is split into 16 sub-buckets of 2^(e-4) µs each.
    const int exponent = std::bit_width(quint64(micros)) - 1; // >= kSubBucketBits here
    const int shift = exponent - kSubBucketBits;
    return kSubBucketCount + shift * kSubBucketCount + int((micros >> shift) - kSubBucketCount);
}

qint64 LatencyHistogram::bucketLowerMicros(int index)
{
    if (index < kSubBucketCount)
        return index;
    const int shift = (index - kSubBucketCount) / kSubBucketCount;
    const int sub = (index - kSubBucketCount) % kSubBucketCount;
    return qint64(kSubBucketCount + sub) << shift;
}

qint64 LatencyHistogram::bucketUpperMicros(int index)
{
    if (index < kSubBucketCount)
        return index;
    const int shift = (index - kSubBucketCount) / kSubBucketCount;
    return bucketLowerMicros(index) + (qint64(1) << shift) - 1;
}

int LatencyHistogram::prometheusIndex(qint64 micros)
{
    // `le` is inclusive: a value equal to a boundary belongs to that boundary's bucket.
    const auto it =
        std::lower_bound(kPrometheusBoundsMicros.cbegin(), kPrometheusBoundsMicros.cend(), micros);
    return int(it - kPrometheusBoundsMicros.cbegin()); // size() = "+Inf"
}

void LatencyHistogram::record(qint64 micros)
{
    micros = std::max<qint64>(micros, 0);
    m_buckets[std::size_t(bucketIndex(micros))].fetch_add(1, std::memory_order_relaxed);
    m_prometheus[std::size_t(prometheusIndex(micros))].fetch_add(1, std::memory_order_relaxed);
    m_sumMicros.fetch_add(micros, std::memory_order_relaxed);
    // Mostly a plain load: the compare-exchange runs only while a new maximum is being set.
    qint64 max = m_maxMicros.load(std::memory_order_relaxed);
    while (micros > max && !m_maxMicros.compare_exchange_weak(max, micros, std::memory_order_relaxed)) {
    }
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const
{
    Snapshot result;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
        result.m_buckets[i] = m_buckets[i].load(std::memory_order_relaxed);
        result.m_count += result.m_buckets[i];
    }
    for (std::size_t i = 0; i < m_prometheus.size(); ++i)
        result.m_prometheus[i] = m_prometheus[i].load(std::memory_order_relaxed);
    result.m_sumMicros = m_sumMicros.load(std::memory_order_relaxed);
    result.m_maxMicros = m_maxMicros.load(std::memory_order_relaxed);
    return result;
}

qint64 LatencyHistogram::Snapshot::percentile(double percent) const
{
    if (m_count <= 0)
        return 0;
    // Nearest rank: the smallest value with at least percent % of the samples at or below it.
    const double clamped = std::isnan(percent) ? 100.0 : std::clamp(percent, 0.0, 100.0);
    const qint64 rank = std::clamp<qint64>(qint64(std::ceil(clamped / 100.0 * double(m_count))), 1, m_count);
    qint64 seen = 0;
    for (int i = 0; i < kBucketCount; ++i) {
        seen += m_buckets[std::size_t(i)];
        if (seen >= rank)
            return std::min(bucketUpperMicros(i), m_maxMicros);
    }
    return m_maxMicros; // unreachable: the buckets add up to m_count
}

QList<LatencyHistogram::PrometheusBucket> LatencyHistogram::Snapshot::prometheusBuckets() const
{
    QList<PrometheusBucket> result;
    result.reserve(kPrometheusBucketCount);
    qint64 cumulative = 0;
    for (int i = 0; i < kPrometheusBucketCount; ++i) {
        cumulative += m_prometheus[std::size_t(i)];
        const double leSeconds = i < int(kPrometheusBoundsMicros.size())
                                     ? double(kPrometheusBoundsMicros[std::size_t(i)]) / 1e6
                                     : std::numeric_limits<double>::infinity();
        result.append({leSeconds, cumulative});
    }
    return result;
}

LatencyHistogram::Snapshot LatencyHistogram::Snapshot::operator-(const Snapshot &previous) const
{
    // Counters only grow, so a negative difference means the operands were swapped or come
    // from different histograms; clamping keeps a graph sane instead of showing -3 votes.
    Snapshot result;
    int highest = -1;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
        result.m_buckets[i] = std::max<qint64>(m_buckets[i] - previous.m_buckets[i], 0);
        result.m_count += result.m_buckets[i];
        if (result.m_buckets[i] != 0)
            highest = int(i);
    }
    for (std::size_t i = 0; i < m_prometheus.size(); ++i)
        result.m_prometheus[i] = std::max<qint64>(m_prometheus[i] - previous.m_prometheus[i], 0);
    result.m_sumMicros = std::max<qint64>(m_sumMicros - previous.m_sumMicros, 0);
    // The exact maximum of an interval is not recoverable from two cumulative snapshots; the
    // highest non-empty bucket bounds it, and so does the lifetime maximum.
    result.m_maxMicros = highest < 0 ? 0 : std::min(bucketUpperMicros(highest), m_maxMicros);
    return result;
}
