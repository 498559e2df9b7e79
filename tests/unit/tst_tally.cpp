#include <atomic>
#include <random>
#include <thread>

#include <QHash>
#include <QSet>
#include <QTest>

#include "tally/tally.h"

using namespace Qt::Literals::StringLiterals;

using Counts = std::vector<qint64>;
struct Ballot
{
    QString voter;
    int option = 0;
};
using Ballots = QList<Ballot>;

Q_DECLARE_METATYPE(Counts)
Q_DECLARE_METATYPE(Ballots)
Q_DECLARE_METATYPE(CountingRule)

namespace {
// The policies written the obvious way, to check the incremental tally against.
Counts recount(const Ballots &ballots, const int optionCount, const CountingRule &rule)
{
    const VotePolicy policy = rule.policy;
    Counts counts(std::size_t(optionCount), 0);
    if (policy == VotePolicy::Unlimited || policy == VotePolicy::Capped) {
        // Each voter's ballots in order: counted while they have votes left (capped) and the
        // option has room (option cap).
        QHash<QString, int> counted;
        QHash<QString, QHash<int, int>> forOption;
        for (const Ballot &ballot : ballots) {
            if (policy == VotePolicy::Capped && counted.value(ballot.voter) >= rule.voteCap)
                continue;
            if (rule.optionCap > 0 && forOption[ballot.voter].value(ballot.option) >= rule.optionCap)
                continue;
            ++counted[ballot.voter];
            ++forOption[ballot.voter][ballot.option];
            ++counts[std::size_t(ballot.option)];
        }
        return counts;
    }
    QHash<QString, int> choice;
    for (const Ballot &ballot : ballots) {
        if (policy == VotePolicy::LastWins || !choice.contains(ballot.voter))
            choice.insert(ballot.voter, ballot.option);
    }
    for (const int option : std::as_const(choice))
        ++counts[std::size_t(option)];
    return counts;
}

TallySnapshotPtr snapshotWithVersion(const quint64 version)
{
    auto snapshot = std::make_shared<TallySnapshot>();
    snapshot->version = version;
    snapshot->raw = {qint64(version), 0};
    return snapshot;
}
} // namespace

class TestTally final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void construction();
    void policies_data();
    void policies();
    void recountMatches_data();
    void recountMatches();
    void versionIncrements();
    void compareTalliesNamesEachDifference();
    void snapshotCopies();
    void snapshotBoxEmpty();
    void snapshotBoxLatest();
    void snapshotBoxConcurrent();
};

void TestTally::construction()
{
    const Tally tally(7, 4, VotePolicy::FirstWins);
    QCOMPARE(tally.sessionId(), 7);
    QCOMPARE(tally.policy(), VotePolicy::FirstWins);
    QCOMPARE(tally.raw(), Counts(4, 0));
    QCOMPARE(tally.exact(), Counts(4, 0));
    QCOMPARE(tally.accepted(), 0);
    QCOMPARE(tally.uniqueVoters(), 0);
    QCOMPARE(tally.version(), 0u);
}

