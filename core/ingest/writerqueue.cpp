#include "ingest/writerqueue.h"

#include <chrono>

void WriterQueue::push(Item item)
{
    {
        std::lock_guard lock(m_mutex);
        if (const auto *batch = std::get_if<WorkBatch>(&item))
            m_votes += qsizetype(batch->votes.size());
        m_items.push_back(std::move(item));
    }
    m_wake.notify_one();
}

std::vector<WriterQueue::Item> WriterQueue::pop(qsizetype maxVotes, int windowMs, int idleTimeoutMs)
{
    using Clock = std::chrono::steady_clock;
    std::vector<Item> out;
    std::unique_lock lock(m_mutex);
    if (!m_wake.wait_for(lock, std::chrono::milliseconds(idleTimeoutMs),
                         [this] { return !m_items.empty() || m_shutdown; })) {
        return out;
    }
    qsizetype taken = 0;
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(windowMs);
    for (;;) {
        while (!m_items.empty() && taken < maxVotes) {
            Item &front = m_items.front();
            const auto *batch = std::get_if<WorkBatch>(&front);
            if (batch) {
                // A batch is never split (its delta is one); one that does not fit waits for
                // the next group, unless the group is still empty.
                if (taken > 0 && qsizetype(batch->votes.size()) > maxVotes - taken)
                    return out;
                taken += qsizetype(batch->votes.size());
                m_votes -= qsizetype(batch->votes.size());
            }
            out.push_back(std::move(front));
            m_items.pop_front();
            if (!batch)
                return out; // a command or marker closes the group
        }
        if (taken >= maxVotes || windowMs <= 0 || m_shutdown)
            return out;
        // Fewer than maxVotes in hand: give the group until the window closes.
        if (!m_wake.wait_until(lock, deadline, [this] { return !m_items.empty() || m_shutdown; }))
            return out;
    }
}

void WriterQueue::shutdown()
{
    {
        std::lock_guard lock(m_mutex);
        m_shutdown = true;
    }
    m_wake.notify_all();
}

bool WriterQueue::isShutdown() const
{
    std::lock_guard lock(m_mutex);
    return m_shutdown;
}

qsizetype WriterQueue::votesWaiting() const
{
    std::lock_guard lock(m_mutex);
    return m_votes;
}
