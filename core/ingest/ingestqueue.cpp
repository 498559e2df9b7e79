#include "ingest/ingestqueue.h"

namespace {
// The shards a batching producer thread pushed into since its last flushWakeups(), and for
// which queue (an I/O thread serves one server, but tests run several engines in one process).
struct DeferredWakeups
{
    const IngestQueue *queue = nullptr;
    std::uint64_t shards = 0;
};
thread_local DeferredWakeups t_deferred;
static_assert(IngestQueue::ShardCount <= 64, "one bit per shard");
} // namespace

IngestQueue::IngestQueue(qsizetype capacity)
    : m_capacity(capacity)
{}

void IngestQueue::setWakeHandler(std::function<void(std::uint64_t shards)> wake)
{
    m_wake = std::move(wake);
}

IngestQueue::PushResult IngestQueue::pushVote(PendingVote &&vote)
{
    if (m_refuseAll.load(std::memory_order_relaxed))
        return PushResult::Full;
    const int index = shardOf(vote.voterHash);
    Shard &shard = m_shards[index];
    {
        std::lock_guard lock(shard.mutex);
        const Admission &admission = shard.admission;
        // The canary is not a vote of any session: no window admits or refuses it, only the
        // capacity does (it must see what a vote sees: a full pipeline, a failing store).
        if (vote.isCanary()) {
        } else if (vote.sessionId != admission.sessionId) {
            // A vote for a session that is no longer current: that session stopped taking votes.
            return PushResult::WindowClosed;
        } else {
            switch (admission.state) {
            case WindowState::Draft:
            case WindowState::Ready:
                return PushResult::WindowNotOpen;
            case WindowState::Open:
                if (vote.receivedAtMs < admission.acceptFromMs)
                    return PushResult::WindowNotOpen;
                if (vote.receivedAtMs >= admission.acceptUntilMs)
                    return PushResult::WindowClosed;
                break;
            case WindowState::Closing:
            case WindowState::Closed:
            case WindowState::Final:
                return PushResult::WindowClosed;
            }
        }
        if (m_depth.fetch_add(1, std::memory_order_relaxed) >= m_capacity) {
            m_depth.fetch_sub(1, std::memory_order_relaxed);
            return PushResult::Full;
        }
        if (shard.items.empty())
            shard.oldestNs.store(vote.receivedNs, std::memory_order_relaxed);
        shard.items.emplace_back(std::move(vote));
        // seq_cst pairs with the worker's sleeping flag (see WorkerPool): either the worker
        // sees this size, or we see it asleep and wake it.
        shard.size.store(int(shard.items.size()), std::memory_order_seq_cst);
    }
    if (t_deferred.queue == this)
        t_deferred.shards |= std::uint64_t(1) << index;
    else if (m_wake)
        m_wake(std::uint64_t(1) << index);
    return PushResult::Accepted;
}

void IngestQueue::setAdmission(const Admission &admission, std::optional<Marker> marker)
{
    {
        std::lock_guard lock(m_admissionMutex);
        m_admission = admission;
    }
    for (int index = 0; index < ShardCount; ++index) {
        Shard &shard = m_shards[index];
        {
            std::lock_guard lock(shard.mutex);
            shard.admission = admission;
            if (!marker)
                continue;
            shard.items.emplace_back(*marker);
            shard.size.store(int(shard.items.size()), std::memory_order_seq_cst);
        }
    }
    if (marker && m_wake)
        m_wake(~std::uint64_t(0));
}

void IngestQueue::flushWakeups()
{
    if (t_deferred.queue != this) {
        t_deferred.queue = this;
        t_deferred.shards = 0;
        return;
    }
    const std::uint64_t shards = t_deferred.shards;
    t_deferred.shards = 0;
    if (shards != 0 && m_wake)
        m_wake(shards);
}

IngestQueue::Admission IngestQueue::admission() const
{
    std::lock_guard lock(m_admissionMutex);
    return m_admission;
}

qsizetype IngestQueue::take(int index, std::vector<Item> &out)
{
    out.clear();
    Shard &shard = m_shards[index];
    {
        std::lock_guard lock(shard.mutex);
        out.swap(shard.items); // the shard keeps the (empty) buffer we bring, so no reallocation churn
        shard.size.store(0, std::memory_order_relaxed);
        shard.oldestNs.store(0, std::memory_order_relaxed);
    }
    qsizetype votes = 0;
    for (const Item &item : out)
        votes += std::holds_alternative<PendingVote>(item) ? 1 : 0;
    return votes;
}

bool IngestQueue::hasItems(int index) const
{
    return m_shards[index].size.load(std::memory_order_seq_cst) > 0;
}

qint64 IngestQueue::oldestAgeNs(qint64 nowNs) const
{
    qint64 oldest = 0;
    for (const Shard &shard : m_shards) {
        const qint64 at = shard.oldestNs.load(std::memory_order_relaxed);
        if (at != 0 && (oldest == 0 || at < oldest))
            oldest = at;
    }
    return oldest == 0 ? 0 : qMax<qint64>(0, nowNs - oldest);
}
