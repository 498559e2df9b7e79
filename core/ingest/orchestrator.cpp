#include "ingest/orchestrator.h"

using namespace Qt::Literals::StringLiterals;

Orchestrator::Orchestrator(Config config)
    : m_config(config)
{
    m_config.minWorkers = qMax(1, m_config.minWorkers);
    m_config.maxWorkers = qMax(m_config.minWorkers, m_config.maxWorkers);
}

Orchestrator::Decision Orchestrator::change(const Observation &o, int workers, const QString &reason)
{
    if (workers > o.activeWorkers)
        ++m_scaleUps;
    else
        ++m_scaleDowns;
    m_lastChangeMs = o.nowMs;
    m_calmSinceMs = -1;
    return {workers, true, u"workers %1 -> %2: %3"_s.arg(o.activeWorkers).arg(workers).arg(reason)};
}

Orchestrator::Decision Orchestrator::decide(const Observation &o)
{
    const int active = o.activeWorkers;
    if (active < m_config.minWorkers)
        return change(o, m_config.minWorkers, u"below the minimum of %1"_s.arg(m_config.minWorkers));
    if (active > m_config.maxWorkers)
        return change(o, m_config.maxWorkers, u"above the maximum of %1"_s.arg(m_config.maxWorkers));

    const bool coolingDown = m_lastChangeMs >= 0 && o.nowMs - m_lastChangeMs < m_config.cooldownMs;
    const bool deep = o.queueDepth > m_config.scaleUpDepthPerWorker * active;
    const bool old = o.oldestAgeMs > m_config.scaleUpAgeMs;
    if (deep || old) {
        m_calmSinceMs = -1;
        if (active < m_config.maxWorkers && !coolingDown) {
            const QString why =
                deep ? u"queue depth %1 > %2 per worker"_s.arg(o.queueDepth)
                           .arg(m_config.scaleUpDepthPerWorker)
                     : u"oldest vote waited %1 ms > %2 ms"_s.arg(o.oldestAgeMs).arg(m_config.scaleUpAgeMs);
            return change(o, active + 1, why);
        }
        return {active, false, {}};
    }

    const bool calm = o.queueDepth < m_config.scaleDownDepthPerWorker * active &&
                      o.oldestAgeMs <= m_config.scaleUpAgeMs / 2;
    if (!calm) {
        m_calmSinceMs = -1;
        return {active, false, {}};
    }
    if (m_calmSinceMs < 0)
        m_calmSinceMs = o.nowMs;
    if (active > m_config.minWorkers && !coolingDown &&
        o.nowMs - m_calmSinceMs >= m_config.scaleDownAfterMs) {
        return change(o, active - 1,
                      u"queue calm for %1 ms (depth %2)"_s.arg(o.nowMs - m_calmSinceMs).arg(o.queueDepth));
    }
    return {active, false, {}};
}
