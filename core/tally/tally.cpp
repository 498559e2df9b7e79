#include "tally/tally.h"

Tally::Tally(qint64 sessionId, int optionCount, VotePolicy policy)
    : m_sessionId(sessionId)
    , m_policy(policy)
    , m_raw(std::size_t(optionCount), 0)
    , m_exact(std::size_t(optionCount), 0)
{}

void Tally::apply(const QString &voter, int optionIndex)
{
    Q_ASSERT(optionIndex >= 0 && std::size_t(optionIndex) < m_raw.size());
    ++m_raw[std::size_t(optionIndex)];
    ++m_accepted;
    ++m_version;

    auto it = m_lastChoice.find(voter);
    if (it == m_lastChoice.end()) {
        m_lastChoice.insert(voter, optionIndex);
        ++m_exact[std::size_t(optionIndex)];
        return;
    }
    switch (m_policy) {
    case VotePolicy::LastWins:
        --m_exact[std::size_t(*it)];
        ++m_exact[std::size_t(optionIndex)];
        *it = optionIndex;
        break;
    case VotePolicy::FirstWins:
        break; // the first ballot stands
    case VotePolicy::Unlimited:
        ++m_exact[std::size_t(optionIndex)];
        *it = optionIndex;
        break;
    }
}

TallySnapshot Tally::snapshot(qint64 nowMs) const
{
    TallySnapshot s;
    s.sessionId = m_sessionId;
    s.version = m_version;
    s.takenAtMs = nowMs;
    s.raw = m_raw;
    s.exact = m_exact;
    s.accepted = m_accepted;
    s.uniqueVoters = m_lastChoice.size();
    return s;
}
