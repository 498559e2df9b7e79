#include "closingestimate.h"

#include <algorithm>
#include <cmath>

#include <QCoreApplication>

namespace ClosingEstimate {

double drainRate(const QList<SecondSample> &series)
{
    const qsizetype count = std::min<qsizetype>(series.size(), DrainWindowSamples);
    if (count == 0)
        return 0.0;
    double sum = 0.0;
    for (qsizetype i = series.size() - count; i < series.size(); ++i)
        sum += double(series.at(i).persisted);
    return sum / double(count);
}

qint64 secondsLeft(qint64 queueDepth, double drainPerSecond)
{
    if (queueDepth <= 0)
        return 0;
    if (drainPerSecond <= 0.0)
        return -1;
    return qint64(std::ceil(double(queueDepth) / drainPerSecond));
}

QString text(qint64 queueDepth, double drainPerSecond)
{
    const qint64 seconds = secondsLeft(queueDepth, drainPerSecond);
    if (seconds == 0)
        return QCoreApplication::translate("ClosingEstimate", "exact result any moment");
    // Nothing committed lately while votes wait: a stalled store. Saying "~∞ s" or a number
    // would invite the producer to wait for a reveal that may not come.
    if (seconds < 0)
        return QCoreApplication::translate("ClosingEstimate", "exact result delayed: store not committing");
    return QCoreApplication::translate("ClosingEstimate", "exact result in ~%1 s").arg(seconds);
}

} // namespace ClosingEstimate
