#include <map>
#include <random>

#include <QTest>

#include "tally/voteroptiontable.h"

class TestVoterOptionTable final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyAllocatesNothing()
    {
        const VoterOptionTable table;
        QCOMPARE(table.size(), 0);
        QCOMPARE(table.bytes(), std::size_t(0));
        QCOMPARE(table.count(0, 0), 0);
        QCOMPARE(table.count(12345, 63), 0);
    }

    void countsPerVoterAndOption()
    {
        VoterOptionTable table;
        ++table.findOrInsert(7, 3);
        ++table.findOrInsert(7, 3);
        ++table.findOrInsert(7, 4);
        table.findOrInsert(8, 3) = 1000;
        QCOMPARE(table.size(), 3);
        QCOMPARE(table.count(7, 3), 2);
        QCOMPARE(table.count(7, 4), 1);
        QCOMPARE(table.count(8, 3), 1000);
        QCOMPARE(table.count(8, 4), 0); // absent: no entry made by asking
        QCOMPARE(table.size(), 3);
        // A new entry starts at 0; an existing one is found, not duplicated.
        QCOMPARE(table.findOrInsert(9, 0), 0);
        QCOMPARE(table.findOrInsert(7, 3), 2);
        QCOMPARE(table.size(), 4);
        // 8 bytes an entry, at most half full.
        QVERIFY(table.bytes() >= std::size_t(table.size()) * 16);
    }

    // Many voters and options, in a random order, against a std::map; through several growths.
    void matchesAMapThroughGrowth()
    {
        VoterOptionTable table;
        std::map<std::pair<std::uint32_t, int>, int> reference;
        std::mt19937 random(5);
        std::uniform_int_distribution<std::uint32_t> pickVoter(0, 40'000);
        std::uniform_int_distribution<int> pickOption(0, 63);
        for (int i = 0; i < 200'000; ++i) {
            const std::uint32_t voter = pickVoter(random) * 9; // arena offsets: spread, not dense
            const int option = pickOption(random);
            ++table.findOrInsert(voter, option);
            ++reference[{voter, option}];
        }
        QCOMPARE(table.size(), qsizetype(reference.size()));
        for (const auto &[key, count] : reference) {
            if (table.count(key.first, key.second) != count)
                QFAIL("a count was lost");
        }
        QVERIFY(table.bytes() <= std::size_t(table.size()) * 8 * 4); // never below a quarter full
        table.clear();
        QCOMPARE(table.size(), 0);
        QCOMPARE(table.bytes(), std::size_t(0));
        QCOMPARE(table.count(reference.begin()->first.first, reference.begin()->first.second), 0);
    }
};

QTEST_APPLESS_MAIN(TestVoterOptionTable)
#include "tst_voteroptiontable.moc"
