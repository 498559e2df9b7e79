#include <map>
#include <random>
#include <string>
#include <vector>

#include <QByteArray>
#include <QTest>

#include "tally/voterledger.h"
#include "tally/votertable.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(VotePolicy)

namespace {
// The characters DESIGN.md §4 allows in a voter id.
const QByteArray kVoterAlphabet =
    QByteArrayLiteral("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+-");

QByteArray numberedId(qsizetype i)
{
    return "u" + QByteArray::number(i);
}

std::int16_t valueFor(qsizetype i)
{
    return std::int16_t(i % 64);
}

// Inserts `voter` (which must be new), gives it `value`, and checks what the table reports.
void insertNew(VoterTable &table, QByteArrayView voter, std::uint32_t hash, std::int16_t value)
{
    bool inserted = false;
    std::int16_t &slot = table.findOrInsert(voter, hash, &inserted);
    QVERIFY2(inserted, voter.toByteArray().constData());
    QCOMPARE(int(slot), VoterTable::NoValue);
    slot = value;
}

// The counting rule of DESIGN.md §3 written the obvious way: every ballot of every voter,
// then decide at the end.
struct ReferenceTally
{
    std::vector<qint64> raw;
    std::vector<qint64> exact;
    qint64 accepted = 0;
    qint64 uniqueVoters = 0;
};

ReferenceTally recount(const std::vector<std::pair<std::string, int>> &log, int optionCount,
                       const CountingRule &rule)
{
    ReferenceTally t;
    t.raw.assign(std::size_t(optionCount), 0);
    t.exact.assign(std::size_t(optionCount), 0);
    std::map<std::string, std::vector<int>> ballots;
    for (const auto &[voter, option] : log) {
        ++t.raw[std::size_t(option)];
        ++t.accepted;
        ballots[voter].push_back(option);
    }
    t.uniqueVoters = qint64(ballots.size());
    for (const auto &[voter, options] : ballots) {
        switch (rule.policy) {
        case VotePolicy::LastWins:
            ++t.exact[std::size_t(options.back())];
            break;
        case VotePolicy::FirstWins:
            ++t.exact[std::size_t(options.front())];
            break;
        case VotePolicy::Unlimited:
        case VotePolicy::Capped: {
            // In order: a vote counts while the voter has votes left and the option has room.
            int counted = 0;
            std::map<int, int> forOption;
            for (int option : options) {
                if (rule.policy == VotePolicy::Capped && counted >= rule.voteCap)
                    break;
                if (rule.optionCap > 0 && forOption[option] >= rule.optionCap)
                    continue;
                ++forOption[option];
                ++counted;
                ++t.exact[std::size_t(option)];
            }
            break;
        }
        }
    }
    return t;
}
} // namespace

