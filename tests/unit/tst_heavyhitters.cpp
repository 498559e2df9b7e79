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

    void clearForgetsEverything()
    {
        HeavyHitters sketch(2);
        sketch.add(1, "a");
        sketch.clear();
        QCOMPARE(sketch.size(), 0);
        QCOMPARE(sketch.total(), 0);
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
