#pragma once

#include <QList>
#include <QString>

#include "metrics/metricssampler.h"

// "exact result in ~N s" while the lines are closing: the producer times the reveal on it.
// The queue holds the votes received before the close and not yet committed; they leave it at
// the store's commit rate, which the last seconds of the series show (persisted/s).
namespace ClosingEstimate {
// Seconds of series averaged for the drain rate: one second alone swings with each group
// commit, more than a few would still count the calm before the final rush.
constexpr int DrainWindowSamples = 3;

// Mean persisted votes/s over the newest DrainWindowSamples samples; 0 when there are none.
double drainRate(const QList<SecondSample> &series);
// Whole seconds until the queue is empty at that rate, rounded up; -1 when it does not drain.
qint64 secondsLeft(qint64 queueDepth, double drainPerSecond);
// The line under the countdown while closing.
QString text(qint64 queueDepth, double drainPerSecond);
} // namespace ClosingEstimate
