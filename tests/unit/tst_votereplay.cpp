#include <QRandomGenerator>
#include <QTest>

#include "export/votereplay.h"
#include "exporttestsupport.h"
#include "tally/voterledger.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(CountingRule)

namespace {
struct LogVote
{
    qint64 seq;
    QByteArray voter;
    QByteArray option;
    bool late = false;
};

QList<ReplayVote> views(const QList<LogVote> &log)
{
    QList<ReplayVote> votes;
    for (const LogVote &v : log)
        votes.append({v.seq, v.voter, v.option, 1'700'000'000'000 + v.seq, v.late});
    return votes;
}

SessionDefinition abc()
{
    return ExportTest::session({{u"A"_s, u"Act A"_s}, {u"B"_s, u"Act B"_s}, {u"C"_s, u"Act C"_s}}, 7);
}

// u1 votes A, B, A; u2 votes B; u3's vote comes after the close.
const QList<LogVote> kLog = {
    {1, "u1", "A"}, {2, "u2", "B"}, {3, "u1", "B"}, {5, "u1", "A"}, {6, "u3", "C", true}};

QStringList reasons(const QList<VoteReplay::Verdict> &verdicts)
{
    QStringList out;
    for (const VoteReplay::Verdict &v : verdicts)
        out << (v.counted ? u"counted"_s : v.reason);
    return out;
}
} // namespace

class TestVoteReplay final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lastWins();
    void firstWins();
    void capped();
    void unlimited();
    void perOptionCap();
    void unknownOption();
    void optionCapSemantics();
    void matchesTheCoreLedger_data();
    void matchesTheCoreLedger();
    void countSkipsWhatCountsNowhere();
};

void TestVoteReplay::lastWins()
{
    VoteReplay replay(abc(), CountingRule(VotePolicy::LastWins));
    const QStringList got = reasons(VoteReplay::replayAll(abc(), {}, views(kLog), &replay));
    QCOMPARE(got, QStringList({u"superseded by 7-5"_s, u"counted"_s, u"superseded by 7-5"_s, u"counted"_s,
                               u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{1, 1, 0}));
    QCOMPARE(replay.raw(), (std::vector<qint64>{2, 2, 0})); // late votes are not in raw either
    QCOMPARE(replay.uniqueVoters(), qint64(2));
}

void TestVoteReplay::firstWins()
{
    const CountingRule rule(VotePolicy::FirstWins);
    VoteReplay replay(abc(), rule);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog), &replay)),
             QStringList({u"counted"_s, u"counted"_s, u"voter already voted"_s, u"voter already voted"_s,
                          u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{1, 1, 0}));
}

void TestVoteReplay::capped()
{
    const CountingRule rule(VotePolicy::Capped, 2);
    VoteReplay replay(abc(), rule);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog), &replay)),
             QStringList({u"counted"_s, u"counted"_s, u"counted"_s, u"over the cap"_s, u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{1, 2, 0}));
}

void TestVoteReplay::unlimited()
{
    const CountingRule rule(VotePolicy::Unlimited);
    VoteReplay replay(abc(), rule);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog), &replay)),
             QStringList({u"counted"_s, u"counted"_s, u"counted"_s, u"counted"_s, u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{2, 2, 0}));
}

void TestVoteReplay::perOptionCap()
{
    const CountingRule rule(VotePolicy::Capped, 3, 1);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog))),
             QStringList({u"counted"_s, u"counted"_s, u"counted"_s, u"over the option cap"_s, u"late"_s}));
}

void TestVoteReplay::unknownOption()
{
    const QList<LogVote> log = {{1, "u1", "Z"}, {2, "u1", "A"}};
    VoteReplay replay(abc(), {});
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), {}, views(log), &replay)),
             QStringList({u"unknown option"_s, u"counted"_s}));
    QCOMPARE(replay.raw(), (std::vector<qint64>{1, 0, 0}));
}

