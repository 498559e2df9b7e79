#include "tally/voterledger.h"

TallyCounts::TallyCounts(int optionCount)
    : raw(std::size_t(optionCount), 0)
    , exact(std::size_t(optionCount), 0)
{}

void TallyCounts::reset(int optionCount)
{
    raw.assign(std::size_t(optionCount), 0);
    exact.assign(std::size_t(optionCount), 0);
    accepted = 0;
    uniqueVoters = 0;
}

void TallyCounts::add(const TallyCounts &delta)
{
    if (raw.size() < delta.raw.size()) {
        raw.resize(delta.raw.size(), 0);
        exact.resize(delta.exact.size(), 0);
    }
    for (std::size_t i = 0; i < delta.raw.size(); ++i) {
        raw[i] += delta.raw[i];
        exact[i] += delta.exact[i];
    }
    accepted += delta.accepted;
    uniqueVoters += delta.uniqueVoters;
}

namespace {
constexpr int kOptionBits = 6; // SessionDefinition::MaxOptions is 64
constexpr std::uint16_t kOptionMask = (1u << kOptionBits) - 1;
static_assert(CountingRule::MaxVoteCap < (1 << (16 - kOptionBits)), "the counted votes must fit in 10 bits");

std::int16_t pack(int firstOption, int counted)
{
    return std::int16_t(std::uint16_t((counted << kOptionBits) | (firstOption & kOptionMask)));
}
} // namespace

VoterLedger::VoterLedger(CountingRule rule)
{
    reset(rule);
}

void VoterLedger::reset(CountingRule rule)
{
    Q_ASSERT_X(rule.validate().isEmpty(), "VoterLedger", "an invalid counting rule");
    m_rule = rule;
    m_optionCap = rule.effectiveOptionCap();
    m_packed = rule.policy == VotePolicy::Capped || m_optionCap > 0;
    m_voters.clear();
    m_optionCounts.clear();
}

void VoterLedger::apply(QByteArrayView voter, std::uint32_t hash, int optionIndex, TallyCounts &into)
{
    const std::size_t option = std::size_t(optionIndex);
    ++into.raw[option];
    ++into.accepted;

    bool inserted = false;
    std::uint32_t voterId = 0;
    std::int16_t &current = m_voters.findOrInsert(voter, hash, &inserted, &voterId);
    if (inserted) {
        // A voter's first vote counts under every rule (caps are at least 1).
        current = m_packed ? pack(optionIndex, 1) : std::int16_t(optionIndex);
        ++into.exact[option];
        ++into.uniqueVoters;
        return;
    }
    if (m_packed) {
        applyCapped(current, voterId, optionIndex, into);
        return;
    }
    switch (m_rule.policy) {
    case VotePolicy::LastWins:
        --into.exact[std::size_t(current)];
        ++into.exact[option];
        current = std::int16_t(optionIndex);
        break;
    case VotePolicy::FirstWins:
        break; // the first ballot stands
    case VotePolicy::Unlimited:
    case VotePolicy::Capped: // (packed: handled above)
        ++into.exact[option];
        current = std::int16_t(optionIndex);
        break;
    }
}

void VoterLedger::applyCapped(std::int16_t &value, std::uint32_t voterId, int optionIndex, TallyCounts &into)
{
    const auto packed = std::uint16_t(value);
    const int firstOption = packed & kOptionMask;
    int counted = packed >> kOptionBits;
    if (m_rule.policy == VotePolicy::Capped && counted >= m_rule.voteCap)
        return; // the voter's N votes are in
    if (m_optionCap > 0) {
        if (counted == 1) {
            // Only the first counted vote so far, held in the value itself.
            if ((optionIndex == firstOption ? 1 : 0) >= m_optionCap)
                return;
            // A second vote counts: from now on the side table holds this voter's counts.
            m_optionCounts.findOrInsert(voterId, firstOption) = 1;
            ++m_optionCounts.findOrInsert(voterId, optionIndex);
        } else {
            std::uint16_t &forOption = m_optionCounts.findOrInsert(voterId, optionIndex);
            if (forOption >= m_optionCap)
                return;
            ++forOption;
        }
    }
    ++into.exact[std::size_t(optionIndex)];
    // Capped stays within its N (at most 1000); unlimited only needs to know "more than one".
    if (counted < CountingRule::MaxVoteCap)
        ++counted;
    value = pack(firstOption, counted);
}
