#include "session/clock.h"

#include <QDateTime>
#include <QElapsedTimer>

qint64 SystemClock::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

qint64 SystemClock::monotonicMs() const
{
    // QElapsedTimer uses CLOCK_MONOTONIC: one shared origin, started on first use
    // (thread-safe static initialisation); reading it is thread-safe.
    static const QElapsedTimer origin = [] {
        QElapsedTimer timer;
        timer.start();
        return timer;
    }();
    return origin.elapsed();
}

SystemClock &SystemClock::instance()
{
    static SystemClock clock;
    return clock;
}
