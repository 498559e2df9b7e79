#pragma once

#include <vector>

#include <QHash>
#include <QString>

#include "session/sessiondefinition.h"
#include "tally/tallysnapshot.h"

// Live tallies of one session: raw (every accepted vote) and exact (per vote policy).
// Not thread-safe: one thread owns it (the journal writer) and publishes snapshots.
// Votes must be applied in log order (the store's sequence) so that a recount of the log
// gives the same exact result.
class Tally final
{
public:
    Tally() = default;
    Tally(qint64 sessionId, int optionCount, VotePolicy policy);

    // optionIndex must be a valid option of the session.
    void apply(const QString &voter, int optionIndex);

    qint64 sessionId() const { return m_sessionId; }
    VotePolicy policy() const { return m_policy; }
    const std::vector<qint64> &raw() const { return m_raw; }
    const std::vector<qint64> &exact() const { return m_exact; }
    qint64 accepted() const { return m_accepted; }
    qint64 uniqueVoters() const { return m_lastChoice.size(); }
    quint64 version() const { return m_version; }

    TallySnapshot snapshot(qint64 nowMs) const;

private:
    qint64 m_sessionId = 0;
    VotePolicy m_policy = VotePolicy::LastWins;
    std::vector<qint64> m_raw;
    std::vector<qint64> m_exact;
    // voter -> the option that currently counts for them (first or last by policy).
    QHash<QString, int> m_lastChoice;
    qint64 m_accepted = 0;
    quint64 m_version = 0;
};
