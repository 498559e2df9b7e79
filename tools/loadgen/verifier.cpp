#include "verifier.h"

#include <algorithm>

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr int kExamples = 5; // per kind of difference: enough to start looking, not a flood

QMap<QString, qint64> countsFrom(const QJsonValue &value)
{
    QMap<QString, qint64> counts;
    const QJsonObject object = value.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        counts.insert(it.key(), it.value().toInteger());
    return counts;
}

QJsonObject toJsonObject(const QMap<QString, qint64> &counts)
{
    QJsonObject object;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

QString describeCounts(const QMap<QString, qint64> &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(u"%1=%2"_s.arg(it.key()).arg(it.value()));
    return parts.join(u' ');
}

QString withExamples(const QString &what, const QStringList &examples, qint64 count)
{
    QString text = what;
    if (!examples.isEmpty())
        text += u": "_s + examples.join(u"; "_s);
    if (count > examples.size())
        text += u" (and %1 more)"_s.arg(count - examples.size());
    return text;
}
} // namespace

bool ServerResults::fromJson(const QJsonObject &json, ServerResults *out, QString *error)
{
    for (const QString &key : {u"session"_s, u"raw"_s, u"exact"_s, u"accepted"_s, u"policy"_s}) {
        if (!json.contains(key)) {
            if (error)
                *error = u"the server's results lack \"%1\""_s.arg(key);
            return false;
        }
    }
    out->sessionId = json.value(u"session"_s).toInteger();
    out->state = json.value(u"state"_s).toString();
    out->policy = json.value(u"policy"_s).toString();
    out->optionCap = json.value(u"option_cap"_s).toInt(0);
    out->raw = countsFrom(json.value(u"raw"_s));
    out->exact = countsFrom(json.value(u"exact"_s));
    out->accepted = json.value(u"accepted"_s).toInteger();
    out->uniqueVoters = json.value(u"unique_voters"_s).toInteger(-1);
    out->rejected = json.value(u"rejected"_s).toInteger();
    out->queueDepth = json.value(u"queue_depth"_s).toInteger(-1);
    return true;
}

bool ServerResults::rule(CountingRule *out, QString *error) const
{
    CountingRule parsed;
    if (!CountingRule::parsePolicy(policy, &parsed)) {
        if (error)
            *error = u"the session's policy \"%1\" is unknown to this loadgen"_s.arg(policy);
        return false;
    }
    parsed.optionCap = optionCap;
    const QString problem = parsed.validate();
    if (!problem.isEmpty()) {
        if (error)
            *error = u"the session's counting rule cannot be replayed: %1"_s.arg(problem);
        return false;
    }
    *out = parsed;
    return true;
}

namespace {
// The session as the replay needs it: the option keys, in the session's order.
SessionDefinition replaySession(qint64 sessionId, const QStringList &keys, const CountingRule &rule)
{
    SessionDefinition session;
    session.id = sessionId;
    for (const QString &key : keys)
        session.options.append(VoteOption{key, key, {}});
    session.policy = rule.policy;
    session.voteCap = rule.voteCap;
    session.optionCap = rule.optionCap;
    return session;
}
} // namespace

Verdict Verdict::unverifiable(const QString &reason)
{
    Verdict verdict;
    verdict.outcome = Outcome::Unverifiable;
    verdict.reason = reason;
    return verdict;
}

QString Verdict::line() const
{
    switch (outcome) {
    case Outcome::Verified:
        return u"VERDICT: VERIFIED: all %1 acknowledged votes are stored under their receipts, the log holds "
               u"no vote this run did not send, and the server's raw and exact (%2) tallies equal the replay "
               u"of the log"_s.arg(acked)
                   .arg(policy);
    case Outcome::Failed:
        return u"VERDICT: FAILED: %1"_s.arg(failures.join(u" | "_s));
    case Outcome::Unverifiable:
        return u"VERDICT: COULD NOT VERIFY: %1"_s.arg(reason);
    }
    return {};
}

