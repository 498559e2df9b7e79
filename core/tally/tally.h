#pragma once

#include <vector>

#include <QByteArrayView>
#include <QList>
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
    Tally(qint64 sessionId, int optionCount, CountingRule rule);

    // optionIndex must be a valid option of the session.
    void apply(QByteArrayView voter, int optionIndex);
    void apply(const QString &voter, int optionIndex)
    {
        apply(QByteArrayView(voter.toLatin1()), optionIndex);
    }

    qint64 sessionId() const { return m_sessionId; }
    VotePolicy policy() const { return m_ledger.policy(); }
    const CountingRule &rule() const { return m_ledger.rule(); }
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

// One way two tallies of the same session differ: what (exact or raw for an option, or the
// accepted / unique voter counts), and the two values.
struct TallyDifference
{
    enum class Field
    {
        Exact = 1,
        Raw,
        Accepted,
        UniqueVoters
    };
    Field field = Field::Exact;
    int optionIndex = -1; // for Exact and Raw
    qint64 live = 0;
    qint64 recount = 0;

    QString fieldName() const; // "exact", "raw", "accepted", "unique_voters"
};

// Every difference between a live tally and a recount of the same log (empty: they agree).
// Counts of different sizes differ in every option that only one of them has (as 0).
QList<TallyDifference> compareTallies(const TallyCounts &live, const TallyCounts &recount);
