#include <QRandomGenerator>
#include <QTest>

#include "export/votereplay.h"
#include "exporttestsupport.h"
#include "tally/voterledger.h"

using namespace Qt::Literals::StringLiterals;
using Kind = CountingRule::Kind;

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
    void parseAndPrint();
    void matchesTheCoreLedger_data();
    void matchesTheCoreLedger();
};

void TestVoteReplay::lastWins()
{
    VoteReplay replay(abc(), CountingRule::fromPolicy(VotePolicy::LastWins));
    const QStringList got = reasons(VoteReplay::replayAll(abc(), {}, views(kLog), &replay));
    QCOMPARE(got, QStringList({u"superseded by 7-5"_s, u"counted"_s, u"superseded by 7-5"_s, u"counted"_s,
                               u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{1, 1, 0}));
    QCOMPARE(replay.raw(), (std::vector<qint64>{2, 2, 0})); // late votes are not in raw either
    QCOMPARE(replay.uniqueVoters(), qint64(2));
}

void TestVoteReplay::firstWins()
{
    const CountingRule rule{Kind::FirstWins, 0, 0};
    VoteReplay replay(abc(), rule);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog), &replay)),
             QStringList({u"counted"_s, u"counted"_s, u"voter already voted"_s, u"voter already voted"_s,
                          u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{1, 1, 0}));
}

void TestVoteReplay::capped()
{
    const CountingRule rule{Kind::Capped, 2, 0};
    VoteReplay replay(abc(), rule);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog), &replay)),
             QStringList({u"counted"_s, u"counted"_s, u"counted"_s, u"over the cap"_s, u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{1, 2, 0}));
}

void TestVoteReplay::unlimited()
{
    const CountingRule rule{Kind::Unlimited, 0, 0};
    VoteReplay replay(abc(), rule);
    QCOMPARE(reasons(VoteReplay::replayAll(abc(), rule, views(kLog), &replay)),
             QStringList({u"counted"_s, u"counted"_s, u"counted"_s, u"counted"_s, u"late"_s}));
    QCOMPARE(replay.exact(), (std::vector<qint64>{2, 2, 0}));
}

void TestVoteReplay::perOptionCap()
{
    const CountingRule rule{Kind::Capped, 3, 1};
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

void TestVoteReplay::parseAndPrint()
{
    CountingRule rule;
    QString error;
    for (const QString &text : {u"last_wins"_s, u"first_wins"_s, u"unlimited"_s, u"capped:20"_s,
                                u"capped:20;per_option:10"_s, u"unlimited;per_option:1"_s}) {
        QVERIFY2(CountingRule::parse(text, &rule, &error), qPrintable(error));
        QCOMPARE(rule.toString(), text);
    }
    QVERIFY(CountingRule::parse(u"capped:5"_s, &rule, &error));
    QCOMPARE(rule.kind, Kind::Capped);
    QCOMPARE(rule.capPerVoter, 5);
    for (const QString &bad : {u"capped"_s, u"capped:0"_s, u"capped:-1"_s, u"most_wins"_s, u""_s})
        QVERIFY(!CountingRule::parse(bad, &rule, &error));
    QVERIFY(error.contains(u"unknown counting rule"_s));
    QCOMPARE(CountingRule::fromPolicy(VotePolicy::FirstWins).kind, Kind::FirstWins);
    QCOMPARE(CountingRule::fromPolicy(VotePolicy::Unlimited).kind, Kind::Unlimited);
}

void TestVoteReplay::matchesTheCoreLedger_data()
{
    QTest::addColumn<int>("policy");
    QTest::newRow("last_wins") << int(VotePolicy::LastWins);
    QTest::newRow("first_wins") << int(VotePolicy::FirstWins);
    QTest::newRow("unlimited") << int(VotePolicy::Unlimited);
}

// The replay is a second implementation of the counting rules: it must agree with the
// ledger the ingest pipeline counts with, vote for vote, on a random log with many repeats.
void TestVoteReplay::matchesTheCoreLedger()
{
    QFETCH(int, policy);
    const SessionDefinition session = abc();
    QRandomGenerator random(7);
    QList<LogVote> log;
    for (qint64 seq = 1; seq <= 20'000; ++seq)
        log.append({seq, "v" + QByteArray::number(random.bounded(3000)),
                    session.options[int(random.bounded(3))].key.toUtf8()});

    VoterLedger ledger{VotePolicy(policy)};
    TallyCounts counts(int(session.options.size()));
    for (const LogVote &v : log)
        ledger.apply(v.voter, session.indexOf(QByteArrayView(v.option)), counts);

    VoteReplay replay(session, CountingRule::fromPolicy(VotePolicy(policy)));
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
}

QTEST_GUILESS_MAIN(TestVoteReplay)
#include "tst_votereplay.moc"
