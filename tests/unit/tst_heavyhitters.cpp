#include <algorithm>
#include <map>
#include <random>

#include <QTest>

#include "access/fraudmonitor.h"
#include "access/heavyhitters.h"

// The Space-Saving sketch behind the fraud panel, and the sharded monitor around it.
class TestHeavyHitters final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countsExactlyWhileThereIsRoom()
    {
        HeavyHitters sketch(4);
        for (int i = 0; i < 5; ++i)
            sketch.add(1, "a");
        sketch.add(2, "b", true);
        const auto top = sketch.top(10);
        QCOMPARE(top.size(), std::size_t(2));
        QCOMPARE(top[0].label, QByteArray("a"));
        QCOMPARE(top[0].count, 5);
        QCOMPARE(top[0].error, 0);
        QCOMPARE(top[1].rejected, 1);
        QCOMPARE(sketch.total(), 6);
    }

    void keepsTheHeavyKeyUnderAFloodOfDistinctOnes()
    {
        // A stuffer (key 7) hidden among 10 000 one-off keys in a table of 16: every key with
        // more than N / capacity occurrences must be held, with its true count in the bounds.
        HeavyHitters sketch(16);
        qint64 stuffer = 0;
        for (int i = 0; i < 10'000; ++i) {
            sketch.add(std::uint64_t(1000 + i), "x");
            if (i % 5 == 0) {
                sketch.add(7, "stuffer");
                ++stuffer;
            }
        }
        QCOMPARE(sketch.size(), 16);
        const auto top = sketch.top(1);
        QCOMPARE(top.size(), std::size_t(1));
        QCOMPARE(top[0].key, std::uint64_t(7));
        QVERIFY(top[0].count >= stuffer);
        QVERIFY(top[0].count - top[0].error <= stuffer);
        QCOMPARE(sketch.total(), 10'000 + stuffer);
    }

    void overestimateIsBoundedByTotalOverCapacity()
    {
        HeavyHitters sketch(8);
        for (int i = 0; i < 800; ++i)
            sketch.add(std::uint64_t(i % 100), "k");
        for (const auto &entry : sketch.top(8))
            QVERIFY(entry.error <= sketch.total() / sketch.capacity());
    }

    void boundsHoldAgainstExactCountsOnASkewedStream()
    {
        // A skewed stream (a few heavy keys, a long tail, labels of varying length) checked
        // against exact counts: each held key's true count is within [count - error, count], its
        // label is its own (eviction reuses the label's buffer), the counters sum to the total
        // (Space-Saving's invariant once full), and every key above total / capacity is held.
        HeavyHitters sketch(32);
        std::map<std::uint64_t, qint64> exact;
        std::mt19937 random(20261123);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        for (int i = 0; i < 50'000; ++i) {
            // key ~ 1 / u^2: key 1 about a quarter of the stream, thousands of keys seen once.
            const double u = std::max(unit(random), 1e-3);
            const std::uint64_t key = std::uint64_t(1.0 / (u * u));
            const QByteArray label =
                "voter-" + QByteArray::number(qulonglong(key)) + QByteArray(int(key % 7), 'x');
            sketch.add(key, label, key % 3 == 0);
            ++exact[key];
        }
        qint64 sum = 0;
        for (const auto &entry : sketch.top(-1)) {
            const qint64 truth = exact[entry.key];
            QVERIFY2(entry.count - entry.error <= truth && truth <= entry.count,
                     qPrintable(QString::number(entry.key)));
            QCOMPARE(entry.label, "voter-" + QByteArray::number(qulonglong(entry.key)) +
                                      QByteArray(int(entry.key % 7), 'x'));
            sum += entry.count;
        }
        QCOMPARE(sum, sketch.total());
        const auto held = sketch.top(-1);
        for (const auto &[key, count] : exact) {
            if (count > sketch.total() / sketch.capacity()) {
                QVERIFY2(std::any_of(held.cbegin(), held.cend(),
                                     [key = key](const auto &e) { return e.key == key; }),
                         qPrintable(QString::number(key)));
            }
        }
    }

    void clearForgetsEverything()
    {
        HeavyHitters sketch(2);
        sketch.add(1, "a");
        sketch.clear();
        QCOMPARE(sketch.size(), 0);
        QCOMPARE(sketch.total(), 0);
    }

    void aFloodedShardDoesNotHideAStufferBehindNoise()
    {
        // Loopback load: 20 000 distinct ids from one address, one shard. Each newcomer inherits
        // the evicted minimum, so its upper bound is ~312 while it voted once. A stuffer with 50
        // real votes from elsewhere must still head the list: ranked by what is guaranteed.
        FraudMonitor monitor;
        const IpAddress loopback = *IpAddress::parse("127.0.0.1");
        for (int i = 0; i < 20'000; ++i)
            monitor.record(QByteArray("load." + QByteArray::number(i)), loopback, false, 1'000);
        const IpAddress elsewhere = *IpAddress::parse("198.51.100.7");
        for (int i = 0; i < 50; ++i)
            monitor.record("stuffer", elsewhere, false, 1'000);
        const FraudSnapshot snapshot = monitor.snapshot(5, 1'500);
        QVERIFY(!snapshot.topVoters.isEmpty());
        QCOMPARE(snapshot.topVoters.first().key, QStringLiteral("stuffer"));
        QCOMPARE(snapshot.topVoters.first().count, 50);
        QCOMPARE(snapshot.topVoters.first().error, 0);
    }

    void monitorMergesShardsAndCountsSeconds()
    {
        FraudMonitor monitor;
        const IpAddress stufferAddress = *IpAddress::parse("192.0.2.66");
        for (int i = 0; i < 50; ++i)
            monitor.record("stuffer", stufferAddress, i % 2 == 0, 10'000); // all in second 10
        for (int i = 0; i < 20; ++i) {
            const QByteArray host = "198.51.100." + QByteArray::number(i);
            const QByteArray voter = "fan" + QByteArray::number(i);
            monitor.record(voter, *IpAddress::parse(host), false, 11'500);
        }
        monitor.record({}, stufferAddress, true, 11'900); // refused before its id was read

        const FraudSnapshot snapshot = monitor.snapshot(5, 11'999);
        QCOMPARE(snapshot.total, 71);
        QCOMPARE(snapshot.rejected, 26);
        QCOMPARE(snapshot.topVoters.size(), 5);
        QCOMPARE(snapshot.topVoters.first().key, u"stuffer");
        QCOMPARE(snapshot.topVoters.first().count, 50);
        QCOMPARE(snapshot.topVoters.first().rejected, 25);
        QCOMPARE(snapshot.topAddresses.first().key, u"192.0.2.66");
        QCOMPARE(snapshot.topAddresses.first().count, 51);
        QCOMPARE(snapshot.perSecond.size(), FraudMonitor::kSecondsKept);
        QCOMPARE(snapshot.perSecond.last(), 21);                             // second 11
        QCOMPARE(snapshot.perSecond.at(FraudMonitor::kSecondsKept - 2), 50); // second 10
        QCOMPARE(snapshot.peakPerSecond, 50);

        // Seconds older than the window drop out.
        QCOMPARE(monitor.snapshot(5, 11'999 + 60'000).peakPerSecond, 0);

        monitor.reset();
        QCOMPARE(monitor.snapshot(5, 12'000).total, 0);
        QVERIFY(monitor.snapshot(5, 12'000).topVoters.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHeavyHitters)
#include "tst_heavyhitters.moc"
