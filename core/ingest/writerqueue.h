#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <variant>
#include <vector>

#include <QString>

#include "ingest/ingestqueue.h"
#include "ingest/pendingvote.h"
#include "tally/voterledger.h"

// Votes a worker has counted (into its shards' ledgers) and hands to the journal writer:
// `delta` is their effect on the session's tallies, applied to the published tally only
// once the votes are committed.
struct WorkBatch
{
    qint64 sessionId = 0;
    bool counted = true; // false: not applied to any ledger; the writer refuses these votes
    std::vector<PendingVote> votes;
    TallyCounts delta;
};

// Work for the journal writer other than votes (save a session, switch the live tally...).
// Runs on the writer thread, in queue order with the batches around it.
struct WriterCommand
{
    QString what; // for logs and errors
    std::function<void()> run;
};

// A shard's marker has passed its worker: everything of that shard before it is ahead of
// this item in the writer queue.
struct MarkerPassed
{
    IngestQueue::Marker marker;
    int shard = 0;
};

// The queue into the journal writer: many producers (workers, the engine), one consumer.
// Locking rule: m_mutex guards m_items and m_votes only; producers hold it for one push of a
// whole batch, never per vote.
class WriterQueue final
{
public:
    using Item = std::variant<WorkBatch, WriterCommand, MarkerPassed>;

    void push(Item item);

    // Writer side. Waits up to idleTimeoutMs for the first item. Then takes items until
    // maxVotes votes are taken or a command/marker is taken (it ends the group, which is
    // committed before the command runs); while fewer than maxVotes votes are in hand it
    // waits for more until windowMs after the first one (the group-commit window). Batches
    // are taken whole: a group never holds more than maxVotes votes, except when its first
    // batch alone is larger.
    // Returns empty on timeout or when shut down and empty.
    std::vector<Item> pop(qsizetype maxVotes, int windowMs, int idleTimeoutMs);

    void shutdown();
    bool isShutdown() const;
    qsizetype votesWaiting() const;

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Item> m_items;
    qsizetype m_votes = 0;
    bool m_shutdown = false;
};