QJsonObject Verdict::toJson() const
{
    static const char *const names[] = {"verified", "failed", "could_not_verify"};
    return QJsonObject{{u"outcome"_s, QString::fromLatin1(names[int(outcome)])},
                       {u"line"_s, line()},
                       {u"reason"_s, reason},
                       {u"failures"_s, QJsonArray::fromStringList(failures)},
                       {u"notes"_s, QJsonArray::fromStringList(notes)},
                       {u"acked"_s, acked},
                       {u"acked_found"_s, ackedFound},
                       {u"acked_missing"_s, ackedMissing},
                       {u"acked_mismatched"_s, ackedMismatched},
                       {u"unanswered"_s, unanswered},
                       {u"unanswered_stored"_s, unansweredStored},
                       {u"unacked_stored"_s, unackedStored},
                       {u"foreign_rows"_s, foreignRows},
                       {u"invalid_accepted"_s, invalidAccepted},
                       {u"log_rows"_s, logRows},
                       {u"baseline_rows"_s, baselineRows},
                       {u"policy"_s, policy},
                       {u"expected_raw"_s, toJsonObject(expectedRaw)},
                       {u"expected_exact"_s, toJsonObject(expectedExact)},
                       {u"server_raw"_s, toJsonObject(serverRaw)},
                       {u"server_exact"_s, toJsonObject(serverExact)}};
}

Verifier::Verifier(RunIdentity identity, QStringList sessionOptionKeys, CountingRule rule,
                   const std::vector<SentVote> &ledger)
    : m_identity(std::move(identity))
    , m_sessionKeys(std::move(sessionOptionKeys))
    , m_ledger(ledger)
    , m_names([this] {
        VoteGenerator::Config config;
        config.voterPrefix = m_identity.voterPrefix;
        config.optionKeys = m_identity.optionKeys;
        config.unknownOptionKey = m_identity.unknownOptionKey;
        return config;
    }())
    , m_replay(replaySession(m_identity.sessionId, m_sessionKeys, rule), rule)
{
    for (const QString &key : m_identity.optionKeys)
        m_ledgerToSession.push_back(int(m_sessionKeys.indexOf(key)));

    for (std::size_t i = 0; i < m_ledger.size(); ++i) {
        const SentVote &sent = m_ledger[i];
        if (!sent.acked()) {
            if (sent.status == 0 && sent.vote.kind == VoteKind::Valid) {
                ++m_verdict.unanswered;
                ++m_unansweredByPair[pairKey(sent.vote.voterIndex, sent.vote.optionIndex)];
            }
            continue;
        }
        if (sent.vote.kind != VoteKind::Valid) {
            ++m_verdict.invalidAccepted;
            continue;
        }
        if ((sent.flags & SentVote::kReceiptUnreadable) || sent.seq <= 0) {
            m_verdict.failures.append(u"%1 answered %2 without a readable receipt"_s
                                          .arg(QString::fromLatin1(m_names.voterId(sent.vote)))
                                          .arg(sent.status));
            continue;
        }
        if (sent.receiptSession != m_identity.sessionId) {
            m_verdict.failures.append(u"%1 got receipt %2-%3, of another session than %4"_s
                                          .arg(QString::fromLatin1(m_names.voterId(sent.vote)))
                                          .arg(sent.receiptSession)
                                          .arg(sent.seq)
                                          .arg(m_identity.sessionId));
            continue;
        }
        m_acked.emplace_back(sent.seq, std::uint32_t(i));
    }
    m_verdict.acked = qint64(m_acked.size());
    std::sort(m_acked.begin(), m_acked.end());
    for (std::size_t i = 1; i < m_acked.size(); ++i) {
        if (m_acked[i].first == m_acked[i - 1].first) {
            m_verdict.failures.append(
                u"receipt %1-%2 was given to two votes (%3 and %4)"_s.arg(m_identity.sessionId)
                    .arg(m_acked[i].first)
                    .arg(QString::fromLatin1(m_names.voterId(m_ledger[m_acked[i - 1].second].vote)),
                         QString::fromLatin1(m_names.voterId(m_ledger[m_acked[i].second].vote))));
        }
    }
    if (m_verdict.invalidAccepted > 0) {
        m_verdict.failures.append(u"%1 malformed votes were answered 2xx instead of being refused"_s.arg(
            m_verdict.invalidAccepted));
    }
}

void Verifier::example(QStringList &list, const QString &text)
{
    if (list.size() < kExamples)
        list.append(text);
}

void Verifier::replay(qint64 seq, QByteArrayView voter, QByteArrayView option)
{
    // Votes after the close are refused, never stored: every row is a vote on time.
    if (m_replay.count(ReplayVote{seq, voter, option, 0, false}))
        ++m_accepted;
    else
        ++m_unknownOptionRows; // the server does not count these either
}

