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
};

class SystemClock final : public Clock
{
public:
    qint64 nowMs() const override;
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
    void setNowMs(qint64 ms) { m_nowMs.store(ms, std::memory_order_relaxed); }
    void advanceMs(qint64 ms) { m_nowMs.fetch_add(ms, std::memory_order_relaxed); }

private:
    std::atomic<qint64> m_nowMs;
};
