#include "ingest/workerpool.h"

#include <bit>
#include <chrono>

#include <QByteArray>

#include "ingest/threadrole.h"

namespace {
// A worker that missed a wake-up while shards changed hands finds its work after at most
// this long; normally it is woken at once.
constexpr auto kSafetyWakeInterval = std::chrono::milliseconds(20);
} // namespace

WorkerPool::WorkerPool(IngestQueue &queue, WriterQueue &writer, int maxWorkers)
    : m_queue(queue)
    , m_writer(writer)
    , m_shards(new Shard[IngestQueue::ShardCount])
{
    const int count = qMax(1, maxWorkers);
    m_workers.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i)
        m_workers.push_back(std::make_unique<Worker>());
}

WorkerPool::~WorkerPool()
{
    stop();
}

void WorkerPool::start(int activeWorkers)
{
    m_stop.store(false);
    m_active.store(qBound(1, activeWorkers, maxWorkers()));
    for (int i = 0; i < maxWorkers(); ++i)
        m_workers[std::size_t(i)]->thread = std::thread([this, i] { run(i); });
}

void WorkerPool::stop()
{
    m_stop.store(true);
    {
        std::lock_guard lock(m_controlMutex);
        m_pauseRequested = false;
    }
    m_controlChanged.notify_all();
    wakeAll();
    for (auto &worker : m_workers) {
        if (worker->thread.joinable())
            worker->thread.join();
    }
}

void WorkerPool::setActiveWorkers(int n)
{
    m_active.store(qBound(1, n, maxWorkers()));
    wakeAll(); // owners changed: everyone looks again
}

VoterLedger &WorkerPool::ledger(int shard)
{
    return m_shards[shard].ledger;
}

qint64 WorkerPool::shardSession(int shard) const
{
    return m_shards[shard].sessionId;
}

void WorkerPool::resetShards(qint64 sessionId, int optionCount, const CountingRule &rule)
{
    for (int s = 0; s < IngestQueue::ShardCount; ++s) {
        m_shards[s].ledger.reset(rule);
        m_shards[s].sessionId = sessionId;
        m_shards[s].optionCount = optionCount;
    }
}

void WorkerPool::pause()
{
    std::unique_lock lock(m_controlMutex);
    m_pauseRequested = true;
    m_controlChanged.wait(lock, [this] { return m_working == 0; });
}

void WorkerPool::resume()
{
    {
        std::lock_guard lock(m_controlMutex);
        m_pauseRequested = false;
    }
    m_controlChanged.notify_all();
    wakeAll();
}

void WorkerPool::signal(Worker &worker)
{
    {
        std::lock_guard lock(worker.mutex);
        worker.signalled = true;
    }
    worker.wake.notify_one();
}

void WorkerPool::wakeAll()
{
    for (auto &worker : m_workers)
        signal(*worker);
}

void WorkerPool::wakeOwners(std::uint64_t shards)
{
    const int active = m_active.load(std::memory_order_relaxed);
    std::uint64_t owners = 0; // bit w = worker w (at most 64 get a bit; more wrap, harmlessly)
    while (shards != 0) {
        const int shard = std::countr_zero(shards);
        shards &= shards - 1;
        owners |= std::uint64_t(1) << ((shard % active) % 64);
    }
    while (owners != 0) {
        const int index = std::countr_zero(owners);
        owners &= owners - 1;
        Worker &owner = *m_workers[std::size_t(index)];
        // seq_cst pairs with the shard size store in IngestQueue::pushVote and with the worker
        // setting `sleeping` before it looks at its shards one last time.
        if (owner.sleeping.load(std::memory_order_seq_cst))
            signal(owner);
    }
}

bool WorkerPool::hasWork(int index, int active) const
{
    for (int s = index; s < IngestQueue::ShardCount; s += active) {
        if (m_queue.hasItems(s))
            return true;
    }
    return false;
}

