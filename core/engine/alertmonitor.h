#pragma once

#include <QList>
#include <QString>

// The alert rules over the engine's once-a-second figures: the queue filling up, votes refused
// with 503, the wall clock jumping against the steady clock. Pure logic, no timers, no I/O: the
// engine feeds it a tick a second and logs what it returns, tests feed it scripted ticks.
//
// Each rule raises once per episode and says when the episode is over, so a queue that stays
// full for a minute is one warning, not sixty.
class AlertMonitor final
{
public:
    static constexpr double QueueHighFraction = 0.8;  // warn above 80 % of the capacity
    static constexpr double QueueLowFraction = 0.5;   // all clear again below 50 % (no flapping)
    static constexpr qint64 ClockJumpMs = 2000;       // wall vs steady divergence that is a jump
    static constexpr qint64 OverloadQuietMs = 10'000; // 503s over once none came for this long

    struct Tick
    {
        qint64 wallMs = 0;      // Clock::nowMs()
        qint64 monotonicMs = 0; // Clock::monotonicMs()
        qint64 queueDepth = 0;
        qint64 queueCapacity = 0;   // 0 = unknown: no queue rule
        qint64 refused503Total = 0; // votes and connections answered 503 so far (any cause)
    };

    struct Alert
    {
        QString kind; // queue_high, queue_normal, overloaded, overload_ended, clock_jump
        QString detail;
    };

    QList<Alert> tick(const Tick &tick);

private:
    bool m_primed = false;
    qint64 m_offsetMs = 0; // wall - steady at the last tick
    bool m_queueHigh = false;
    qint64 m_refusedBaseline = 0;
    bool m_overloaded = false;
    qint64 m_overloadStartTotal = 0;
    qint64 m_last503AtMs = 0; // steady
};
