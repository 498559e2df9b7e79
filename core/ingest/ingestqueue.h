#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "ingest/pendingvote.h"
#include "session/sessiondefinition.h"
#include "session/votingwindow.h"

// The bounded queue between the I/O threads (producers) and the worker pool, sharded by
// voter hash: each shard has its own inbox and lock, so producers on different I/O threads
// rarely meet, and all votes of one voter go through one shard in order (which is what
// lets a worker that owns the shard keep that voter's dedup state without locks).
//
// It is also where the window decides: every shard checks admission (which session takes
// votes, until when) under the lock that appends, and a window change is applied to each
// shard under its lock together with a marker. So a vote is either in a shard before the
// close marker (it was admitted and will be counted while the window drains) or refused after
// it — never both, never lost in between.
//
// Locking rule: each Shard::mutex guards that shard's items and admission only; nothing else
// is done while holding it. m_depth (all shards) is an atomic, so capacity is global.
class IngestQueue final
{
public:
    static constexpr int ShardCount = 64;

    struct Admission
    {
        qint64 sessionId = 0;
        WindowState state = WindowState::Ready;
        qint64 acceptFromMs = 0;  // opened at
        qint64 acceptUntilMs = 0; // exclusive
    };

    enum class PushResult
    {
        Accepted = 1,
        Full,          // 503 overloaded + Retry-After
        WindowNotOpen, // 409 window_not_open
        WindowClosed   // 409 window_closed (late)
    };

    // Travels through every shard, in order with the votes around it.
    struct Marker
    {
        enum class Kind
        {
            Barrier = 1,   // the writer is told once every shard's marker reached it
            SwitchSession, // the shard's ledger starts over for this session
        };
        Kind kind = Kind::Barrier;
        quint64 id = 0;
        qint64 sessionId = 0;
        int optionCount = 0;
        CountingRule rule; // the new session's counting rule (SwitchSession)
    };

    using Item = std::variant<PendingVote, Marker>;

    explicit IngestQueue(qsizetype capacity);

    // Producer side (any I/O thread). vote.voterHash must be set.
    PushResult pushVote(PendingVote &&vote);
    // Called after votes land in shards (bit i = shard i; the pool wakes the owners that
    // sleep). Set once before producers start.
    void setWakeHandler(std::function<void(std::uint64_t shards)> wake);
    // For producers that work in rounds (an I/O thread handling a batch of socket events):
    // call this at the end of each round. From then on that thread's pushes only note which
    // shards got votes, and the owners are woken here, once per round, instead of once per
    // vote. A worker woken per vote preempts the I/O thread on a shared core and counts one
    // vote per wake-up; woken per round, it finds the whole round's votes.
    void flushWakeups();

    // Shutting down: every vote is refused as Full (503 + Retry-After: try again shortly,
    // perhaps on another node) instead of being admitted into a pipeline that is stopping.
    void refuseAll(bool refuse) { m_refuseAll.store(refuse, std::memory_order_relaxed); }

    // Control side (the engine): new admission in every shard, with the marker after the votes
    // admitted under the old rule.
    void setAdmission(const Admission &admission, std::optional<Marker> marker = std::nullopt);
    Admission admission() const;

    // Consumer side (workers): moves the shard's items into `out` (which is cleared first).
    // Returns the number of votes taken. They still count against the capacity until
    // release(): a vote holds its place from admission until it is answered, so the bound
    // covers the whole pipeline, not just this first stage.
    qsizetype take(int shard, std::vector<Item> &out);
    // The writer answered `votes` votes (202, or an error).
    void release(qsizetype votes) { m_depth.fetch_sub(votes, std::memory_order_relaxed); }
    bool hasItems(int shard) const;
    // Age of the oldest vote waiting in any shard (steady clock), 0 when empty.
    qint64 oldestAgeNs(qint64 nowNs) const;

    // Votes admitted and not answered yet, anywhere in the pipeline.
    qsizetype depth() const { return m_depth.load(std::memory_order_relaxed); }
    qsizetype capacity() const { return m_capacity; }

    static int shardOf(std::uint32_t voterHash) { return int(voterHash % ShardCount); }

private:
    struct alignas(64) Shard
    {
        mutable std::mutex mutex;
        std::vector<Item> items;
        Admission admission;
        std::atomic<int> size{0};        // items, readable without the lock
        std::atomic<qint64> oldestNs{0}; // receivedNs of the first vote queued since the last take
    };

    const qsizetype m_capacity;
    std::atomic<qsizetype> m_depth{0};
    std::atomic<bool> m_refuseAll{false};
    std::function<void(std::uint64_t)> m_wake;
    mutable std::mutex m_admissionMutex; // guards m_admission (the copy readers ask for)
    Admission m_admission;
    Shard m_shards[ShardCount];
};
