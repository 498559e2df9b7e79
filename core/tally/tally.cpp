#include "tally/tally.h"

Tally::Tally(qint64 sessionId, int optionCount, VotePolicy policy)
    : m_sessionId(sessionId)
    , m_ledger(policy)
    , m_counts(optionCount)
{}

void Tally::apply(QByteArrayView voter, int optionIndex)
{
    Q_ASSERT(optionIndex >= 0 && std::size_t(optionIndex) < m_counts.raw.size());
    m_ledger.apply(voter, optionIndex, m_counts);
    ++m_version;
}

TallySnapshot Tally::snapshot(qint64 nowMs) const
{
    TallySnapshot s;
    s.sessionId = m_sessionId;
    s.version = m_version;
    s.takenAtMs = nowMs;
    s.raw = m_counts.raw;
    s.exact = m_counts.exact;
    s.accepted = m_counts.accepted;
    s.uniqueVoters = m_counts.uniqueVoters;
    return s;
}
