#pragma once

#include <unordered_map>
#include <vector>

#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QStringList>

#include "export/votereplay.h"
#include "voteledger.h"

// What GET /v1/admin/results said once the server had drained.
struct ServerResults
{
    qint64 sessionId = 0;
    QString state;
    QString policy;    // last_wins | first_wins | unlimited | capped:N
    int optionCap = 0; // "option_cap" (0 = none, also when the server does not say)
    QMap<QString, qint64> raw;
    QMap<QString, qint64> exact;
    qint64 accepted = 0;
    qint64 uniqueVoters = 0;
    qint64 rejected = 0;
    qint64 queueDepth = 0;

    static bool fromJson(const QJsonObject &json, ServerResults *out, QString *error);
    // The session's counting rule (policy and option cap) in core's terms; false with a
    // message naming the policy when this loadgen does not know it.
    bool rule(CountingRule *out, QString *error) const;
};

// The answer of a verification. Verified only when every check ran and found nothing;
// Unverifiable when a check could not run (the caller builds that one from its error).
struct Verdict
{
    enum class Outcome
    {
        Verified = 0,
        Failed,
        Unverifiable
    };
    Outcome outcome = Outcome::Unverifiable;
    QString reason;       // Unverifiable: why
    QStringList failures; // Failed: one line per kind of difference, with examples
    QStringList notes;    // worth knowing, not a difference

    // Figures, for the summary and the report.
    qint64 acked = 0;           // votes answered 2xx with a receipt of this session
    qint64 ackedFound = 0;      // ... whose receipt is in the log with the same voter and option
    qint64 ackedMissing = 0;    // ... whose receipt is not in the log
    qint64 ackedMismatched = 0; // ... whose receipt's row holds another voter or option
    qint64 unanswered = 0;      // sent, never answered (connection gone, timed out): in flight
    qint64 unansweredStored = 0;
    qint64 unackedStored = 0;   // stored although every attempt was answered with a refusal
    qint64 foreignRows = 0;     // rows after the baseline that this run never sent
    qint64 invalidAccepted = 0; // malformed votes answered 2xx
    qint64 logRows = 0;         // rows after the baseline
    qint64 baselineRows = 0;
    QString policy;
    QMap<QString, qint64> expectedRaw;
    QMap<QString, qint64> expectedExact;
    QMap<QString, qint64> serverRaw;
    QMap<QString, qint64> serverExact;

    static Verdict unverifiable(const QString &reason);
    int exitCode() const { return outcome == Outcome::Verified ? 0 : outcome == Outcome::Failed ? 1 : 3; }
    QString line() const; // "VERDICT: VERIFIED ...", "VERDICT: FAILED ...", "VERDICT: COULD NOT VERIFY ..."
    QJsonObject toJson() const;
};

// Proves, vote by vote, that a run's acknowledged votes are in the server's vote log and
// that the server's tally is the one its log gives under the session's counting rule. Pure
// logic: the caller feeds it the session's log rows in seq order (all of them, baseline
// included) and then the server's results; it reads nothing itself.
//
// The replay is VoteReplay (core/export, Qt Core only), counting in one pass: the results
// pack's implementation of the rules, not the one the server counts with (VoterLedger in
// the ingest pipeline and the certified recount). An auditor that shares the audited code
// proves nothing, and a third implementation here would be one more to keep in step with
// every new rule; tst_votereplay holds the two of core to each other.
class Verifier final
{
public:
    // `rule`: the session's, as the server states it before the log is read (ServerResults::rule).
    Verifier(RunIdentity identity, QStringList sessionOptionKeys, CountingRule rule,
             const std::vector<SentVote> &ledger);

    // Rows of the session's log, strictly in ascending seq. Returns false (and stops
    // accepting) if the order is broken, which makes the verdict Unverifiable.
    bool addRow(qint64 seq, QByteArrayView voter, QByteArrayView option);
    Verdict finish(const ServerResults &results);

private:
    static quint64 pairKey(std::uint32_t voter, int option)
    {
        return (quint64(voter) << 8) | quint64(option + 1);
    }
    void replay(qint64 seq, QByteArrayView voter, QByteArrayView option);
    void checkRunRow(qint64 seq, QByteArrayView voter, QByteArrayView option);
    void example(QStringList &list, const QString &text);
    QString describeSent(std::uint32_t voterIndex, int option) const;

    const RunIdentity m_identity;
    const QStringList m_sessionKeys;
    const std::vector<SentVote> &m_ledger;
    VoteGenerator m_names;
    std::vector<int> m_ledgerToSession;                    // ledger option index -> session option index
    std::vector<std::pair<qint64, std::uint32_t>> m_acked; // (seq, ledger index), by seq
    std::size_t m_ackedAt = 0;
    std::unordered_map<quint64, qint64> m_unansweredByPair;
    qint64 m_lastSeq = 0;
    bool m_orderBroken = false;

    // Replay of the log under the session's rule: one entry per distinct voter.
    VoteReplay m_replay;
    qint64 m_accepted = 0;
    qint64 m_unknownOptionRows = 0;

    Verdict m_verdict;
    QStringList m_missingExamples;
    QStringList m_mismatchExamples;
    QStringList m_foreignExamples;
    QStringList m_unackedExamples;
    QStringList m_malformedStoredExamples;
    qint64 m_malformedStored = 0;
};
