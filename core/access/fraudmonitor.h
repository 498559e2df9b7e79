#pragma once

#include <array>
#include <mutex>

#include <QByteArrayView>
#include <QList>
#include <QString>

#include "access/clientaddress.h"
#include "access/heavyhitters.h"

// What the fraud panel and GET /v1/admin/fraud show: the heaviest voter ids and client
// addresses of the current session, votes per second, and the share refused.
struct FraudSnapshot
{
    struct Row
    {
        QString key;         // voter id or address
        qint64 count = 0;    // vote requests, an upper bound (Space-Saving)
        qint64 error = 0;    // count - error is a lower bound
        qint64 rejected = 0; // of count, refused
    };
    QList<Row> topVoters;
    QList<Row> topAddresses;
    qint64 total = 0;    // vote requests seen since the session started here
    qint64 rejected = 0; // of which refused (any status but 202)
    // Vote requests per second over the last kSecondsKept seconds, oldest first; the newest
    // second is still being counted.
    QList<qint64> perSecond;
    qint64 peakPerSecond = 0; // the highest of perSecond
    double rejectedShare() const { return total > 0 ? double(rejected) / double(total) : 0.0; }
};

// Counts vote requests by voter id and by client address, in bounded memory, for spotting
// ballot stuffing while the lines are open.
//
// Threads: record() is called by every I/O thread at once (VoteHandler). The key space is cut
// into kShardCount shards by the address's hash; each shard owns its sketches and its seconds
// under its own mutex, held for a few increments (no allocation once a key is held, no other
// lock, no call out). snapshot() and reset() come from the engine's or the UI's thread and take
// the shard locks one at a time, so a reader never stalls ingest for more than one shard's
// copy. Nothing is ever signalled per vote: the console polls snapshot() on its timer.
//
// Memory: kShardCount x (2 x kKeysPerShard entries + kSecondsKept counters), fixed. A voter id
// is counted in the shard of its request's address; a stuffer behind one address therefore
// lands in one shard, and one rotating addresses spreads over all of them — either way the
// heavy keys of each shard are kept (Space-Saving per shard), and the merge shows them.
class FraudMonitor final
{
public:
    static constexpr int kShardCount = 16;
    static constexpr int kKeysPerShard = 64;
    static constexpr int kSecondsKept = 60;

    FraudMonitor();
    Q_DISABLE_COPY_MOVE(FraudMonitor)

    // One vote request: its voter id (empty when it was refused before the id was read), its
    // client address, whether it was refused, and when (a monotonic clock, ms).
    void record(QByteArrayView voter, const IpAddress &address, bool rejected, qint64 steadyMs);

    FraudSnapshot snapshot(int limit, qint64 steadyMs) const;
    // A new session starts counting from zero.
    void reset();

private:
    struct alignas(64) Shard
    {
        mutable std::mutex mutex;
        HeavyHitters voters{kKeysPerShard};
        HeavyHitters addresses{kKeysPerShard};
        qint64 total = 0;
        qint64 rejected = 0;
        std::array<qint64, kSecondsKept> secondOfSlot{}; // which second each slot counts
        std::array<qint64, kSecondsKept> countOfSlot{};
    };

    std::array<Shard, kShardCount> m_shards;
};