class TestVoterTable final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyTable()
    {
        VoterTable table;
        QCOMPARE(table.size(), 0);
        QCOMPARE(table.find("nobody", VoterTable::hashOf("nobody")), VoterTable::NoValue);
    }

    void findOrInsertTellsNewFromKnown()
    {
        VoterTable table;
        const QByteArray voter = "u123";
        const std::uint32_t hash = VoterTable::hashOf(voter);
        bool inserted = false;
        table.findOrInsert(voter, hash, &inserted) = 7;
        QVERIFY(inserted);
        QCOMPARE(table.size(), 1);

        inserted = true;
        std::int16_t &again = table.findOrInsert(voter, hash, &inserted);
        QVERIFY(!inserted);
        QCOMPARE(int(again), 7);
        again = 3;
        QCOMPARE(table.find(voter, hash), 3);
        QCOMPARE(table.size(), 1);
    }

    void hashIsAFunctionOfTheBytes()
    {
        const QByteArray a = "voter-1";
        const QByteArray b = QByteArray("xvoter-1").mid(1); // same bytes, another buffer
        QCOMPARE(VoterTable::hashOf(a), VoterTable::hashOf(b));
        QVERIFY(VoterTable::hashOf("voter-1") != VoterTable::hashOf("voter-2"));
    }

    // Over a million voters: the table doubles from 1024 slots more than ten times, and every
    // voter keeps its value through every move.
    void millionsOfVotersSurviveGrowth()
    {
        constexpr qsizetype count = 1'200'000;
        VoterTable table;
        for (qsizetype i = 0; i < count; ++i) {
            const QByteArray id = numberedId(i);
            bool inserted = false;
            std::int16_t &slot = table.findOrInsert(id, VoterTable::hashOf(id), &inserted);
            if (!inserted || slot != VoterTable::NoValue)
                QFAIL(qPrintable(u"voter %1 was not new when inserted"_s.arg(i)));
            slot = valueFor(i);
            // Look back at a voter inserted long ago, across the doublings so far.
            if ((i & (i - 1)) == 0 && i > 0) {
                const QByteArray old = numberedId(i / 2);
                QCOMPARE(table.find(old, VoterTable::hashOf(old)), int(valueFor(i / 2)));
            }
        }
        QCOMPARE(table.size(), count);
        for (qsizetype i = 0; i < count; ++i) {
            const QByteArray id = numberedId(i);
            if (table.find(id, VoterTable::hashOf(id)) != valueFor(i))
                QFAIL(qPrintable(
                    u"voter %1 lost its value: %2"_s.arg(i).arg(table.find(id, VoterTable::hashOf(id)))));
        }
        // Known voters are found, not inserted again.
        for (qsizetype i = 0; i < count; i += 997) {
            const QByteArray id = numberedId(i);
            bool inserted = true;
            QCOMPARE(int(table.findOrInsert(id, VoterTable::hashOf(id), &inserted)), int(valueFor(i)));
            QVERIFY(!inserted);
        }
        QCOMPARE(table.size(), count);
        // Absent voters are absent.
        for (qsizetype i = count; i < count + 1000; ++i) {
            const QByteArray id = numberedId(i);
            QCOMPARE(table.find(id, VoterTable::hashOf(id)), VoterTable::NoValue);
        }
    }

    void shortestAndLongestIds()
    {
        VoterTable table;
        std::vector<QByteArray> ids;
        for (char c : kVoterAlphabet)
            ids.push_back(QByteArray(1, c));
        for (char c : kVoterAlphabet)
            ids.push_back(QByteArray(64, c));
        // 64 bytes that differ only in the last one.
        for (char c : kVoterAlphabet)
            ids.push_back('x' + QByteArray(62, 'z') + c);
        for (std::size_t i = 0; i < ids.size(); ++i)
            insertNew(table, ids[i], VoterTable::hashOf(ids[i]), std::int16_t(i % 64));
        QCOMPARE(table.size(), qsizetype(ids.size()));
        for (std::size_t i = 0; i < ids.size(); ++i)
            QCOMPARE(table.find(ids[i], VoterTable::hashOf(ids[i])), int(i % 64));
        QCOMPARE(table.find(QByteArray(64, '?'), VoterTable::hashOf(QByteArray(64, '?'))),
                 VoterTable::NoValue);
    }

    // "a", "ab", "abc", ...: every id is a prefix of the next, so a comparison that stops at
    // the shorter length would merge them.
    void idsSharingPrefixes()
    {
        VoterTable table;
        std::vector<QByteArray> ids;
        QByteArray grow;
        for (int length = 1; length <= 64; ++length) {
            grow += kVoterAlphabet.at(length % kVoterAlphabet.size());
            ids.push_back(grow);
        }
        for (int i = 0; i < 500; ++i)
            ids.push_back("prefix:" + QByteArray::number(i)); // "prefix:1", "prefix:10", "prefix:100"
        for (std::size_t i = 0; i < ids.size(); ++i)
            insertNew(table, ids[i], VoterTable::hashOf(ids[i]), std::int16_t(i % 64));
        QCOMPARE(table.size(), qsizetype(ids.size()));
        for (std::size_t i = 0; i < ids.size(); ++i)
            QCOMPARE(table.find(ids[i], VoterTable::hashOf(ids[i])), int(i % 64));
        QCOMPARE(table.find("prefix:", VoterTable::hashOf("prefix:")), VoterTable::NoValue);
        QCOMPARE(table.find("prefix:5000", VoterTable::hashOf("prefix:5000")), VoterTable::NoValue);
    }

    // Different ids given the same hash (what a hash collision looks like to the table): they
    // are told apart by their bytes, also after the cluster is moved by growth.
    void forcedHashCollisions()
    {
        VoterTable table;
        constexpr int count = 3000; // grows 1024 -> 8192 slots with all of them in one cluster
        constexpr std::uint32_t hash = 0xdeadbeef;
        for (int i = 0; i < count; ++i)
            insertNew(table, numberedId(i), hash, std::int16_t(i % 64));
        QCOMPARE(table.size(), count);
        for (int i = 0; i < count; ++i) {
            QCOMPARE(table.find(numberedId(i), hash), i % 64);
            bool inserted = true;
            QCOMPARE(int(table.findOrInsert(numberedId(i), hash, &inserted)), i % 64);
            QVERIFY(!inserted);
        }
        QCOMPARE(table.size(), count);
        QCOMPARE(table.find("absent", hash), VoterTable::NoValue);
        // The same id under another hash is another key to the table (callers always pass the
        // same hash for the same id): it is not found.
        QCOMPARE(table.find(numberedId(0), hash + 1), VoterTable::NoValue);
    }

    // Hashes that differ but land on the same bucket at every table size (same low bits).
    void sameBucketDifferentHashes()
    {
        VoterTable table;
        constexpr int count = 2000;
        for (int i = 0; i < count; ++i)
            insertNew(table, numberedId(i), std::uint32_t(i) << 20, std::int16_t(i % 64));
        for (int i = 0; i < count; ++i)
            QCOMPARE(table.find(numberedId(i), std::uint32_t(i) << 20), i % 64);
        // Same bucket, same bytes, but a hash nobody inserted with.
        QCOMPARE(table.find(numberedId(5), std::uint32_t(6) << 20), VoterTable::NoValue);
    }

    void clearForgetsEverything()
    {
        VoterTable table;
        for (int i = 0; i < 5000; ++i)
            insertNew(table, numberedId(i), VoterTable::hashOf(numberedId(i)), 1);
        table.clear();
        QCOMPARE(table.size(), 0);
        for (int i = 0; i < 5000; ++i)
            QCOMPARE(table.find(numberedId(i), VoterTable::hashOf(numberedId(i))), VoterTable::NoValue);
        // Usable again, and the old voters are new voters.
        for (int i = 0; i < 5000; ++i)
            insertNew(table, numberedId(i), VoterTable::hashOf(numberedId(i)), std::int16_t(i % 64));
        QCOMPARE(table.size(), 5000);
        for (int i = 0; i < 5000; ++i)
            QCOMPARE(table.find(numberedId(i), VoterTable::hashOf(numberedId(i))), i % 64);
    }

    void tallyCountsAdd()
    {
        TallyCounts total; // no options yet: takes the delta's size
        QCOMPARE(total.raw.size(), std::size_t(0));
        QVERIFY(total.isEmpty());

        TallyCounts delta(3);
        delta.raw = {2, 0, 1};
        delta.exact = {1, -1, 1}; // a last_wins change of mind moves a vote away from option 1
        delta.accepted = 3;
        delta.uniqueVoters = 1;
        total.add(delta);
        QCOMPARE(total.raw, (std::vector<qint64>{2, 0, 1}));
        QCOMPARE(total.exact, (std::vector<qint64>{1, -1, 1}));
        QCOMPARE(total.accepted, 3);
        QCOMPARE(total.uniqueVoters, 1);
        QVERIFY(!total.isEmpty());

        total.add(delta);
        QCOMPARE(total.raw, (std::vector<qint64>{4, 0, 2}));
        QCOMPARE(total.exact, (std::vector<qint64>{2, -2, 2}));
        QCOMPARE(total.accepted, 6);
        QCOMPARE(total.uniqueVoters, 2);

        // An empty delta (the counts of no votes) changes nothing.
        total.add(TallyCounts(3));
        total.add(TallyCounts());
        QCOMPARE(total.raw, (std::vector<qint64>{4, 0, 2}));
        QCOMPARE(total.accepted, 6);

        total.reset(2);
        QCOMPARE(total.raw, (std::vector<qint64>{0, 0}));
        QCOMPARE(total.exact, (std::vector<qint64>{0, 0}));
        QCOMPARE(total.accepted, 0);
        QCOMPARE(total.uniqueVoters, 0);
        QVERIFY(total.isEmpty());
    }

    void ledgerFollowsThePolicy_data()
    {
        QTest::addColumn<VotePolicy>("policy");
        QTest::addColumn<int>("optionCount");
        QTest::addColumn<int>("voters");
        QTest::addColumn<int>("votes");
        QTest::addColumn<uint>("seed");
        for (auto [name, policy] :
             {std::pair{"last_wins", VotePolicy::LastWins}, std::pair{"first_wins", VotePolicy::FirstWins},
              std::pair{"unlimited", VotePolicy::Unlimited}}) {
            QTest::addRow("%s few voters", name) << policy << 4 << 50 << 20'000 << 1u;
            QTest::addRow("%s many voters", name) << policy << 64 << 30'000 << 100'000 << 2u;
            QTest::addRow("%s two options", name) << policy << 2 << 1'000 << 10'000 << 3u;
        }
    }

    // The ledger's running deltas, summed in random-sized batches, equal a recount of the
    // whole log; and each single vote's delta is what the rule says it is.
    void ledgerFollowsThePolicy()
    {
        QFETCH(VotePolicy, policy);
        QFETCH(int, optionCount);
        QFETCH(int, voters);
        QFETCH(int, votes);
        QFETCH(uint, seed);

        std::mt19937 random(seed);
        std::uniform_int_distribution<int> pickVoter(0, voters - 1);
        std::uniform_int_distribution<int> pickOption(0, optionCount - 1);
        std::uniform_int_distribution<int> pickBatch(1, 50);

        VoterLedger ledger(policy);
        QCOMPARE(ledger.policy(), policy);
        std::vector<std::pair<std::string, int>> log;
        std::map<std::string, int> counting; // voter -> the option that counts (unlimited: the last one)
        TallyCounts total(optionCount);
        TallyCounts batch(optionCount);
        int inBatch = 0;
        int batchSize = pickBatch(random);
        for (int i = 0; i < votes; ++i) {
            std::string voter(1, 'v'); // (not "v" + ...: GCC 12 warns falsely at -O3, -Wrestrict)
            voter += std::to_string(pickVoter(random));
            const int option = pickOption(random);
            log.emplace_back(voter, option);

            // What this vote alone does.
            TallyCounts one(optionCount);
            ledger.apply(QByteArrayView(voter.data(), qsizetype(voter.size())), option, one);
            std::vector<qint64> expectedExact(std::size_t(optionCount), 0);
            const auto known = counting.find(voter);
            const bool isNew = known == counting.end();
            if (policy == VotePolicy::Unlimited) {
                ++expectedExact[std::size_t(option)];
                counting[voter] = option;
            } else if (known == counting.end()) {
                ++expectedExact[std::size_t(option)];
                counting[voter] = option;
            } else if (policy == VotePolicy::LastWins) {
                --expectedExact[std::size_t(known->second)];
                ++expectedExact[std::size_t(option)];
                known->second = option;
            }
            std::vector<qint64> expectedRaw(std::size_t(optionCount), 0);
            ++expectedRaw[std::size_t(option)];
            if (one.raw != expectedRaw || one.exact != expectedExact || one.accepted != 1 ||
                one.uniqueVoters != (isNew ? 1 : 0)) {
                QFAIL(qPrintable(u"vote %1 (%2 -> %3) had the wrong effect"_s.arg(i).arg(
                    QString::fromStdString(voter), QString::number(option))));
            }

            batch.add(one);
            if (++inBatch == batchSize) {
                total.add(batch);
                batch.reset(optionCount);
                inBatch = 0;
                batchSize = pickBatch(random);
            }
        }
        total.add(batch);

        const ReferenceTally expected = recount(log, optionCount, policy);
        QCOMPARE(total.raw, expected.raw);
        QCOMPARE(total.exact, expected.exact);
        QCOMPARE(total.accepted, expected.accepted);
        QCOMPARE(total.uniqueVoters, expected.uniqueVoters);
        QCOMPARE(ledger.voterCount(), expected.uniqueVoters);
        // Exact never goes below zero for any option.
        for (qint64 count : total.exact)
            QVERIFY(count >= 0);
    }

    void ledgerFollowsCaps_data()
    {
        QTest::addColumn<int>("voteCap"); // 0: unlimited
        QTest::addColumn<int>("optionCap");
        QTest::addColumn<int>("optionCount");
        QTest::addColumn<int>("voters");
        QTest::addColumn<int>("votes");
        QTest::addColumn<uint>("seed");
        QTest::newRow("capped:1 is first_wins") << 1 << 0 << 4 << 50 << 5'000 << 11u;
        QTest::newRow("capped:20, few voters") << 20 << 0 << 4 << 50 << 20'000 << 12u;
        QTest::newRow("capped:3, many voters") << 3 << 0 << 64 << 5'000 << 40'000 << 13u;
        QTest::newRow("capped:20, option cap 5") << 20 << 5 << 8 << 60 << 30'000 << 14u;
        QTest::newRow("capped:5, option cap 1") << 5 << 1 << 6 << 300 << 20'000 << 15u;
        QTest::newRow("capped:3, option cap 3 (no effect)") << 3 << 3 << 4 << 100 << 5'000 << 16u;
        QTest::newRow("capped:1000, option cap 999") << 1000 << 999 << 2 << 3 << 5'000 << 17u;
        QTest::newRow("unlimited, option cap 1") << 0 << 1 << 5 << 200 << 20'000 << 18u;
        QTest::newRow("unlimited, option cap 7") << 0 << 7 << 64 << 400 << 40'000 << 19u;
        QTest::newRow("unlimited, option cap 1000") << 0 << 1000 << 3 << 2 << 5'000 << 20u;
    }

    // Capped and option-capped rules: the running deltas of random-sized batches equal the
    // obvious recount, a vote never takes anything away, and a voter who votes once costs no
    // option entry.
    void ledgerFollowsCaps()
    {
        QFETCH(int, voteCap);
        QFETCH(int, optionCap);
        QFETCH(int, optionCount);
        QFETCH(int, voters);
        QFETCH(int, votes);
        QFETCH(uint, seed);
        const CountingRule rule(voteCap > 0 ? VotePolicy::Capped : VotePolicy::Unlimited, voteCap, optionCap);
        QVERIFY2(rule.validate().isEmpty(), qPrintable(rule.validate()));

        std::mt19937 random(seed);
        std::uniform_int_distribution<int> pickVoter(0, voters - 1);
        std::uniform_int_distribution<int> pickOption(0, optionCount - 1);
        std::uniform_int_distribution<int> pickBatch(1, 50);
        VoterLedger ledger(rule);
        QCOMPARE(ledger.rule(), rule);
        std::vector<std::pair<std::string, int>> log;
        TallyCounts total(optionCount);
        TallyCounts batch(optionCount);
        int inBatch = 0;
        int batchSize = pickBatch(random);
        for (int i = 0; i < votes; ++i) {
            std::string voter(1, 'c');
            voter += std::to_string(pickVoter(random));
            const int option = pickOption(random);
            log.emplace_back(voter, option);
            TallyCounts one(optionCount);
            ledger.apply(QByteArrayView(voter.data(), qsizetype(voter.size())), option, one);
            for (int o = 0; o < optionCount; ++o) {
                const qint64 delta = one.exact[std::size_t(o)];
                if (delta < 0 || delta > 1 || (delta == 1 && o != option))
                    QFAIL(qPrintable(u"vote %1 changed option %2 by %3"_s.arg(i).arg(o).arg(delta)));
            }
            batch.add(one);
            if (++inBatch == batchSize) {
                total.add(batch);
                batch.reset(optionCount);
                inBatch = 0;
                batchSize = pickBatch(random);
            }
        }
        total.add(batch);
        const ReferenceTally expected = recount(log, optionCount, rule);
        QCOMPARE(total.raw, expected.raw);
        QCOMPARE(total.exact, expected.exact);
        QCOMPARE(total.accepted, expected.accepted);
        QCOMPARE(total.uniqueVoters, expected.uniqueVoters);
        if (rule.effectiveOptionCap() == 0)
            QCOMPARE(ledger.optionEntryCount(), 0);
    }

    void singleVotersCostNoOptionEntries()
    {
        VoterLedger ledger(CountingRule(VotePolicy::Capped, 20, 5));
        TallyCounts counts(3);
        for (int i = 0; i < 10'000; ++i)
            ledger.apply(numberedId(i), i % 3, counts);
        QCOMPARE(ledger.voterCount(), 10'000);
        QCOMPARE(ledger.optionEntryCount(), 0);
        // A second counted vote moves that voter's counts into the side table: both options.
        ledger.apply(numberedId(4), 2, counts);
        QCOMPARE(ledger.optionEntryCount(), 2);
        // A repeat that an option cap of 1 stops adds nothing either.
        VoterLedger strict(CountingRule(VotePolicy::Unlimited, 0, 1));
        strict.apply("x", 0, counts);
        strict.apply("x", 0, counts);
        QCOMPARE(strict.optionEntryCount(), 0);
    }

    void cappedWorkedExample()
    {
        // capped:3 with at most 2 per option: A A A B B C -> A 2, B 1 (the third A is over the
        // option cap and does not use up a vote; the voter's three are A, A, B).
        VoterLedger ledger(CountingRule(VotePolicy::Capped, 3, 2));
        TallyCounts counts(3);
        for (int option : {0, 0, 0, 1, 1, 2})
            ledger.apply("fan", option, counts);
        QCOMPARE(counts.exact, (std::vector<qint64>{2, 1, 0}));
        QCOMPARE(counts.raw, (std::vector<qint64>{3, 2, 1}));
        QCOMPARE(counts.accepted, 6);
        QCOMPARE(counts.uniqueVoters, 1);
    }

    void ledgerResetStartsOver()
    {
        VoterLedger ledger(VotePolicy::FirstWins);
        TallyCounts counts(2);
        ledger.apply("alice", 0, counts);
        ledger.apply("alice", 1, counts); // first_wins: ignored in exact
        QCOMPARE(counts.exact, (std::vector<qint64>{1, 0}));
        QCOMPARE(ledger.voterCount(), 1);

        ledger.reset(VotePolicy::LastWins);
        QCOMPARE(ledger.policy(), VotePolicy::LastWins);
        QCOMPARE(ledger.voterCount(), 0);
        TallyCounts after(2);
        ledger.apply("alice", 1, after); // a new voter again
        QCOMPARE(after.uniqueVoters, 1);
        QCOMPARE(after.exact, (std::vector<qint64>{0, 1}));
        ledger.apply("alice", 0, after); // last_wins now
        QCOMPARE(after.exact, (std::vector<qint64>{1, 0}));
        QCOMPARE(after.raw, (std::vector<qint64>{1, 1}));
        QCOMPARE(after.uniqueVoters, 1);
    }

    // The ledger is given the hash by its caller (the shard's): apply() with the explicit hash
    // and with the computed one agree.
    void ledgerExplicitHash()
    {
        VoterLedger ledger(VotePolicy::LastWins);
        TallyCounts counts(3);
        ledger.apply("bob", VoterTable::hashOf("bob"), 2, counts);
        ledger.apply("bob", 0, counts);
        QCOMPARE(counts.uniqueVoters, 1);
        QCOMPARE(counts.exact, (std::vector<qint64>{1, 0, 0}));
        QCOMPARE(ledger.voterCount(), 1);
    }
};

QTEST_APPLESS_MAIN(TestVoterTable)
#include "tst_votertable.moc"
