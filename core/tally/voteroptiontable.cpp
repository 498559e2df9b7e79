#include "tally/voteroptiontable.h"

namespace {
constexpr std::size_t kInitialSlots = 256;
}

std::uint32_t VoterOptionTable::hashOf(std::uint32_t voterId, int option)
{
    // The ids are arena offsets, dense and in insertion order: mix them well (MurmurHash3's
    // finaliser) so that linear probing sees them spread.
    std::uint64_t h = (std::uint64_t(voterId) << 8) | std::uint64_t(option & 0xff);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return std::uint32_t(h);
}

std::uint16_t VoterOptionTable::count(std::uint32_t voterId, int option) const
{
    if (m_slots.empty())
        return 0;
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = hashOf(voterId, option) & mask;; i = (i + 1) & mask) {
        const Slot &slot = m_slots[i];
        if (!slot.used)
            return 0;
        if (slot.voterId == voterId && slot.option == std::uint8_t(option))
            return slot.count;
    }
}

std::uint16_t &VoterOptionTable::findOrInsert(std::uint32_t voterId, int option)
{
    Q_ASSERT(option >= 0 && option < 256);
    // At most half full: probe sequences stay short.
    if (std::size_t(m_size + 1) * 2 > m_slots.size())
        grow();
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = hashOf(voterId, option) & mask;; i = (i + 1) & mask) {
        Slot &slot = m_slots[i];
        if (!slot.used) {
            slot.voterId = voterId;
            slot.option = std::uint8_t(option);
            slot.count = 0;
            slot.used = 1;
            ++m_size;
            return slot.count;
        }
        if (slot.voterId == voterId && slot.option == std::uint8_t(option))
            return slot.count;
    }
}

void VoterOptionTable::grow()
{
    std::vector<Slot> old(m_slots.empty() ? kInitialSlots : m_slots.size() * 2);
    old.swap(m_slots);
    const std::size_t mask = m_slots.size() - 1;
    for (const Slot &slot : old) {
        if (!slot.used)
            continue;
        std::size_t i = hashOf(slot.voterId, slot.option) & mask;
        while (m_slots[i].used)
            i = (i + 1) & mask;
        m_slots[i] = slot;
    }
}

void VoterOptionTable::clear()
{
    m_slots.clear();
    m_slots.shrink_to_fit();
    m_size = 0;
}
