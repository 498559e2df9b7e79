#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/rehearsal.h"

// The console's rehearsal traffic: the load generator's shapes and audience model, sent by
// its epoll sender over loopback HTTP to the console's own port. The votes take the same
// path as the audience's (HTTP parsing, connection limits, I/O threads, validation, queue,
// workers, group commit, 202 after the commit), so what the crew sees in the graphs,
// counters and alerts during a rehearsal is what a show would give them. Calling the vote
// handler directly would skip the HTTP layer and need a fake reply path.
//
// Threads: start/stop/status on the caller's (engine's) thread; the run on a thread of its
// own, which publishes its figures through atomics and the status mutex. The destructor
// stops and joins.
class LoopbackRehearsal final : public RehearsalTraffic
{
public:
    LoopbackRehearsal() = default;
    ~LoopbackRehearsal() override;
    LoopbackRehearsal(const LoopbackRehearsal &) = delete;
    LoopbackRehearsal &operator=(const LoopbackRehearsal &) = delete;

    bool start(const RehearsalTarget &target, const RehearsalPlan &plan, std::function<void()> finished,
               QString *error) override;
    void stop() override;
    RehearsalStatus status() const override;

private:
    void join();

    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_running{false};
    std::atomic<qint64> m_sent{0};
    std::atomic<qint64> m_accepted{0};
    std::atomic<qint64> m_refused{0};
    std::atomic<qint64> m_failed{0};
    mutable std::mutex m_mutex; // guards m_status's plan, session, start and error
    RehearsalStatus m_status;
};
