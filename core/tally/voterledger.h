#pragma once

#include <vector>

#include <QByteArrayView>

#include "session/sessiondefinition.h"
#include "tally/voteroptiontable.h"
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

// The counting rule of DESIGN.md §3 for a set of voters: remembers what counts for each
// voter and turns every vote into its effect on the raw and exact tallies. Votes of one
// voter must be applied in log order. Not thread-safe: the pipeline shards voters by hash
// and gives each shard its own ledger, owned by one worker at a time.
//
// What a voter costs is one VoterTable entry, whose 16-bit value means, per policy:
// - last_wins, first_wins: the option that counts for the voter;
// - unlimited without option cap: the voter's last option (nothing else is needed);
// - capped:N, and unlimited with an option cap: packed, bits 0-5 the option of the voter's
//   first counted vote, bits 6-15 how many of their votes counted (at most 1000: capped's N,
//   saturating for unlimited, where only "more than one" matters).
// With an option cap, per-option counts are needed as well; they go into a VoterOptionTable,
// but only once a voter has a second counted vote: until then the packed value says it all
// (one counted vote, for the first option). So a voter who votes once, the common case,
// costs nothing beyond the voter table under every rule.
//
// Votes over a cap are stored and counted raw (they were received and acknowledged), just
// not in the exact tally; a vote that an option cap stops does not use up capped's N.
class VoterLedger final
{
public:
    explicit VoterLedger(CountingRule rule = {});

    void apply(QByteArrayView voter, std::uint32_t hash, int optionIndex, TallyCounts &into);
    void apply(QByteArrayView voter, int optionIndex, TallyCounts &into)
    {
        apply(voter, VoterTable::hashOf(voter), optionIndex, into);
    }

    void reset(CountingRule rule);
    VotePolicy policy() const { return m_rule.policy; }
    const CountingRule &rule() const { return m_rule; }
    qsizetype voterCount() const { return m_voters.size(); }
    // (voter, option) counts held for option caps; for tests and memory estimates.
    qsizetype optionEntryCount() const { return m_optionCounts.size(); }

private:
    void applyCapped(std::int16_t &value, std::uint32_t voterId, int optionIndex, TallyCounts &into);

    CountingRule m_rule;
    int m_optionCap = 0; // the effective one (CountingRule::effectiveOptionCap)
    bool m_packed = false;
    VoterTable m_voters;
    VoterOptionTable m_optionCounts;
};