QString Verifier::describeSent(std::uint32_t voterIndex, int option) const
{
    // Only for the few examples of a failure: a scan of the ledger is fine.
    QStringList answers;
    for (const SentVote &sent : m_ledger) {
        if (sent.vote.kind == VoteKind::Valid && sent.vote.voterIndex == voterIndex &&
            sent.vote.optionIndex == option) {
            answers.append(sent.status == 0 ? u"no answer"_s : QString::number(sent.status));
        }
    }
    if (answers.isEmpty())
        return u"this run never sent that vote"_s;
    return u"this run sent it %1 time(s), answered %2"_s.arg(answers.size()).arg(answers.join(u", "_s));
}

void Verifier::checkRunRow(qint64 seq, QByteArrayView voter, QByteArrayView option)
{
    ++m_verdict.logRows;
    const QString receipt = u"%1-%2"_s.arg(m_identity.sessionId).arg(seq);
    // Receipts this walk has passed without meeting their row are missing from the log.
    while (m_ackedAt < m_acked.size() && m_acked[m_ackedAt].first < seq) {
        const SentVote &sent = m_ledger[m_acked[m_ackedAt].second];
        ++m_verdict.ackedMissing;
        example(m_missingExamples, u"%1-%2 (%3 for %4)"_s.arg(m_identity.sessionId)
                                       .arg(sent.seq)
                                       .arg(QString::fromLatin1(m_names.voterId(sent.vote)),
                                            m_identity.optionKeys.value(sent.vote.optionIndex)));
        ++m_ackedAt;
    }
    const int ledgerOption = int(m_identity.optionKeys.indexOf(QString::fromUtf8(option)));
    std::uint32_t index = 0;
    const bool ours = VoteGenerator::parseValidVoter(voter, m_identity.voterPrefix, &index);
    if (m_ackedAt < m_acked.size() && m_acked[m_ackedAt].first == seq) {
        const SentVote &sent = m_ledger[m_acked[m_ackedAt].second];
        ++m_ackedAt;
        if (ours && index == sent.vote.voterIndex && ledgerOption == sent.vote.optionIndex) {
            ++m_verdict.ackedFound;
            return;
        }
        ++m_verdict.ackedMismatched;
        example(m_mismatchExamples, u"receipt %1 was given to %2 for %3 but the log holds %4 for %5"_s.arg(
                                        receipt, QString::fromLatin1(m_names.voterId(sent.vote)),
                                        m_identity.optionKeys.value(sent.vote.optionIndex),
                                        QString::fromUtf8(voter), QString::fromUtf8(option)));
        return;
    }
    // A row without a receipt of ours: fine only for a vote whose answer never came back.
    if (ours) {
        auto it = m_unansweredByPair.find(pairKey(index, ledgerOption));
        if (it != m_unansweredByPair.end() && it->second > 0) {
            --it->second;
            ++m_verdict.unansweredStored;
            return;
        }
        ++m_verdict.unackedStored;
        example(m_unackedExamples,
                u"seq %1: %2 for %3 (%4)"_s.arg(seq).arg(QString::fromUtf8(voter), QString::fromUtf8(option),
                                                         describeSent(index, ledgerOption)));
        return;
    }
    if (voter.startsWith(m_identity.voterPrefix) && !ours) {
        ++m_malformedStored;
        example(m_malformedStoredExamples,
                u"seq %1: %2 for %3"_s.arg(seq).arg(QString::fromUtf8(voter), QString::fromUtf8(option)));
        return;
    }
    ++m_verdict.foreignRows;
    example(m_foreignExamples,
            u"seq %1: %2 for %3"_s.arg(seq).arg(QString::fromUtf8(voter), QString::fromUtf8(option)));
}

bool Verifier::addRow(qint64 seq, QByteArrayView voter, QByteArrayView option)
{
    if (m_orderBroken)
        return false;
    if (seq <= m_lastSeq) {
        m_orderBroken = true;
        return false;
    }
    m_lastSeq = seq;
    replay(seq, voter, option);
    if (seq <= m_identity.baselineSeq)
        ++m_verdict.baselineRows;
    else
        checkRunRow(seq, voter, option);
    return true;
}

