#include <algorithm>
#include <numeric>
#include <random>

#include <QTest>

#include "export/resulttable.h"

using namespace Qt::Literals::StringLiterals;

using Counts = std::vector<qint64>;
using Shares = std::vector<int>;

Q_DECLARE_METATYPE(Counts)
Q_DECLARE_METATYPE(Shares)

namespace {
// 128-bit arithmetic as an oracle independent of the implementation's long multiplication.
__extension__ typedef unsigned __int128 Wide;

// Largest remainder written the plain way, in 128 bits: floor of each quota, then one unit
// each to the largest remainders, ties to the larger count, then to the earlier option.
Shares referenceApportion(const Counts &counts, const int units)
{
    Shares shares(counts.size(), 0);
    Wide total = 0;
    for (const qint64 count : counts)
        total += Wide(count);
    if (total == 0)
        return shares;
    std::vector<Wide> remainders(counts.size());
    int given = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const Wide scaled = Wide(counts[i]) * Wide(units);
        shares[i] = int(scaled / total);
        remainders[i] = scaled % total;
        given += shares[i];
    }
    std::vector<std::size_t> order(counts.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (remainders[a] != remainders[b])
            return remainders[a] > remainders[b];
        if (counts[a] != counts[b])
            return counts[a] > counts[b];
        return a < b;
    });
    for (std::size_t i = 0; given < units; ++i, ++given)
        ++shares[order[i]];
    return shares;
}

// Every share is the floor or the ceiling of its exact quota: no option is robbed to round
// another one up twice.
bool sharesAreQuotaBounded(const Counts &counts, const Shares &shares, const int units)
{
    Wide total = 0;
    for (const qint64 count : counts)
        total += Wide(count);
    if (total == 0)
        return std::all_of(shares.cbegin(), shares.cend(), [](int share) { return share == 0; });
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const Wide scaled = Wide(counts[i]) * Wide(units);
        const Wide share = Wide(shares[i]) * total;
        if ((share + total <= scaled) || (share >= scaled + total))
            return false;
    }
    return true;
}

SessionDefinition sessionWith(const QStringList &keys)
{
    SessionDefinition session;
    session.title = u"Test"_s;
    for (qsizetype i = 0; i < keys.size(); ++i)
        session.options.append({keys[i], u"Label "_s + keys[i], SessionDefinition::defaultColour(int(i))});
    return session;
}
} // namespace

class TestResultTable final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void apportion_data();
    void apportion();
    void apportionRandom_data();
    void apportionRandom();
    void apportionOtherUnits();
    void orderAndRanks_data();
    void orderAndRanks();
    void zeroTotal();
    void rowsCarryTheOption();
    void percentText_data();
    void percentText();
};

