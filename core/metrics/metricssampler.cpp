#include "metrics/metricssampler.h"

#include <algorithm>
#include <cmath>

#include <QMutexLocker>

#include "metrics/metrics.h"

namespace {
qint64 gaugeValue(const Metrics &metrics, const char *name)
{
    return std::llround(metrics.readGauge(name).value_or(0.0));
}

double millis(qint64 micros)
{
    return double(micros) / 1000.0;
}
} // namespace

MetricsSampler::MetricsSampler(const Metrics &metrics)
    : m_metrics(metrics)
{}

MetricsSampler::Baseline MetricsSampler::read(qint64 nowMs) const
{
    auto v = [](const std::atomic<qint64> &a) {
        return a.load(std::memory_order_relaxed);
    };
    return {nowMs,
            v(m_metrics.votesAccepted),
            v(m_metrics.votesRejected),
            v(m_metrics.votesPersisted),
            v(m_metrics.batches),
            v(m_metrics.batchVotes),
            m_metrics.endToEnd.snapshot(),
            m_metrics.commit.snapshot()};
}

void MetricsSampler::sample(qint64 nowMs)
{
    Baseline current = read(nowMs);
    const qint64 intervalMs = nowMs - m_baseline.atMs;
    if (!m_primed || intervalMs <= 0) {
        // First call, or a clock that stood still or went back: there is no interval to
        // divide by, so this becomes the baseline for the next one.
        m_baseline = std::move(current);
        m_primed = true;
        return;
    }

    const auto perSecond = [intervalMs](qint64 now, qint64 before) {
        return std::llround(double(std::max<qint64>(now - before, 0)) * 1000.0 / double(intervalMs));
    };
    SecondSample s;
    s.atMs = nowMs;
    s.intervalMs = intervalMs;
    s.accepted = perSecond(current.accepted, m_baseline.accepted);
    s.rejected = perSecond(current.rejected, m_baseline.rejected);
    s.persisted = perSecond(current.persisted, m_baseline.persisted);
    s.batches = perSecond(current.batches, m_baseline.batches);
    const qint64 batchCount = current.batches - m_baseline.batches;
    s.avgBatchSize =
        batchCount > 0 ? double(current.batchVotes - m_baseline.batchVotes) / double(batchCount) : 0.0;
    s.queueDepth = gaugeValue(m_metrics, Metrics::kQueueDepthGauge);
    s.activeWorkers = gaugeValue(m_metrics, Metrics::kActiveWorkersGauge);
    // The last canary's latency as it stands at the sample (a probe every few seconds, so a
    // line that holds its value between them); a missed one reads NaN there.
    if (const std::optional<double> canary = m_metrics.readGauge(Metrics::kCanaryLatencyGauge))
        s.canaryLatencyMs = std::isnan(*canary) ? -1.0 : *canary * 1000.0;
    // The interval's own distribution: a lifetime percentile would flatten any spike.
    const LatencyHistogram::Snapshot endToEnd = current.endToEnd - m_baseline.endToEnd;
    s.latencyP50Ms = millis(endToEnd.percentile(50));
    s.latencyP95Ms = millis(endToEnd.percentile(95));
    s.latencyP99Ms = millis(endToEnd.percentile(99));
    s.commitP99Ms = millis((current.commit - m_baseline.commit).percentile(99));
    m_baseline = std::move(current);

    const QMutexLocker locker(&m_mutex);
    m_ring[std::size_t(m_next)] = s;
    m_next = (m_next + 1) % kCapacity;
    m_size = std::min(m_size + 1, kCapacity);
}

QList<SecondSample> MetricsSampler::samples() const
{
    QList<SecondSample> result;
    result.reserve(kCapacity);
    const QMutexLocker locker(&m_mutex);
    const int oldest = (m_next - m_size + kCapacity) % kCapacity;
    for (int i = 0; i < m_size; ++i)
        result.append(m_ring[std::size_t((oldest + i) % kCapacity)]);
    return result;
}

SecondSample MetricsSampler::latest() const
{
    const QMutexLocker locker(&m_mutex);
    if (m_size == 0)
        return {};
    return m_ring[std::size_t((m_next - 1 + kCapacity) % kCapacity)];
}
