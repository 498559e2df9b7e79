#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include <QByteArray>
#include <QtGlobal>

// The keys seen most often in a stream, in bounded memory: the Space-Saving algorithm
// (Metwally, Agrawal, El Abbadi 2005). It keeps at most `capacity` counters; a new key
// when all are taken replaces the key with the smallest count and inherits that count as
// its possible overestimate (`error`). So every key that occurred more than N / capacity
// times is held, and a held key's true count lies in [count - error, count].
//
// Why this and not a count per key: a ballot stuffer rotates voter ids or addresses, so
// the number of distinct keys is whatever the attacker wants; the fraud panel needs the
// heavy ones only, and memory must not grow with the attack.
//
// Not thread-safe: one owner (FraudMonitor keeps one per shard under the shard's lock).
// The minimum is found on eviction only, by a search that remembers a lower bound of the counts
// and where it stopped (smallestIndex()): amortised a few steps, without keeping a heap or a
// stream-summary list in order on every increment.
class HeavyHitters final
{
public:
    struct Entry
    {
        std::uint64_t key = 0;
        QByteArray label;    // what the operator reads: the voter id or the address text
        qint64 count = 0;    // an upper bound of the true count
        qint64 error = 0;    // count - error is a lower bound
        qint64 rejected = 0; // of count, refused (approximate like count after an eviction)
    };

    explicit HeavyHitters(int capacity);

    // Counts one occurrence of key. `label` is copied only when the key is new to the table.
    void add(std::uint64_t key, QByteArrayView label, bool rejected = false);

    int capacity() const { return m_capacity; }
    int size() const { return int(m_entries.size()); }
    qint64 total() const { return m_total; }
    // The held entries by guaranteed count (count - error), then count, highest first (ties by
    // key, so the order is stable).
    std::vector<Entry> top(int limit) const;
    void clear();

private:
    // The index of an entry with the smallest count (table full).
    std::size_t smallestIndex();

    const int m_capacity;
    qint64 m_total = 0;
    std::vector<Entry> m_entries;                        // at most m_capacity
    std::unordered_map<std::uint64_t, int> m_indexByKey; // key -> index into m_entries
    qint64 m_minCount = 0;                               // no held count is below it (see smallestIndex())
    std::size_t m_cursor = 0;                            // where the next search for the smallest starts
};
