#pragma once

#include <vector>

#include <QByteArrayView>
#include <QString>

#include "session/sessiondefinition.h"
#include "tally/tallysnapshot.h"
#include "tally/voterledger.h"

// The tallies of one session computed in one place: raw (every accepted vote) and exact
// (per vote policy). The live pipeline spreads the same VoterLedger over shards; this is
// the single-threaded form used to recount a vote log and as the reference in tests.
// Votes must be applied in log order (the store's sequence).
class Tally final
{
public:
    Tally() = default;
    Tally(qint64 sessionId, int optionCount, VotePolicy policy);

    // optionIndex must be a valid option of the session.
    void apply(QByteArrayView voter, int optionIndex);
    void apply(const QString &voter, int optionIndex)
    {
        apply(QByteArrayView(voter.toLatin1()), optionIndex);
    }

    qint64 sessionId() const { return m_sessionId; }
    VotePolicy policy() const { return m_ledger.policy(); }
    const std::vector<qint64> &raw() const { return m_counts.raw; }
    const std::vector<qint64> &exact() const { return m_counts.exact; }
    const TallyCounts &counts() const { return m_counts; }
    qint64 accepted() const { return m_counts.accepted; }
    qint64 uniqueVoters() const { return m_counts.uniqueVoters; }
    quint64 version() const { return m_version; }

    TallySnapshot snapshot(qint64 nowMs) const;

private:
    qint64 m_sessionId = 0;
    VoterLedger m_ledger;
    TallyCounts m_counts;
    quint64 m_version = 0;
};
