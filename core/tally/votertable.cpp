#include "tally/votertable.h"

#include <cstring>

#include <QHashFunctions>

namespace {
constexpr std::size_t kInitialSlots = 1024;
}

VoterTable::VoterTable()
    : m_slots(kInitialSlots)
{}

std::uint32_t VoterTable::hashOf(QByteArrayView voter)
{
    // Qt's seeded hash: the seed differs per process, so nobody can pick voter ids that all
    // land in one bucket (hash flooding). Nothing persists these values.
    const std::size_t h = qHashBits(voter.data(), std::size_t(voter.size()), QHashSeed::globalSeed());
    return std::uint32_t(h ^ (std::uint64_t(h) >> 32));
}

bool VoterTable::keyEquals(const Slot &slot, QByteArrayView voter) const
{
    return slot.keyLength == voter.size() &&
           std::memcmp(m_arena.data() + slot.keyOffset, voter.data(), std::size_t(voter.size())) == 0;
}

int VoterTable::find(QByteArrayView voter, std::uint32_t hash) const
{
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot &slot = m_slots[i];
        if (slot.keyLength == 0)
            return NoValue;
        if (slot.hash == hash && keyEquals(slot, voter))
            return slot.value;
    }
}

std::int16_t &VoterTable::findOrInsert(QByteArrayView voter, std::uint32_t hash, bool *inserted,
                                       std::uint32_t *voterId)
{
    Q_ASSERT(voter.size() > 0 && voter.size() < 256);
    // Keep the load below 1/2 so probe sequences stay short.
    if (std::size_t(m_size + 1) * 2 > m_slots.size())
        grow();
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        Slot &slot = m_slots[i];
        if (slot.keyLength == 0) {
            slot.hash = hash;
            slot.keyOffset = std::uint32_t(m_arena.size());
            slot.keyLength = std::uint8_t(voter.size());
            slot.value = NoValue;
            m_arena.insert(m_arena.end(), voter.data(), voter.data() + voter.size());
            ++m_size;
            *inserted = true;
            if (voterId)
                *voterId = slot.keyOffset;
            return slot.value;
        }
        if (slot.hash == hash && keyEquals(slot, voter)) {
            *inserted = false;
            if (voterId)
                *voterId = slot.keyOffset;
            return slot.value;
        }
    }
}

void VoterTable::grow()
{
    std::vector<Slot> old(m_slots.size() * 2);
    old.swap(m_slots);
    const std::size_t mask = m_slots.size() - 1;
    for (const Slot &slot : old) {
        if (slot.keyLength == 0)
            continue;
        std::size_t i = slot.hash & mask;
        while (m_slots[i].keyLength != 0)
            i = (i + 1) & mask;
        m_slots[i] = slot;
    }
}

void VoterTable::clear()
{
    m_slots.assign(kInitialSlots, Slot{});
    m_arena.clear();
    m_arena.shrink_to_fit();
    m_size = 0;
}
