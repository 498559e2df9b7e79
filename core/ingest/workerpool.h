#pragma once

#include <atomic>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ingest/ingestqueue.h"
#include "ingest/writerqueue.h"
#include "tally/voterledger.h"

// The workers between the ingest queue and the journal writer. The voter space is cut into
// IngestQueue::ShardCount shards; each shard's dedup state (a VoterLedger) is owned by one
// worker at a time, so counting a vote needs no shared lock. With n active workers, worker i
// owns the shards s with s % n == i. The orchestrator changes n; a shard then changes hands
// at a clean point (its busy flag: the old owner finishes and hands its batch to the writer
// before the new owner may take the shard), so each voter's votes keep their order.
//
// A worker drains the shards it owns, applies each vote to the shard's ledger (which yields
// the vote's effect on the raw and exact tallies), and hands the votes with that effect to
// the writer as one WorkBatch per pass. Markers are passed on in order.
//
// Threads: one std::thread per worker (up to maxWorkers, idle ones sleep). Ledgers are
// touched only by the worker holding the shard, or by a caller while the pool is paused.
class WorkerPool final
{
public:
    WorkerPool(IngestQueue &queue, WriterQueue &writer, int maxWorkers);
    ~WorkerPool();
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    void start(int activeWorkers);
    void stop();

    void setActiveWorkers(int n); // clamped to 1..maxWorkers
    // Before start(): a WorkBatch holds at most this many votes (the journal writer's group
    // commit size, so a burst a worker takes in one pass is still committed in groups of
    // that size). At least 1.
    void setMaxBatchVotes(qsizetype n) { m_maxBatchVotes = qMax<qsizetype>(1, n); }
    int activeWorkers() const { return m_active.load(std::memory_order_relaxed); }
    int maxWorkers() const { return int(m_workers.size()); }

    // Stops every worker at a clean point (no shard held, every batch handed to the writer)
    // and returns; until resume() the caller may use ledger() and resetShards().
    void pause();
    void resume();

    // Only while paused or before start(): the shard's ledger and the session it counts for.
    VoterLedger &ledger(int shard);
    void resetShards(qint64 sessionId, int optionCount, const CountingRule &rule);
    qint64 shardSession(int shard) const;

    // The queue calls this after pushes into shards (bit i = shard i): wakes each owner that
    // sleeps, once.
    void wakeOwners(std::uint64_t shards);

private:
    struct alignas(64) Shard
    {
        std::atomic_flag busy;
        VoterLedger ledger;
        qint64 sessionId = 0;
        int optionCount = 0;
    };

    struct alignas(64) Worker
    {
        std::thread thread;
        std::mutex mutex;
        std::condition_variable wake;
        std::atomic<bool> sleeping{false};
        bool signalled = false; // guarded by mutex
    };

    void run(int index);
    bool hasWork(int index, int active) const;
    void pass(int index, int active, std::vector<IngestQueue::Item> &scratch);
    void flush(WorkBatch &batch);
    void signal(Worker &worker);
    void wakeAll();

    IngestQueue &m_queue;
    WriterQueue &m_writer;
    std::vector<std::unique_ptr<Worker>> m_workers;
    std::unique_ptr<Shard[]> m_shards;
    std::atomic<int> m_active{1};
    qsizetype m_maxBatchVotes = std::numeric_limits<qsizetype>::max();
    std::atomic<bool> m_stop{false};

    // Pause protocol. Locking rule: m_controlMutex guards m_pauseRequested and m_working.
    std::mutex m_controlMutex;
    std::condition_variable m_controlChanged;
    bool m_pauseRequested = false;
    int m_working = 0;
};
