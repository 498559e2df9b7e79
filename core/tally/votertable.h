#pragma once

#include <cstdint>
#include <vector>

#include <QByteArrayView>

// Who voted what, for millions of voters: an open-addressing hash table from voter id to
// the option that currently counts for them. Voter ids are stored once in an arena, so an
// entry costs 12 bytes plus the id, and a lookup allocates nothing (a QHash<QString, int>
// costs ~100 bytes and two allocations per voter). Entries are never removed: a session's
// voters only grow, and a new session starts a new table.
//
// Not thread-safe; one owner (a worker's shard, or a recount).
class VoterTable final
{
public:
    static constexpr int NoValue = -1;

    VoterTable();

    // The value slot of `voter`, inserting it with NoValue if absent. *inserted tells which.
    // `hash` must be the same function of the id for every call (callers shard by it too).
    // The reference stays valid until the next insert. *voterId (when asked) is a number
    // that names this voter in this table for good (its place in the id arena), for side
    // tables keyed by voter: slots move when the table grows, ids never do.
    std::int16_t &findOrInsert(QByteArrayView voter, std::uint32_t hash, bool *inserted,
                               std::uint32_t *voterId = nullptr);
    // NoValue if absent.
    int find(QByteArrayView voter, std::uint32_t hash) const;

    qsizetype size() const { return m_size; }
    void clear();

    static std::uint32_t hashOf(QByteArrayView voter);

private:
    struct Slot
    {
        std::uint32_t hash = 0;
        std::uint32_t keyOffset = 0;
        std::uint8_t keyLength = 0; // 0 = empty slot (voter ids are 1..64 bytes)
        std::int16_t value = NoValue;
    };

    bool keyEquals(const Slot &slot, QByteArrayView voter) const;
    void grow();

    std::vector<Slot> m_slots;
    std::vector<char> m_arena;
    qsizetype m_size = 0;
};