void TestTally::policies_data()
{
    QTest::addColumn<CountingRule>("policy");
    QTest::addColumn<Ballots>("ballots");
    QTest::addColumn<Counts>("raw");
    QTest::addColumn<Counts>("exact");
    QTest::addColumn<qint64>("uniqueVoters");

    // u1 changes their mind from A to B; u2 votes A once.
    const Ballots changeOfMind = {{u"u1"_s, 0}, {u"u2"_s, 0}, {u"u1"_s, 1}};
    QTest::newRow("last_wins: the latest counts") << CountingRule(VotePolicy::LastWins) << changeOfMind
                                                  << Counts{2, 1, 0} << Counts{1, 1, 0} << qint64(2);
    QTest::newRow("first_wins: the first stands") << CountingRule(VotePolicy::FirstWins) << changeOfMind
                                                  << Counts{2, 1, 0} << Counts{2, 0, 0} << qint64(2);
    QTest::newRow("unlimited: every vote") << CountingRule(VotePolicy::Unlimited) << changeOfMind
                                           << Counts{2, 1, 0} << Counts{2, 1, 0} << qint64(2);

    // Back and forth: A, B, C, A again.
    const Ballots flipFlop = {{u"u1"_s, 0}, {u"u1"_s, 1}, {u"u1"_s, 2}, {u"u1"_s, 0}};
    QTest::newRow("last_wins: back to the first choice")
        << CountingRule(VotePolicy::LastWins) << flipFlop << Counts{2, 1, 1} << Counts{1, 0, 0} << qint64(1);
    QTest::newRow("first_wins: back and forth")
        << CountingRule(VotePolicy::FirstWins) << flipFlop << Counts{2, 1, 1} << Counts{1, 0, 0} << qint64(1);
    QTest::newRow("unlimited: back and forth")
        << CountingRule(VotePolicy::Unlimited) << flipFlop << Counts{2, 1, 1} << Counts{2, 1, 1} << qint64(1);

    // The same choice repeated (a double tap).
    const Ballots repeat = {{u"u1"_s, 2}, {u"u1"_s, 2}, {u"u1"_s, 2}};
    QTest::newRow("last_wins: repeat")
        << CountingRule(VotePolicy::LastWins) << repeat << Counts{0, 0, 3} << Counts{0, 0, 1} << qint64(1);
    QTest::newRow("first_wins: repeat")
        << CountingRule(VotePolicy::FirstWins) << repeat << Counts{0, 0, 3} << Counts{0, 0, 1} << qint64(1);
    QTest::newRow("unlimited: repeat")
        << CountingRule(VotePolicy::Unlimited) << repeat << Counts{0, 0, 3} << Counts{0, 0, 3} << qint64(1);

    // Voter ids are compared exactly: "U1" is not "u1".
    const Ballots distinctIds = {{u"u1"_s, 0}, {u"U1"_s, 1}, {u"u1 "_s, 2}};
    QTest::newRow("last_wins: ids are exact") << CountingRule(VotePolicy::LastWins) << distinctIds
                                              << Counts{1, 1, 1} << Counts{1, 1, 1} << qint64(3);
    QTest::newRow("no votes") << CountingRule(VotePolicy::LastWins) << Ballots{} << Counts{0, 0, 0}
                              << Counts{0, 0, 0} << qint64(0);

    // Capped: each voter's first N counted votes count, whatever they are for; the rest are
    // raw only. A late vote never reaches a tally (the window refuses it before the ledger).
    const Ballots fan = {{u"f"_s, 0}, {u"f"_s, 0}, {u"f"_s, 1}, {u"f"_s, 2}, {u"f"_s, 0}, {u"g"_s, 2}};
    QTest::newRow("capped:3: the first three of each voter")
        << CountingRule(VotePolicy::Capped, 3) << fan << Counts{3, 1, 2} << Counts{2, 1, 1} << qint64(2);
    QTest::newRow("capped:1 is first_wins")
        << CountingRule(VotePolicy::Capped, 1) << flipFlop << Counts{2, 1, 1} << Counts{1, 0, 0} << qint64(1);
    QTest::newRow("capped:20: under the cap, every vote")
        << CountingRule(VotePolicy::Capped, 20) << repeat << Counts{0, 0, 3} << Counts{0, 0, 3} << qint64(1);
    // Option caps: a voter gives one option at most K votes; a stopped vote uses up nothing.
    QTest::newRow("capped:3, option cap 1: one each")
        << CountingRule(VotePolicy::Capped, 3, 1) << fan << Counts{3, 1, 2} << Counts{1, 1, 2} << qint64(2);
    QTest::newRow("unlimited, option cap 2") << CountingRule(VotePolicy::Unlimited, 0, 2) << fan
                                             << Counts{3, 1, 2} << Counts{2, 1, 2} << qint64(2);
    QTest::newRow("unlimited, option cap 1, repeat") << CountingRule(VotePolicy::Unlimited, 0, 1) << repeat
                                                     << Counts{0, 0, 3} << Counts{0, 0, 1} << qint64(1);
}

void TestTally::policies()
{
    QFETCH(CountingRule, policy);
    QFETCH(Ballots, ballots);
    QFETCH(Counts, raw);
    QFETCH(Counts, exact);
    QFETCH(qint64, uniqueVoters);

    Tally tally(1, 3, policy);
    for (const Ballot &ballot : ballots)
        tally.apply(ballot.voter, ballot.option);
    QCOMPARE(tally.raw(), raw);
    QCOMPARE(tally.exact(), exact);
    QCOMPARE(tally.accepted(), qint64(ballots.size()));
    QCOMPARE(tally.uniqueVoters(), uniqueVoters);
}

