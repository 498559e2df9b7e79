#pragma once

#include <functional>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QSet>
#include <QString>

#include "session/sessiondefinition.h"

// One stored vote as the replay and the results pack see it: views into the caller's row
// (valid during the visit only), so the store's VoteRow maps onto it field by field.
struct ReplayVote
{
    qint64 seq = 0; // log order; the receipt is "<sessionId>-<seq>"
    QByteArrayView voter;
    QByteArrayView option; // the option key
    qint64 receivedAtMs = 0;
    bool late = false;                 // received after the close: stored for the record, never counted
    QByteArrayView clientAddress = {}; // 16 bytes, or empty when not stored (VoteRow)
};

// Replays a session's vote log under a counting rule (the session's CountingRule, or another
// one for a policy replay) and says for each vote whether it
// counts and, if not, why:
//   "superseded by <receipt>"  last_wins: the voter voted again; <receipt> is the voter's last
//                              vote, the one that counts
//   "voter already voted"      first_wins: not the voter's first vote
//   "over the cap"             capped:N: the voter's votes after the N-th
//   "over the option cap"      the voter's votes for one option after the option cap's M-th
//                              (unlimited and capped only; a vote it stops does not use up N)
//   "late"                     received after the close
//   "unknown option"           the key is not an option of the session (a damaged log)
//   "excluded by the operator" the voter id was left out of the count (setExcludedVoters)
// and keeps the raw and exact counts it implies, to be compared with the certified tally.
//
// last_wins needs to know each voter's last vote before it can judge the first one, so the
// log is read twice (prepare() then the judging pass); the other rules read it once. Memory
// is one entry per distinct voter. Votes must come in log (seq) order, the same both times.
class VoteReplay final
{
public:
    using Visit = std::function<void(const ReplayVote &)>;
    // Calls visit for every vote of the session in seq order; false on a read error (with *error).
    using Source = std::function<bool(const Visit &visit, QString *error)>;

    struct Verdict
    {
        bool counted = false;
        QString reason; // empty when counted
    };

    VoteReplay(const SessionDefinition &session, CountingRule rule);
    const CountingRule &rule() const { return m_rule; }

    // The operator's exclusions (CountExclusion): a vote the test says yes to is left out
    // entirely, neither raw nor counted, judged "excluded by the operator". Set before prepare().
    using Excluded = std::function<bool(const ReplayVote &vote)>;
    void setExcluded(Excluded excluded) { m_excluded = std::move(excluded); }
    bool isExcluded(const ReplayVote &vote) const { return m_excluded && m_excluded(vote); }

    // The first pass (a no-op except for last_wins). Call once before judging.
    bool prepare(const Source &source, QString *error);
    // The judging pass, one call per vote in the same order.
    Verdict judge(const ReplayVote &vote);

    // Counts only, in one pass under every rule (last_wins moves the voter's ballot instead of
    // looking ahead): raw(), exact() and uniqueVoters() as the judging passes would give them,
    // without the reasons. For a log read once (votedesk-loadgen's verifier). Returns false for
    // a vote that counts nowhere (late, or an option the session does not have). Do not mix
    // with prepare()/judge() on one replay.
    bool count(const ReplayVote &vote);

    const std::vector<qint64> &raw() const { return m_raw; }     // non-late votes per option
    const std::vector<qint64> &exact() const { return m_exact; } // counted votes per option
    qint64 uniqueVoters() const { return m_voters.size(); }

    // Both passes over an in-memory list (tests, small logs).
    static QList<Verdict> replayAll(const SessionDefinition &session, CountingRule rule,
                                    const QList<ReplayVote> &votes, VoteReplay *state = nullptr);

private:
    struct VoterState
    {
        qint64 lastSeq = 0; // last_wins: the voter's last non-late vote (from prepare)
        int votes = 0;      // judged so far (counted or not), non-late
        int counted = 0;
        int ballot = -1; // count(), last_wins: the option the voter's ballot is on now
    };

    SessionDefinition m_session;
    CountingRule m_rule;
    int m_optionCap = 0; // the one that can stop a vote (CountingRule::effectiveOptionCap)
    qint64 m_sessionId = 0;
    QHash<QByteArray, VoterState> m_voters;
    QHash<QByteArray, int> m_perOption; // voter + '\0' + option -> votes counted for it
    Excluded m_excluded;
    std::vector<qint64> m_raw;
    std::vector<qint64> m_exact;
};
