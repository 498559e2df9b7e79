// The verifier's judgement, vote by vote, on a hand-made ledger and log: a clean run, each
// kind of difference, votes in flight, and the exact tally under each policy.
#include <QJsonObject>
#include <QTest>

#include "verifier.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr qint64 kSession = 7;

struct Row
{
    qint64 seq;
    QByteArray voter;
    QByteArray option;
};
} // namespace

class TestVerifier final : public QObject
{
    Q_OBJECT

private:
    RunIdentity identity(qint64 baselineSeq = 0) const
    {
        RunIdentity id;
        id.sessionId = kSession;
        id.voterPrefix = "lg.";
        id.baselineSeq = baselineSeq;
        id.optionKeys = m_keys;
        return id;
    }

    static SentVote acked(std::uint32_t voter, std::int16_t option, qint64 seq)
    {
        SentVote sent;
        sent.vote = PlannedVote{voter, option, VoteKind::Valid};
        sent.status = 202;
        sent.attempts = 1;
        sent.receiptSession = kSession;
        sent.seq = seq;
        return sent;
    }

    static SentVote answered(std::uint32_t voter, std::int16_t option, int status,
                             VoteKind kind = VoteKind::Valid)
    {
        SentVote sent;
        sent.vote = PlannedVote{voter, option, kind};
        sent.status = std::int16_t(status);
        sent.attempts = 1;
        return sent;
    }

    // The server's results as they would be if the server counted the log correctly, worked
    // out here by hand (per voter: the votes in order), apart from any replay code.
    ServerResults honestResults(const QList<Row> &rows, const QString &policy, int optionCap = 0) const
    {
        ServerResults results;
        results.sessionId = kSession;
        results.policy = policy;
        results.optionCap = optionCap;
        const int cap = policy.startsWith(u"capped:"_s) ? policy.mid(7).toInt() : -1;
        QMap<QByteArray, QList<QByteArray>> byVoter;
        QList<QByteArray> voterOrder;
        for (const QString &key : m_keys) {
            results.raw[key] = 0;
            results.exact[key] = 0;
        }
        for (const Row &row : rows) {
            ++results.raw[QString::fromLatin1(row.option)];
            ++results.accepted;
            if (!byVoter.contains(row.voter))
                voterOrder.append(row.voter);
            byVoter[row.voter].append(row.option);
        }
        results.uniqueVoters = voterOrder.size();
        for (const QByteArray &voter : voterOrder) {
            const QList<QByteArray> &votes = byVoter[voter];
            if (policy == u"last_wins") {
                ++results.exact[QString::fromLatin1(votes.last())];
            } else if (policy == u"first_wins") {
                ++results.exact[QString::fromLatin1(votes.first())];
            } else { // unlimited, capped:N; a vote stopped by the option cap does not use up N
                int counted = 0;
                QMap<QByteArray, int> perOption;
                for (const QByteArray &option : votes) {
                    if (cap >= 0 && counted >= cap)
                        break;
                    if (optionCap > 0 && perOption[option] >= optionCap)
                        continue;
                    ++perOption[option];
                    ++counted;
                    ++results.exact[QString::fromLatin1(option)];
                }
            }
        }
        return results;
    }

    Verdict judge(const std::vector<SentVote> &ledger, const QList<Row> &rows, const ServerResults &results,
                  qint64 baselineSeq = 0)
    {
        CountingRule rule;
        QString error;
        if (!results.rule(&rule, &error))
            return Verdict::unverifiable(error);
        Verifier verifier(identity(baselineSeq), m_keys, rule, ledger);
        for (const Row &row : rows) {
            if (!verifier.addRow(row.seq, row.voter, row.option))
                break;
        }
        return verifier.finish(results);
    }