void TestTally::recountMatches_data()
{
    QTest::addColumn<CountingRule>("policy");

    QTest::newRow("last_wins") << CountingRule(VotePolicy::LastWins);
    QTest::newRow("first_wins") << CountingRule(VotePolicy::FirstWins);
    QTest::newRow("unlimited") << CountingRule(VotePolicy::Unlimited);
    QTest::newRow("capped:20") << CountingRule(VotePolicy::Capped, 20);
    QTest::newRow("capped:2") << CountingRule(VotePolicy::Capped, 2);
    QTest::newRow("capped:20, option cap 4") << CountingRule(VotePolicy::Capped, 20, 4);
    QTest::newRow("unlimited, option cap 3") << CountingRule(VotePolicy::Unlimited, 0, 3);
}

// The certification rule of DESIGN.md §2: the live tally must equal a recount of the log.
// Checked after every vote of a long random log with many repeat voters.
void TestTally::recountMatches()
{
    QFETCH(CountingRule, policy);

    constexpr int options = 5;
    std::mt19937 random(42);
    std::uniform_int_distribution<int> voterDist(0, 199);
    std::uniform_int_distribution<int> optionDist(0, options - 1);
    Tally tally(1, options, policy);
    Ballots log;
    QSet<QString> voters;
    for (int i = 0; i < 3000; ++i) {
        const Ballot ballot{u"voter-"_s + QString::number(voterDist(random)), optionDist(random)};
        log.append(ballot);
        voters.insert(ballot.voter);
        tally.apply(ballot.voter, ballot.option);
        if (i % 97 != 0 && i != 2999)
            continue;
        QCOMPARE(tally.exact(), recount(log, options, policy));
        QCOMPARE(tally.raw(), recount(log, options, CountingRule(VotePolicy::Unlimited)));
        QCOMPARE(tally.uniqueVoters(), qint64(voters.size()));
        qint64 exactSum = 0;
        for (const qint64 count : tally.exact())
            exactSum += count;
        if (policy.policy == VotePolicy::LastWins || policy.policy == VotePolicy::FirstWins)
            QCOMPARE(exactSum, tally.uniqueVoters());
        else if (policy.optionCap == 0 && policy.policy == VotePolicy::Unlimited)
            QCOMPARE(exactSum, tally.accepted());
        else
            QVERIFY(exactSum >= tally.uniqueVoters() && exactSum <= tally.accepted());
    }
}

void TestTally::versionIncrements()
{
    Tally tally(1, 2, VotePolicy::FirstWins);
    quint64 previous = tally.version();
    // Every applied vote is a change for readers, even one that leaves the exact tally alone
    // (first_wins repeat): the raw tally moved.
    for (const Ballot &ballot : Ballots{{u"a"_s, 0}, {u"a"_s, 1}, {u"b"_s, 1}, {u"a"_s, 0}}) {
        tally.apply(ballot.voter, ballot.option);
        QCOMPARE(tally.version(), previous + 1);
        previous = tally.version();
    }
    QCOMPARE(tally.snapshot(0).version, previous);
}

void TestTally::compareTalliesNamesEachDifference()
{
    Tally live(1, 3, VotePolicy::LastWins);
    Tally recounted(1, 3, VotePolicy::LastWins);
    for (Tally *tally : {&live, &recounted}) {
        tally->apply(u"a"_s, 0);
        tally->apply(u"b"_s, 1);
    }
    QVERIFY(compareTallies(live.counts(), recounted.counts()).isEmpty());
    // Someone changed b's vote in the store: exact and raw of both options, nothing else.
    Tally tampered(1, 3, VotePolicy::LastWins);
    tampered.apply(u"a"_s, 0);
    tampered.apply(u"b"_s, 2);
    const QList<TallyDifference> differences = compareTallies(live.counts(), tampered.counts());
    QCOMPARE(differences.size(), 4);
    QCOMPARE(differences[0].field, TallyDifference::Field::Exact);
    QCOMPARE(differences[0].optionIndex, 1);
    QCOMPARE(differences[0].live, 1);
    QCOMPARE(differences[0].recount, 0);
    QCOMPARE(differences[1].fieldName(), u"exact"_s);
    QCOMPARE(differences[1].optionIndex, 2);
    QCOMPARE(differences[2].fieldName(), u"raw"_s);
    // A deleted vote: the totals differ too.
    Tally shorter(1, 3, VotePolicy::LastWins);
    shorter.apply(u"a"_s, 0);
    const QList<TallyDifference> missing = compareTallies(live.counts(), shorter.counts());
    QCOMPARE(missing.size(), 4);
    QCOMPARE(missing[2].fieldName(), u"accepted"_s);
    QCOMPARE(missing[2].live, 2);
    QCOMPARE(missing[2].recount, 1);
    QCOMPARE(missing[3].fieldName(), u"unique_voters"_s);
}

