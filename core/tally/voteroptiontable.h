#pragma once

#include <cstdint>
#include <vector>

#include <QtGlobal>

// How many of a voter's votes counted for each option, for per-option caps (a voter may give
// an option at most N votes). Keyed by (voter id, option): the voter id is the one the voter's
// VoterTable hands out, so a voter id string is stored once, there.
//
// Memory: an entry is 8 bytes (voter id 4, count 2, option 1, in use 1) in an open-addressing
// table kept at most half full, so 16-32 bytes per (voter, option) pair with a count; nothing
// at all is allocated until the first entry (a ledger without option caps never has one).
// VoterLedger adds entries only for voters with more than one counted vote (a voter's first
// counted vote is held in the VoterTable's own 16-bit value), and most of a TV audience votes
// once: 10 M voters of whom 20 % vote again for two options on average make ~4 M pairs, about
// 100 MB, on top of the voter table's ~40 bytes per voter.
//
// Not thread-safe; one owner (the VoterLedger of a shard, or a recount).
class VoterOptionTable final
{
public:
    // Counts live in 16 bits; caps are at most 1000.
    std::uint16_t &findOrInsert(std::uint32_t voterId, int option); // a new entry counts 0
    std::uint16_t count(std::uint32_t voterId, int option) const;   // 0 when absent

    qsizetype size() const { return m_size; }
    std::size_t bytes() const { return m_slots.capacity() * sizeof(Slot); }
    void clear();

private:
    struct Slot
    {
        std::uint32_t voterId = 0;
        std::uint16_t count = 0;
        std::uint8_t option = 0;
        std::uint8_t used = 0;
    };
    static_assert(sizeof(Slot) == 8);

    static std::uint32_t hashOf(std::uint32_t voterId, int option);
    void grow();

    std::vector<Slot> m_slots; // a power of two in size, or empty
    qsizetype m_size = 0;
};