void TestResultTable::apportion_data()
{
    QTest::addColumn<Counts>("counts");
    QTest::addColumn<Shares>("expected");

    QTest::newRow("no options") << Counts{} << Shares{};
    QTest::newRow("all zero") << Counts{0, 0, 0} << Shares{0, 0, 0};
    QTest::newRow("exact halves") << Counts{5, 5} << Shares{500, 500};
    QTest::newRow("three equal: 33.4/33.3/33.3") << Counts{1, 1, 1} << Shares{334, 333, 333};
    QTest::newRow("three equal, large") << Counts{333'333, 333'333, 333'333} << Shares{334, 333, 333};
    // 1000/7 = 142.857…: six get 14.3, the last in option order 14.2.
    QTest::newRow("seven ones") << Counts{1, 1, 1, 1, 1, 1, 1} << Shares{143, 143, 143, 143, 143, 143, 142};
    QTest::newRow("single option with all votes") << Counts{42} << Shares{1000};
    QTest::newRow("one of many has all votes") << Counts{0, 7, 0, 0} << Shares{0, 1000, 0, 0};
    QTest::newRow("zero-vote option among others") << Counts{0, 1, 2} << Shares{0, 333, 667};
    QTest::newRow("zero never rounds up") << Counts{1, 0, 1, 0, 1} << Shares{334, 0, 333, 0, 333};
    QTest::newRow("42.5") << Counts{425, 575} << Shares{425, 575};
    // Equal remainders (31.25 and 68.75 tenths): the larger count gets the unit, wherever it is.
    QTest::newRow("tie on remainder: larger count first") << Counts{5, 11} << Shares{312, 688};
    QTest::newRow("tie on remainder: larger count second") << Counts{11, 5} << Shares{688, 312};
    // Three remainders equal, two units left: the larger count, then option order.
    QTest::newRow("tie on remainder and count") << Counts{1, 1, 4} << Shares{167, 166, 667};
    QTest::newRow("tie on remainder and count, reordered") << Counts{4, 1, 1} << Shares{667, 167, 166};
    QTest::newRow("tie, one unit") << Counts{1, 4, 7} << Shares{83, 333, 584};
    // 1 vote in a billion is 0.0000001 %: it rounds to nothing.
    QTest::newRow("tiny share") << Counts{999'999'999, 1} << Shares{1000, 0};
    // 0.05 % against 99.95 %: equal remainders, so the larger count rounds up.
    QTest::newRow("half a tenth") << Counts{1, 1999} << Shares{0, 1000};
    QTest::newRow("three quarters of a tenth") << Counts{3, 3997} << Shares{1, 999};
    // Near 2^53: count * 1000 no longer fits in 64 bits, and doubles lose the remainder.
    constexpr qint64 big = (qint64(1) << 53) - 1;
    QTest::newRow("huge equal") << Counts{big, big, big} << Shares{334, 333, 333};
    QTest::newRow("huge and one") << Counts{big, 1} << Shares{1000, 0};
    QTest::newRow("huge and smaller") << Counts{big, big / 3} << Shares{750, 250};
    QTest::newRow("huge, exact tenth") << Counts{big / 1000 * 425, big / 1000 * 575} << Shares{425, 575};
    QTest::newRow("many ones, 64 options") << Counts(64, 1) << []() {
        // 1000/64 = 15.625: the first 40 (order) get 16, the other 24 get 15.
        Shares shares(64, 15);
        std::fill(shares.begin(), shares.begin() + 40, 16);
        return shares;
    }();
}

void TestResultTable::apportion()
{
    QFETCH(Counts, counts);
    QFETCH(Shares, expected);

    const Shares shares = ResultTable::apportion(counts, 1000);
    QCOMPARE(shares, expected);
    QCOMPARE(shares, referenceApportion(counts, 1000));
    const bool anyVotes = std::any_of(counts.cbegin(), counts.cend(), [](qint64 c) { return c > 0; });
    QCOMPARE(std::accumulate(shares.cbegin(), shares.cend(), 0), anyVotes ? 1000 : 0);
}

void TestResultTable::apportionRandom_data()
{
    QTest::addColumn<qint64>("maxCount");
    QTest::addColumn<int>("zeroPercent");

    QTest::newRow("small counts") << qint64(10) << 0;
    QTest::newRow("small counts, many zeros") << qint64(3) << 50;
    QTest::newRow("realistic") << qint64(2'000'000) << 10;
    QTest::newRow("near 2^53") << (qint64(1) << 53) << 0;
    QTest::newRow("near 2^53, some zeros") << (qint64(1) << 53) << 30;
    QTest::newRow("up to 2^56") << (qint64(1) << 56) << 0;
}

// Many vectors of every size a session allows, checked against the 128-bit reference and the
// two properties that matter on air: the column adds to 100.0 and each share is its quota
// rounded down or up.
void TestResultTable::apportionRandom()
{
    QFETCH(qint64, maxCount);
    QFETCH(int, zeroPercent);

    std::mt19937_64 random(20240611); // fixed: a failure must reproduce
    std::uniform_int_distribution<qint64> countDist(0, maxCount);
    std::uniform_int_distribution<int> percentDist(0, 99);
    for (int round = 0; round < 4000; ++round) {
        const std::size_t size = std::size_t(1 + round % SessionDefinition::MaxOptions);
        Counts counts(size);
        for (qint64 &count : counts)
            count = (percentDist(random) < zeroPercent) ? 0 : countDist(random);
        // Adversarial: duplicate some counts so that equal remainders are common.
        if (round % 3 == 0 && size > 1)
            counts[size - 1] = counts[0];

        const Shares shares = ResultTable::apportion(counts, 1000);
        const bool anyVotes = std::any_of(counts.cbegin(), counts.cend(), [](qint64 c) { return c > 0; });
        const QByteArray where = "round " + QByteArray::number(round);
        QVERIFY2(std::accumulate(shares.cbegin(), shares.cend(), 0) == (anyVotes ? 1000 : 0),
                 where.constData());
        QVERIFY2(shares == referenceApportion(counts, 1000), where.constData());
        QVERIFY2(sharesAreQuotaBounded(counts, shares, 1000), where.constData());
    }
}

void TestResultTable::apportionOtherUnits()
{
    // Whole percent and basis points use the same method.
    QCOMPARE(ResultTable::apportion({1, 1, 1}, 100), (Shares{34, 33, 33}));
    QCOMPARE(ResultTable::apportion({1, 2}, 10'000), (Shares{3333, 6667}));
    QCOMPARE(ResultTable::apportion({1, 2}, 0), (Shares{0, 0}));
}

void TestResultTable::orderAndRanks_data()
{
    QTest::addColumn<Counts>("votes");
    QTest::addColumn<QStringList>("keys");
    QTest::addColumn<QList<int>>("ranks");
    QTest::addColumn<QList<int>>("tenths");

    QTest::newRow("distinct") << Counts{10, 30, 20} << QStringList{u"B"_s, u"C"_s, u"A"_s}
                              << QList<int>{1, 2, 3} << QList<int>{500, 333, 167};
    // Tied on votes but not on share: 42.857 % each, and only one of them can round up (A, first
    // in option order, after B's larger remainder).
    QTest::newRow("tie for first: 1,1,3") << Counts{30, 10, 30} << QStringList{u"A"_s, u"C"_s, u"B"_s}
                                          << QList<int>{1, 1, 3} << QList<int>{429, 428, 143};
    QTest::newRow("tie for second: 1,2,2,4")
        << Counts{5, 10, 10, 15} << QStringList{u"D"_s, u"B"_s, u"C"_s, u"A"_s} << QList<int>{1, 2, 2, 4}
        << QList<int>{375, 250, 250, 125};
    QTest::newRow("tie for last: 1,2,3,3")
        << Counts{5, 20, 10, 5} << QStringList{u"B"_s, u"C"_s, u"A"_s, u"D"_s} << QList<int>{1, 2, 3, 3}
        << QList<int>{500, 250, 125, 125};
    // Tied rows share a rank, but the shares still add up: the first in option order gets the tenth.
    QTest::newRow("all tied") << Counts{1, 1, 1} << QStringList{u"A"_s, u"B"_s, u"C"_s} << QList<int>{1, 1, 1}
                              << QList<int>{334, 333, 333};
    QTest::newRow("zero-vote options last, tied") << Counts{0, 4, 0} << QStringList{u"B"_s, u"A"_s, u"C"_s}
                                                  << QList<int>{1, 2, 2} << QList<int>{1000, 0, 0};
}

void TestResultTable::orderAndRanks()
{
    QFETCH(Counts, votes);
    QFETCH(QStringList, keys);
    QFETCH(QList<int>, ranks);
    QFETCH(QList<int>, tenths);

    const SessionDefinition session =
        sessionWith(QStringList{u"A"_s, u"B"_s, u"C"_s, u"D"_s}.mid(0, qsizetype(votes.size())));
    const ResultTable table = ResultTable::compute(session, votes);

    QCOMPARE(table.total, std::accumulate(votes.cbegin(), votes.cend(), qint64(0)));
    QCOMPARE(table.rows.size(), qsizetype(votes.size()));
    QStringList gotKeys;
    QList<int> gotRanks;
    QList<int> gotTenths;
    int sum = 0;
    for (const ResultRow &row : table.rows) {
        gotKeys << row.key;
        gotRanks << row.rank;
        gotTenths << row.percentTenths;
        sum += row.percentTenths;
        QCOMPARE(row.votes, votes[std::size_t(session.indexOf(row.key))]);
    }
    QCOMPARE(gotKeys, keys);
    QCOMPARE(gotRanks, ranks);
    QCOMPARE(gotTenths, tenths);
    QCOMPARE(sum, 1000);
}

void TestResultTable::zeroTotal()
{
    const SessionDefinition session = sessionWith({u"A"_s, u"B"_s, u"C"_s});
    const ResultTable table = ResultTable::compute(session, {0, 0, 0});

    QCOMPARE(table.total, 0);
    QCOMPARE(table.rows.size(), 3);
    for (qsizetype i = 0; i < table.rows.size(); ++i) {
        const ResultRow &row = table.rows[i];
        QCOMPARE(row.key, session.options[i].key); // all tied: option order
        QCOMPARE(row.rank, 1);
        QCOMPARE(row.votes, 0);
        QCOMPARE(row.percentTenths, 0);
        QCOMPARE(row.percentText(), u"0.0"_s); // never "nan"
    }
}

void TestResultTable::rowsCarryTheOption()
{
    SessionDefinition session = sessionWith({u"A"_s, u"B"_s});
    session.options[1].label = u"Zoë & Ünal, \"live\""_s;
    const ResultTable table = ResultTable::compute(session, {1, 3});

    QCOMPARE(table.rows.size(), 2);
    const ResultRow &leader = table.rows.front();
    QCOMPARE(leader.key, u"B"_s);
    QCOMPARE(leader.label, u"Zoë & Ünal, \"live\""_s);
    QCOMPARE(leader.colour, session.options[1].colour);
    QCOMPARE(leader.votes, 3);
    QCOMPARE(leader.percentTenths, 750);
    QCOMPARE(table.rows[1].colour, session.options[0].colour);
}

void TestResultTable::percentText_data()
{
    QTest::addColumn<int>("tenths");
    QTest::addColumn<QString>("text");

    QTest::newRow("zero") << 0 << u"0.0"_s;
    QTest::newRow("a tenth") << 1 << u"0.1"_s;
    QTest::newRow("whole") << 420 << u"42.0"_s;
    QTest::newRow("half") << 425 << u"42.5"_s;
    QTest::newRow("all") << 1000 << u"100.0"_s;
}

void TestResultTable::percentText()
{
    QFETCH(int, tenths);
    QFETCH(QString, text);

    ResultRow row;
    row.percentTenths = tenths;
    QCOMPARE(row.percentText(), text);
}

QTEST_APPLESS_MAIN(TestResultTable)
#include "tst_resulttable.moc"