// An option cap at or above capped's N can never stop a vote: the replay ignores it as the
// ledger does (CountingRule::effectiveOptionCap), and a vote it stops does not use up N.
void TestVoteReplay::optionCapSemantics()
{
    const QList<LogVote> log = {{1, "u1", "A"}, {2, "u1", "A"}, {3, "u1", "B"}, {4, "u1", "C"}};
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), CountingRule(VotePolicy::Capped, 2, 2), views(log))),
             QStringList({u"counted"_s, u"counted"_s, u"over the cap"_s, u"over the cap"_s}));
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), CountingRule(VotePolicy::Capped, 2, 1), views(log))),
             QStringList({u"counted"_s, u"over the option cap"_s, u"counted"_s, u"over the cap"_s}));
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), CountingRule(VotePolicy::Unlimited, 0, 1), views(log))),
             QStringList({u"counted"_s, u"over the option cap"_s, u"counted"_s, u"counted"_s}));
}

void TestVoteReplay::matchesTheCoreLedger_data()
{
    QTest::addColumn<CountingRule>("rule");
    QTest::newRow("last_wins") << CountingRule(VotePolicy::LastWins);
    QTest::newRow("first_wins") << CountingRule(VotePolicy::FirstWins);
    QTest::newRow("unlimited") << CountingRule(VotePolicy::Unlimited);
    QTest::newRow("capped:1") << CountingRule(VotePolicy::Capped, 1);
    QTest::newRow("capped:5") << CountingRule(VotePolicy::Capped, 5);
    QTest::newRow("capped:5, option cap 2") << CountingRule(VotePolicy::Capped, 5, 2);
    QTest::newRow("capped:3, option cap 3") << CountingRule(VotePolicy::Capped, 3, 3);
    QTest::newRow("unlimited, option cap 1") << CountingRule(VotePolicy::Unlimited, 0, 1);
    QTest::newRow("unlimited, option cap 4") << CountingRule(VotePolicy::Unlimited, 0, 4);
}

// The replay is a second implementation of the counting rules: it must agree with the
// ledger the ingest pipeline counts with, vote for vote, on a random log with many repeats.
void TestVoteReplay::matchesTheCoreLedger()
{
    QFETCH(CountingRule, rule);
    const SessionDefinition session = abc();
    QRandomGenerator random(7);
    QList<LogVote> log;
    for (qint64 seq = 1; seq <= 20'000; ++seq)
        log.append({seq, "v" + QByteArray::number(random.bounded(3000)),
                    session.options[int(random.bounded(3))].key.toUtf8()});

    VoterLedger ledger(rule);
    TallyCounts counts(int(session.options.size()));
    for (const LogVote &v : log)
        ledger.apply(v.voter, session.indexOf(QByteArrayView(v.option)), counts);

    VoteReplay replay(session, rule);
    const QList<VoteReplay::Verdict> verdicts = VoteReplay::replayAll(session, {}, views(log), &replay);
    QCOMPARE(replay.exact(), counts.exact);
    QCOMPARE(replay.raw(), counts.raw);
    QCOMPARE(replay.uniqueVoters(), counts.uniqueVoters);
    qint64 counted = 0;
    for (const VoteReplay::Verdict &v : verdicts)
        counted += v.counted ? 1 : 0;
    qint64 exactTotal = 0;
    for (const qint64 n : counts.exact)
        exactTotal += n;
    QCOMPARE(counted, exactTotal);

    // Counts only, one pass (the loadgen verifier's way): the same figures.
    VoteReplay onePass(session, rule);
    for (const ReplayVote &vote : views(log))
        QVERIFY(onePass.count(vote));
    QCOMPARE(onePass.exact(), counts.exact);
    QCOMPARE(onePass.raw(), counts.raw);
    QCOMPARE(onePass.uniqueVoters(), counts.uniqueVoters);
}

void TestVoteReplay::countSkipsWhatCountsNowhere()
{
    const QList<LogVote> log = {{1, "u1", "Z"}, {2, "u1", "A"}, {3, "u2", "B", true}, {4, "u1", "B"}};
    for (const CountingRule &rule :
         {CountingRule(VotePolicy::LastWins), CountingRule(VotePolicy::Capped, 1)}) {
        VoteReplay replay(abc(), rule);
        QList<bool> counted;
        for (const ReplayVote &vote : views(log))
            counted.append(replay.count(vote));
        QCOMPARE(counted, QList<bool>({false, true, false, true}));
        QCOMPARE(replay.raw(), (std::vector<qint64>{1, 1, 0}));
        QCOMPARE(replay.uniqueVoters(), qint64(1));
    }
}

QTEST_GUILESS_MAIN(TestVoteReplay)
#include "tst_votereplay.moc"