void TestTally::snapshotCopies()
{
    Tally tally(9, 3, VotePolicy::LastWins);
    tally.apply(u"u1"_s, 0);
    tally.apply(u"u2"_s, 2);
    tally.apply(u"u1"_s, 1);

    const TallySnapshot snapshot = tally.snapshot(123'456);
    QCOMPARE(snapshot.sessionId, 9);
    QCOMPARE(snapshot.version, tally.version());
    QCOMPARE(snapshot.takenAtMs, 123'456);
    QCOMPARE(snapshot.raw, (Counts{1, 1, 1}));
    QCOMPARE(snapshot.exact, (Counts{0, 1, 1}));
    QCOMPARE(snapshot.accepted, 3);
    QCOMPARE(snapshot.uniqueVoters, 2);
    QCOMPARE(snapshot.exactTotal(), 2);

    // A copy, not a view: later votes do not reach it.
    tally.apply(u"u3"_s, 0);
    tally.apply(u"u2"_s, 0);
    QCOMPARE(snapshot.raw, (Counts{1, 1, 1}));
    QCOMPARE(snapshot.exact, (Counts{0, 1, 1}));
    QCOMPARE(snapshot.accepted, 3);
    QCOMPARE(snapshot.uniqueVoters, 2);
    QVERIFY(snapshot.version < tally.version());
    QCOMPARE(tally.exact(), (Counts{2, 1, 0}));
}

void TestTally::snapshotBoxEmpty()
{
    const SnapshotBox box;
    const TallySnapshotPtr empty = box.load();
    QVERIFY(empty);
    QCOMPARE(empty->version, 0u);
    QVERIFY(empty->raw.empty());
    QVERIFY(empty->exact.empty());
    QCOMPARE(empty->exactTotal(), 0);
}

void TestTally::snapshotBoxLatest()
{
    SnapshotBox box;
    Tally tally(1, 2, VotePolicy::LastWins);
    tally.apply(u"u1"_s, 0);
    const auto first = std::make_shared<const TallySnapshot>(tally.snapshot(1));
    box.publish(first);
    QCOMPARE(box.load(), first);

    tally.apply(u"u2"_s, 1);
    const auto second = std::make_shared<const TallySnapshot>(tally.snapshot(2));
    box.publish(second);
    QCOMPARE(box.load(), second);
    QCOMPARE(box.load()->exact, (Counts{1, 1}));
    // A reader holding the older snapshot keeps it intact.
    QCOMPARE(first->exact, (Counts{1, 0}));

    // Publishing nothing must not hand readers a null pointer.
    box.publish(nullptr);
    QVERIFY(box.load());
}

// Readers on other threads always get a whole snapshot, and never one older than a snapshot
// they already saw.
void TestTally::snapshotBoxConcurrent()
{
    SnapshotBox box;
    constexpr quint64 last = 20'000;
    std::atomic<bool> failed = false;
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&box, &failed] {
            quint64 seen = 0;
            while (seen < last) {
                const TallySnapshotPtr snapshot = box.load();
                if (!snapshot || snapshot->version < seen ||
                    (snapshot->version > 0 && snapshot->raw.front() != qint64(snapshot->version))) {
                    failed = true;
                    return;
                }
                seen = snapshot->version;
            }
        });
    }
    for (quint64 version = 1; version <= last; ++version)
        box.publish(snapshotWithVersion(version));
    for (std::thread &reader : readers)
        reader.join();
    QVERIFY(!failed);
    QCOMPARE(box.load()->version, last);
}

QTEST_APPLESS_MAIN(TestTally)
#include "tst_tally.moc"
