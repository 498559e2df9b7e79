#pragma once

#include <atomic>

#include <QtGlobal>

// Wall-clock time in milliseconds since the Unix epoch. Injected everywhere time decides
// something (window open/close, late votes), so tests move time instead of sleeping.
// nowMs() is called from several threads (I/O threads stamp requests), so implementations
// must be thread-safe.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 nowMs() const = 0;
    // A steady clock in milliseconds from an arbitrary origin: never stepped by NTP, an
    // operator or a suspend. Set against nowMs() it shows when the wall clock jumped (the
    // window's deadlines follow the wall clock, so the operator must hear of a jump).
    // The default follows nowMs(), so a clock that has no steady source reports no jumps.
    virtual qint64 monotonicMs() const { return nowMs(); }
};

class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override;
    qint64 monotonicMs() const override;
    static SystemClock &instance();
};

// A clock tests set by hand. Thread-safe (an atomic), so a test thread can move it while
// I/O threads read it.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(qint64 startMs = 1'700'000'000'000)
        : m_nowMs(startMs)
    {}
    qint64 nowMs() const override { return m_nowMs.load(std::memory_order_relaxed); }
    // Steady time moves with advanceMs() and setNowMs(), not with stepWallMs().
    qint64 monotonicMs() const override
    {
        return m_nowMs.load(std::memory_order_relaxed) - m_wallStepMs.load(std::memory_order_relaxed);
    }
    void setNowMs(qint64 ms) { m_nowMs.store(ms, std::memory_order_relaxed); }
    void advanceMs(qint64 ms) { m_nowMs.fetch_add(ms, std::memory_order_relaxed); }
    // The wall clock alone jumps (an NTP step, an operator setting the time).
    void stepWallMs(qint64 ms)
    {
        m_wallStepMs.fetch_add(ms, std::memory_order_relaxed);
        m_nowMs.fetch_add(ms, std::memory_order_relaxed);
    }

private:
    std::atomic<qint64> m_nowMs;
    std::atomic<qint64> m_wallStepMs{0};
};
