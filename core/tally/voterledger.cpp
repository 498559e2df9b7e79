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

VoterLedger::VoterLedger(VotePolicy policy)
    : m_policy(policy)
{}

void VoterLedger::reset(VotePolicy policy)
{
    m_policy = policy;
    m_voters.clear();
}

void VoterLedger::apply(QByteArrayView voter, std::uint32_t hash, int optionIndex, TallyCounts &into)
{
    const std::size_t option = std::size_t(optionIndex);
    ++into.raw[option];
    ++into.accepted;

    bool inserted = false;
    std::int16_t &current = m_voters.findOrInsert(voter, hash, &inserted);
    if (inserted) {
        current = std::int16_t(optionIndex);
        ++into.exact[option];
        ++into.uniqueVoters;
        return;
    }
    switch (m_policy) {
    case VotePolicy::LastWins:
        --into.exact[std::size_t(current)];
        ++into.exact[option];
        current = std::int16_t(optionIndex);
        break;
    case VotePolicy::FirstWins:
        break; // the first ballot stands
    case VotePolicy::Unlimited:
        ++into.exact[option];
        current = std::int16_t(optionIndex);
        break;
    }
}
