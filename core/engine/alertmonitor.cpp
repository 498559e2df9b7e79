#include "engine/alertmonitor.h"

#include <cstdlib>

#include <QDateTime>

using namespace Qt::Literals::StringLiterals;

namespace {
QString signedSeconds(qint64 ms)
{
    return u"%1%2 s"_s.arg(ms >= 0 ? u"+"_s : QString()).arg(double(ms) / 1000.0, 0, 'f', 1);
}
} // namespace

QList<AlertMonitor::Alert> AlertMonitor::tick(const Tick &tick)
{
    QList<Alert> alerts;
    const qint64 offset = tick.wallMs - tick.monotonicMs;
    if (!m_primed) {
        m_primed = true;
        m_offsetMs = offset;
        m_refusedBaseline = tick.refused503Total;
    }

    // Clock: between two ticks both clocks advanced by about a second; if the wall clock moved
    // by more than ClockJumpMs more (or less) than the steady one, someone or something set it.
    const qint64 jump = offset - m_offsetMs;
    if (std::abs(jump) > ClockJumpMs) {
        alerts.append(
            {u"clock_jump"_s,
             u"the system clock jumped by %1 (now %2): the countdown follows the new time"_s.arg(
                 signedSeconds(jump), QDateTime::fromMSecsSinceEpoch(tick.wallMs).toString(u"HH:mm:ss"_s))});
    }
    m_offsetMs = offset;

    if (tick.queueCapacity > 0) {
        const double fill = double(tick.queueDepth) / double(tick.queueCapacity);
        if (!m_queueHigh && fill > QueueHighFraction) {
            m_queueHigh = true;
            alerts.append(
                {u"queue_high"_s, u"queue at %1 % (%2 of %3 votes): new votes get 503 when it is full"_s
                                      .arg(qRound(fill * 100))
                                      .arg(tick.queueDepth)
                                      .arg(tick.queueCapacity)});
        } else if (m_queueHigh && fill < QueueLowFraction) {
            m_queueHigh = false;
            alerts.append({u"queue_normal"_s, u"queue back to %1 %"_s.arg(qRound(fill * 100))});
        }
    }

    // A new session starts its counters at zero: a smaller total is a new baseline.
    if (tick.refused503Total < m_refusedBaseline)
        m_refusedBaseline = tick.refused503Total;
    const qint64 fresh = tick.refused503Total - m_refusedBaseline;
    m_refusedBaseline = tick.refused503Total;
    if (fresh > 0) {
        m_last503AtMs = tick.monotonicMs;
        if (!m_overloaded) {
            m_overloaded = true;
            m_overloadStartTotal = tick.refused503Total - fresh;
            alerts.append(
                {u"overloaded"_s, u"%1 requests refused with 503 in the last second: the audience is "
                                  u"told to retry"_s.arg(fresh)});
        }
    } else if (m_overloaded && tick.monotonicMs - m_last503AtMs >= OverloadQuietMs) {
        m_overloaded = false;
        alerts.append(
            {u"overload_ended"_s, u"no 503 for %1 s; %2 refused in all"_s.arg(OverloadQuietMs / 1000)
                                      .arg(tick.refused503Total - m_overloadStartTotal)});
    }
    return alerts;
}