Verdict Verifier::finish(const ServerResults &results)
{
    if (m_orderBroken)
        return Verdict::unverifiable(u"the server's vote log did not come in ascending seq order"_s);
    if (results.sessionId != m_identity.sessionId) {
        return Verdict::unverifiable(
            u"the server's current session is %1, the run voted in %2"_s.arg(results.sessionId)
                .arg(m_identity.sessionId));
    }
    Verdict verdict = m_verdict;
    // Receipts beyond the log's last row.
    for (; m_ackedAt < m_acked.size(); ++m_ackedAt) {
        const SentVote &sent = m_ledger[m_acked[m_ackedAt].second];
        ++verdict.ackedMissing;
        example(m_missingExamples, u"%1-%2 (%3 for %4)"_s.arg(m_identity.sessionId)
                                       .arg(sent.seq)
                                       .arg(QString::fromLatin1(m_names.voterId(sent.vote)),
                                            m_identity.optionKeys.value(sent.vote.optionIndex)));
    }

    if (verdict.ackedMissing > 0) {
        verdict.failures.append(
            withExamples(u"%1 acknowledged votes are missing from the vote log"_s.arg(verdict.ackedMissing),
                         m_missingExamples, verdict.ackedMissing));
    }
    if (verdict.ackedMismatched > 0) {
        verdict.failures.append(
            withExamples(u"%1 receipts point to another vote in the log"_s.arg(verdict.ackedMismatched),
                         m_mismatchExamples, verdict.ackedMismatched));
    }
    if (verdict.foreignRows > 0) {
        verdict.failures.append(
            withExamples(u"%1 votes in the log were not sent by this run"_s.arg(verdict.foreignRows),
                         m_foreignExamples, verdict.foreignRows));
    }
    if (verdict.unackedStored > 0) {
        verdict.failures.append(withExamples(
            u"%1 votes of this run are stored although no request for them went unanswered"_s.arg(
                verdict.unackedStored),
            m_unackedExamples, verdict.unackedStored));
    }
    if (m_malformedStored > 0) {
        verdict.failures.append(
            withExamples(u"%1 malformed votes of this run are stored"_s.arg(m_malformedStored),
                         m_malformedStoredExamples, m_malformedStored));
    }

    CountingRule stated;
    QString ruleError;
    if (!results.rule(&stated, &ruleError))
        return Verdict::unverifiable(ruleError);
    if (!(stated == m_replay.rule())) {
        return Verdict::unverifiable(
            u"the session's counting rule changed while the log was read (%1, now %2)"_s.arg(
                m_replay.rule().describe(), stated.describe()));
    }
    verdict.policy = stated.describe();
    for (int i = 0; i < m_sessionKeys.size(); ++i) {
        verdict.expectedRaw.insert(m_sessionKeys[i], m_replay.raw()[std::size_t(i)]);
        verdict.expectedExact.insert(m_sessionKeys[i], m_replay.exact()[std::size_t(i)]);
    }
    verdict.serverRaw = results.raw;
    verdict.serverExact = results.exact;
    if (verdict.expectedRaw != results.raw) {
        verdict.failures.append(u"raw tally: the server says %1, the log gives %2"_s.arg(
            describeCounts(results.raw), describeCounts(verdict.expectedRaw)));
    }
    if (verdict.expectedExact != results.exact) {
        verdict.failures.append(u"exact tally (%1): the server says %2, replaying the log gives %3"_s.arg(
            verdict.policy, describeCounts(results.exact), describeCounts(verdict.expectedExact)));
    }
    if (results.accepted != m_accepted) {
        verdict.failures.append(
            u"the server counts %1 accepted votes, its log holds %2"_s.arg(results.accepted).arg(m_accepted));
    }
    if (results.uniqueVoters >= 0 && results.uniqueVoters != m_replay.uniqueVoters()) {
        verdict.failures.append(
            u"the server counts %1 distinct voters, its log holds %2"_s.arg(results.uniqueVoters)
                .arg(m_replay.uniqueVoters()));
    }

    if (verdict.unanswered > 0) {
        verdict.notes.append(
            u"%1 votes were sent but never answered (connection gone or timed out); %2 of them "
            u"are stored, %3 are not: both are allowed for a vote that was never acknowledged"_s
                .arg(verdict.unanswered)
                .arg(verdict.unansweredStored)
                .arg(verdict.unanswered - verdict.unansweredStored));
    }
    if (verdict.acked == 0) {
        verdict.notes.append(
            u"no vote of this run was acknowledged, so there was nothing to find in the log; "
            u"look at the answers above (lines not open?)"_s);
    }
    if (verdict.baselineRows > 0) {
        verdict.notes.append(u"the session already held %1 votes before the run; they are replayed into the "
                             u"expected tally but not checked against receipts"_s.arg(verdict.baselineRows));
    }
    if (m_unknownOptionRows > 0) {
        verdict.notes.append(
            u"%1 rows name an option the session does not have; neither side counts them"_s.arg(
                m_unknownOptionRows));
    }
    verdict.outcome = verdict.failures.isEmpty() ? Verdict::Outcome::Verified : Verdict::Outcome::Failed;
    return verdict;
}