void WorkerPool::run(int index)
{
    const QByteArray name = "vote-worker-" + QByteArray::number(index);
    becomeBackgroundPipelineThread(name.constData());
    Worker &self = *m_workers[std::size_t(index)];
    std::vector<IngestQueue::Item> scratch;
    while (!m_stop.load()) {
        const int active = m_active.load(std::memory_order_relaxed);
        if (index < active) {
            {
                std::unique_lock lock(m_controlMutex);
                m_controlChanged.wait(lock, [this] { return !m_pauseRequested || m_stop.load(); });
                if (m_stop.load())
                    break;
                ++m_working;
            }
            pass(index, active, scratch);
            {
                std::lock_guard lock(m_controlMutex);
                --m_working;
            }
            m_controlChanged.notify_all();
        }
        // Sleep unless there is work: announce sleeping first, then look once more, so a
        // producer either sees us asleep (and wakes us) or we see its vote.
        std::unique_lock lock(self.mutex);
        self.sleeping.store(true, std::memory_order_seq_cst);
        const int nowActive = m_active.load(std::memory_order_relaxed);
        if (!self.signalled && !m_stop.load() && !(index < nowActive && hasWork(index, nowActive)))
            self.wake.wait_for(lock, kSafetyWakeInterval,
                               [&self, this] { return self.signalled || m_stop.load(); });
        self.signalled = false;
        self.sleeping.store(false, std::memory_order_relaxed);
    }
}

void WorkerPool::flush(WorkBatch &batch)
{
    if (batch.votes.empty())
        return;
    m_writer.push(std::move(batch));
    batch = WorkBatch();
}

void WorkerPool::pass(int index, int active, std::vector<IngestQueue::Item> &scratch)
{
    WorkBatch batch;
    // Shards whose votes are in `batch`: held until the batch is with the writer, so a new
    // owner cannot push later votes of the same voters ahead of it.
    std::vector<int> held;
    for (int s = index; s < IngestQueue::ShardCount; s += active) {
        if (!m_queue.hasItems(s))
            continue;
        Shard &shard = m_shards[s];
        if (shard.busy.test_and_set(std::memory_order_acquire))
            continue; // the previous owner still holds it; it will be back in our next pass
        held.push_back(s);
        m_queue.take(s, scratch);
        for (IngestQueue::Item &item : scratch) {
            if (auto *vote = std::get_if<PendingVote>(&item)) {
                // A vote admitted for another session than the shard counts for cannot occur
                // (admission and the switch marker change together under the shard's lock).
                // If it ever did, it travels uncounted and the writer answers it, never stores it.
                const bool countable = vote->sessionId == shard.sessionId && vote->optionIndex >= 0 &&
                                       vote->optionIndex < shard.optionCount;
                const qint64 session = countable ? shard.sessionId : vote->sessionId;
                if (!batch.votes.empty() && (batch.sessionId != session || batch.counted != countable ||
                                             qsizetype(batch.votes.size()) >= m_maxBatchVotes))
                    flush(batch);
                if (batch.votes.empty()) {
                    batch.sessionId = session;
                    batch.counted = countable;
                    batch.delta.reset(countable ? shard.optionCount : 0);
                }
                if (countable)
                    shard.ledger.apply(vote->voter.view(), vote->voterHash, vote->optionIndex, batch.delta);
                batch.votes.push_back(std::move(*vote));
                continue;
            }
            const IngestQueue::Marker &marker = std::get<IngestQueue::Marker>(item);
            flush(batch);
            if (marker.kind == IngestQueue::Marker::Kind::SwitchSession) {
                shard.ledger.reset(marker.rule);
                shard.sessionId = marker.sessionId;
                shard.optionCount = marker.optionCount;
            } else {
                m_writer.push(MarkerPassed{marker, s});
            }
        }
    }
    flush(batch);
    for (int s : held)
        m_shards[s].busy.clear(std::memory_order_release);
}
