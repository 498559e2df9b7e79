#pragma once

#include <vector>

#include <QByteArrayView>

#include "session/sessiondefinition.h"
#include "tally/votertable.h"

// Counts of one session, or the change a group of votes makes to them. Indexed like the
// session's options.
struct TallyCounts
{
    std::vector<qint64> raw;
    std::vector<qint64> exact;
    qint64 accepted = 0;     // votes counted raw
    qint64 uniqueVoters = 0; // voters seen for the first time

    explicit TallyCounts(int optionCount = 0);
    void reset(int optionCount);
    void add(const TallyCounts &delta);
    bool isEmpty() const { return accepted == 0; }
};

// The counting rule of DESIGN.md §3 for a set of voters: remembers which option counts for
// each voter and turns every vote into its effect on the raw and exact tallies. Votes of one
// voter must be applied in log order. Not thread-safe: the pipeline shards voters by hash
// and gives each shard its own ledger, owned by one worker at a time.
class VoterLedger final
{
public:
    explicit VoterLedger(VotePolicy policy = VotePolicy::LastWins);

    void apply(QByteArrayView voter, std::uint32_t hash, int optionIndex, TallyCounts &into);
    void apply(QByteArrayView voter, int optionIndex, TallyCounts &into)
    {
        apply(voter, VoterTable::hashOf(voter), optionIndex, into);
    }

    void reset(VotePolicy policy);
    VotePolicy policy() const { return m_policy; }
    qsizetype voterCount() const { return m_voters.size(); }

private:
    VotePolicy m_policy;
    VoterTable m_voters;
};
