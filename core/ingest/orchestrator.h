#pragma once

#include <QString>
#include <QtGlobal>

// Decides how many workers should be active, from how deep the ingest queue is and how long
// its oldest vote has waited — what the serverless design's orchestrator did with queue
// length. Pure: it is fed observations (tests feed fake times and depths) and remembers only
// when it last changed its mind, for cooldown and hysteresis.
class Orchestrator final
{
public:
    struct Config
    {
        int minWorkers = 1;
        int maxWorkers = 1;
        qint64 scaleUpDepthPerWorker = 2000;  // more waiting than this per active worker: grow
        qint64 scaleUpAgeMs = 20;             // or the oldest vote waited longer than this: grow
        qint64 scaleDownDepthPerWorker = 100; // calm: fewer waiting than this per worker...
        qint64 scaleDownAfterMs = 3000;       // ...for this long: shrink by one
        qint64 cooldownMs = 250;              // no two changes closer than this
    };

    struct Observation
    {
        qint64 nowMs = 0;
        qint64 queueDepth = 0;
        qint64 oldestAgeMs = 0;
        int activeWorkers = 1;
    };

    struct Decision
    {
        int workers = 1;
        bool changed = false;
        QString reason; // for the log line and the event log, when changed
    };

    explicit Orchestrator(Config config);

    Decision decide(const Observation &observation);

    const Config &config() const { return m_config; }
    qint64 scaleUps() const { return m_scaleUps; }
    qint64 scaleDowns() const { return m_scaleDowns; }

private:
    Decision change(const Observation &o, int workers, const QString &reason);

    Config m_config;
    qint64 m_lastChangeMs = -1;
    qint64 m_calmSinceMs = -1;
    qint64 m_scaleUps = 0;
    qint64 m_scaleDowns = 0;
};