    const QStringList m_keys{u"A"_s, u"B"_s, u"C"_s};

private Q_SLOTS:
    void cleanRunIsVerified()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1), acked(1, 1, 2), acked(0, 2, 3),
                                           answered(2, 0, 503),
                                           answered(3, -1, 400, VoteKind::UnknownOption)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.1", "B"}, {3, "lg.0", "C"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QVERIFY2(verdict.outcome == Verdict::Outcome::Verified, qPrintable(verdict.line()));
        QCOMPARE(verdict.exitCode(), 0);
        QCOMPARE(verdict.acked, 3);
        QCOMPARE(verdict.ackedFound, 3);
        QCOMPARE(verdict.expectedExact.value(u"A"_s), 0); // voter 0 moved to C
        QCOMPARE(verdict.expectedExact.value(u"C"_s), 1);
        QVERIFY(verdict.line().startsWith(u"VERDICT: VERIFIED"_s));
    }

    void exactTallyUnderEachPolicy_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<int>("optionCap");
        QTest::addColumn<QList<qint64>>("exact");
        // voter 0: A, C, A, A; voter 1: B; voter 2: A, C, C. Raw: A 4, B 1, C 3.
        QTest::newRow("last_wins") << u"last_wins"_s << 0 << QList<qint64>{1, 1, 1};
        QTest::newRow("first_wins") << u"first_wins"_s << 0 << QList<qint64>{2, 1, 0};
        QTest::newRow("unlimited") << u"unlimited"_s << 0 << QList<qint64>{4, 1, 3};
        QTest::newRow("capped:2") << u"capped:2"_s << 0 << QList<qint64>{2, 1, 2};
        QTest::newRow("capped:3") << u"capped:3"_s << 0 << QList<qint64>{3, 1, 3};
        QTest::newRow("capped:3, option cap 1") << u"capped:3"_s << 1 << QList<qint64>{2, 1, 2};
        QTest::newRow("unlimited, option cap 2") << u"unlimited"_s << 2 << QList<qint64>{3, 1, 3};
    }

    void exactTallyUnderEachPolicy()
    {
        QFETCH(QString, policy);
        QFETCH(int, optionCap);
        QFETCH(QList<qint64>, exact);
        const std::vector<SentVote> ledger{acked(0, 0, 1), acked(1, 1, 2), acked(0, 2, 3), acked(2, 0, 4),
                                           acked(2, 2, 5), acked(0, 0, 6), acked(0, 0, 7), acked(2, 2, 8)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.1", "B"}, {3, "lg.0", "C"}, {4, "lg.2", "A"},
                              {5, "lg.2", "C"}, {6, "lg.0", "A"}, {7, "lg.0", "A"}, {8, "lg.2", "C"}};
        ServerResults results = honestResults(rows, policy, optionCap);
        Verdict verdict = judge(ledger, rows, results);
        QVERIFY2(verdict.outcome == Verdict::Outcome::Verified, qPrintable(verdict.line()));
        QCOMPARE(verdict.exitCode(), 0);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(verdict.expectedExact.value(m_keys[i]), exact[i]);
        CountingRule stated;
        QVERIFY(results.rule(&stated, nullptr));
        QCOMPARE(verdict.policy, stated.describe());

        // A server that counted with another rule is caught.
        results.exact = honestResults(rows, policy == u"last_wins" ? u"first_wins"_s : u"last_wins"_s).exact;
        verdict = judge(ledger, rows, results);
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QVERIFY2(verdict.line().contains(u"exact tally (%1)"_s.arg(stated.describe())),
                 qPrintable(verdict.line()));
    }

    // The caps as the server states them in /v1/admin/results; an older server says no option_cap.
    void countingRuleFromTheServer()
    {
        ServerResults results;
        QString error;
        QVERIFY(ServerResults::fromJson(QJsonObject{{u"session"_s, 7},
                                                    {u"raw"_s, QJsonObject()},
                                                    {u"exact"_s, QJsonObject()},
                                                    {u"accepted"_s, 0},
                                                    {u"policy"_s, u"capped:20"_s},
                                                    {u"option_cap"_s, 5}},
                                        &results, &error));
        CountingRule rule;
        QVERIFY2(results.rule(&rule, &error), qPrintable(error));
        QCOMPARE(rule, CountingRule(VotePolicy::Capped, 20, 5));
        QVERIFY(ServerResults::fromJson(QJsonObject{{u"session"_s, 7},
                                                    {u"raw"_s, QJsonObject()},
                                                    {u"exact"_s, QJsonObject()},
                                                    {u"accepted"_s, 0},
                                                    {u"policy"_s, u"first_wins"_s}},
                                        &results, &error));
        QVERIFY(results.rule(&rule, &error));
        QCOMPARE(rule, CountingRule(VotePolicy::FirstWins));
        results.policy = u"weighted"_s;
        QVERIFY(!results.rule(&rule, &error));
        QVERIFY2(error.contains(u"unknown to this loadgen"_s), qPrintable(error));
    }

    void missingReceiptFails()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1), acked(1, 1, 2), acked(2, 2, 3)};
        const QList<Row> all{{1, "lg.0", "A"}, {2, "lg.1", "B"}, {3, "lg.2", "C"}};
        for (int gone = 0; gone < 3; ++gone) { // first, middle, last row deleted
            QList<Row> rows = all;
            rows.removeAt(gone);
            const Verdict verdict = judge(ledger, rows, honestResults(all, u"last_wins"_s));
            QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
            QCOMPARE(verdict.exitCode(), 1);
            QCOMPARE(verdict.ackedMissing, 1);
            QVERIFY2(verdict.line().contains(u"1 acknowledged votes are missing"_s),
                     qPrintable(verdict.line()));
            QVERIFY2(verdict.line().contains(u"7-%1"_s.arg(gone + 1)), qPrintable(verdict.line()));
            // The server still counts the deleted vote: the tallies disagree too.
            QVERIFY(verdict.line().contains(u"raw tally"_s));
        }
    }

    void receiptPointingElsewhereFails()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1), acked(1, 1, 2)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.1", "C"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QCOMPARE(verdict.ackedMismatched, 1);
        QVERIFY2(
            verdict.line().contains(u"receipt 7-2 was given to lg.1 for B but the log holds lg.1 for C"_s),
            qPrintable(verdict.line()));
    }

    void foreignVoteFails()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "intruder", "B"}};
        // Even a server whose tally includes the intruder fails: the vote was not ours.
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QCOMPARE(verdict.foreignRows, 1);
        QVERIFY2(verdict.line().contains(u"seq 2: intruder for B"_s), qPrintable(verdict.line()));
    }

    void ourVoterWithAnotherOptionFails()
    {
        // lg.0 never voted B: a row saying so is a vote this run did not send.
        const std::vector<SentVote> ledger{acked(0, 0, 1)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.0", "B"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QCOMPARE(verdict.unackedStored, 1);
        QVERIFY2(verdict.line().contains(u"never sent"_s), qPrintable(verdict.line()));
    }

    void refusedVoteThatWasStoredFails()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1), answered(1, 1, 503)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.1", "B"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QVERIFY2(verdict.line().contains(u"answered 503"_s), qPrintable(verdict.line()));
    }

    void unansweredVotesMayOrMayNotBeStored()
    {
        // Two votes lost in flight: one reached the store, one did not. Neither is a failure.
        const std::vector<SentVote> ledger{acked(0, 0, 1), answered(1, 1, 0), answered(2, 2, 0)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.1", "B"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QVERIFY2(verdict.outcome == Verdict::Outcome::Verified, qPrintable(verdict.line()));
        QCOMPARE(verdict.unanswered, 2);
        QCOMPARE(verdict.unansweredStored, 1);
        QVERIFY(verdict.notes.join(u' ').contains(u"never answered"_s));

        // But one unanswered request cannot explain two stored rows.
        const QList<Row> twice{{1, "lg.0", "A"}, {2, "lg.1", "B"}, {3, "lg.1", "B"}};
        const Verdict doubled = judge(ledger, twice, honestResults(twice, u"last_wins"_s));
        QCOMPARE(doubled.outcome, Verdict::Outcome::Failed);
        QCOMPARE(doubled.unackedStored, 1);
    }

    void malformedVoteStoredOrAcceptedFails()
    {
        const std::vector<SentVote> accepted{acked(0, 0, 1), answered(0, -1, 202, VoteKind::UnknownOption)};
        const QList<Row> rows{{1, "lg.0", "A"}};
        Verdict verdict = judge(accepted, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QCOMPARE(verdict.invalidAccepted, 1);

        const std::vector<SentVote> refused{acked(0, 0, 1), answered(0, 1, 400, VoteKind::InvalidJson)};
        const QList<Row> stored{{1, "lg.0", "A"}, {2, "lg.i0", "B"}};
        verdict = judge(refused, stored, honestResults(stored, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QVERIFY2(verdict.line().contains(u"malformed votes of this run are stored"_s),
                 qPrintable(verdict.line()));
    }

    void duplicateReceiptFails()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1), acked(1, 0, 1)};
        const QList<Row> rows{{1, "lg.0", "A"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QVERIFY2(verdict.line().contains(u"given to two votes"_s), qPrintable(verdict.line()));
    }

    void receiptOfAnotherSessionOrNoneFails()
    {
        SentVote other = acked(1, 1, 2);
        other.receiptSession = kSession + 1;
        SentVote unreadable = answered(2, 1, 202);
        unreadable.flags = SentVote::kReceiptUnreadable;
        const std::vector<SentVote> ledger{acked(0, 0, 1), other, unreadable};
        const QList<Row> rows{{1, "lg.0", "A"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s));
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QVERIFY2(verdict.line().contains(u"of another session"_s), qPrintable(verdict.line()));
        QVERIFY2(verdict.line().contains(u"without a readable receipt"_s), qPrintable(verdict.line()));
    }

    void baselineVotesCountButAreNotOurs()
    {
        // Two votes were in the session before the run (seq 1, 2); the run's start at seq 2.
        const std::vector<SentVote> ledger{acked(0, 1, 3)};
        const QList<Row> rows{{1, "someone", "A"}, {2, "else", "A"}, {3, "lg.0", "B"}};
        const Verdict verdict = judge(ledger, rows, honestResults(rows, u"last_wins"_s), 2);
        QVERIFY2(verdict.outcome == Verdict::Outcome::Verified, qPrintable(verdict.line()));
        QCOMPARE(verdict.baselineRows, 2);
        QCOMPARE(verdict.expectedRaw.value(u"A"_s), 2);
    }

    void serverCountsDisagreeingWithItsLogFail()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1), acked(1, 1, 2)};
        const QList<Row> rows{{1, "lg.0", "A"}, {2, "lg.1", "B"}};
        ServerResults results = honestResults(rows, u"last_wins"_s);
        results.accepted = 3;
        results.uniqueVoters = 1;
        const Verdict verdict = judge(ledger, rows, results);
        QCOMPARE(verdict.outcome, Verdict::Outcome::Failed);
        QVERIFY(verdict.line().contains(u"3 accepted votes"_s));
        QVERIFY(verdict.line().contains(u"1 distinct voters"_s));
    }

    void doubtIsNeverSuccess()
    {
        const std::vector<SentVote> ledger{acked(0, 0, 1)};
        const QList<Row> rows{{1, "lg.0", "A"}};
        ServerResults results = honestResults(rows, u"last_wins"_s);
        results.sessionId = kSession + 1;
        Verdict verdict = judge(ledger, rows, results);
        QCOMPARE(verdict.outcome, Verdict::Outcome::Unverifiable);
        QCOMPARE(verdict.exitCode(), 3);
        QVERIFY(verdict.line().startsWith(u"VERDICT: COULD NOT VERIFY"_s));

        results = honestResults(rows, u"weighted"_s);
        QCOMPARE(judge(ledger, rows, results).outcome, Verdict::Outcome::Unverifiable);

        // The rule changed between the two reads of the results: no verdict on either.
        {
            Verifier verifier(identity(), m_keys, CountingRule(VotePolicy::LastWins), ledger);
            QVERIFY(verifier.addRow(1, "lg.0", "A"));
            const Verdict changed = verifier.finish(honestResults(rows, u"capped:3"_s));
            QCOMPARE(changed.outcome, Verdict::Outcome::Unverifiable);
            QVERIFY2(changed.reason.contains(u"changed"_s), qPrintable(changed.reason));
        }

        // Rows out of order: the log cannot be trusted to be complete.
        Verifier verifier(identity(), m_keys, CountingRule(VotePolicy::LastWins), ledger);
        QVERIFY(verifier.addRow(2, "lg.0", "A"));
        QVERIFY(!verifier.addRow(1, "lg.0", "A"));
        QCOMPARE(verifier.finish(honestResults(rows, u"last_wins"_s)).outcome,
                 Verdict::Outcome::Unverifiable);
    }
};

QTEST_GUILESS_MAIN(TestVerifier)
#include "tst_verifier.moc"
