#include <atomic>
#include <thread>

#include <QTest>

#include "metrics/metrics.h"
#include "metrics/metricssampler.h"

namespace {
void bump(std::atomic<qint64> &counter, qint64 n)
{
    counter.fetch_add(n, std::memory_order_relaxed);
}
} // namespace

class TestMetricsSampler final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstSamplePrimesOnly()
    {
        Metrics metrics;
        bump(metrics.votesAccepted, 500); // before the sampler existed: not a rate
        MetricsSampler sampler(metrics);
        sampler.sample(10'000);
        QVERIFY(sampler.samples().isEmpty());
        QCOMPARE(sampler.latest().atMs, 0);

        bump(metrics.votesAccepted, 7);
        sampler.sample(11'000);
        QCOMPARE(sampler.samples().size(), 1);
        QCOMPARE(sampler.latest().atMs, 11'000);
        QCOMPARE(sampler.latest().intervalMs, 1000);
        QCOMPARE(sampler.latest().accepted, 7);
    }

    void ratesFromCounterDeltas()
    {
        Metrics metrics;
        MetricsSampler sampler(metrics);
        sampler.sample(0);

        bump(metrics.votesAccepted, 1200);
        bump(metrics.votesRejected, 30);
        bump(metrics.votesPersisted, 1190);
        metrics.recordCommit(600, 800, true);
        metrics.recordCommit(590, 900, true);
        metrics.recordCommit(0, 5'000, false); // failed: not a batch, but a commit duration
        sampler.sample(1000);
        SecondSample s = sampler.latest();
        QCOMPARE(s.accepted, 1200);
        QCOMPARE(s.rejected, 30);
        QCOMPARE(s.persisted, 1190);
        QCOMPARE(s.batches, 2);
        QCOMPARE(s.avgBatchSize, 595.0);

        // A timer tick that came 2 s later: the same counts over twice the time.
        bump(metrics.votesAccepted, 1200);
        bump(metrics.votesRejected, 30);
        bump(metrics.votesPersisted, 1190);
        metrics.recordCommit(1190, 700, true);
        sampler.sample(3000);
        s = sampler.latest();
        QCOMPARE(s.intervalMs, 2000);
        QCOMPARE(s.accepted, 600);
        QCOMPARE(s.rejected, 15);
        QCOMPARE(s.persisted, 595);
        QCOMPARE(s.batches, 1); // 0.5/s rounds half away from zero
        QCOMPARE(s.avgBatchSize, 1190.0);

        // An idle second.
        sampler.sample(4000);
        s = sampler.latest();
        QCOMPARE(s.accepted, 0);
        QCOMPARE(s.batches, 0);
        QCOMPARE(s.avgBatchSize, 0.0);
        QCOMPARE(s.latencyP99Ms, 0.0);
        QCOMPARE(s.commitP99Ms, 0.0);
    }

    void gaugesComeFromRegisteredCallbacks()
    {
        Metrics metrics;
        MetricsSampler sampler(metrics);
        sampler.sample(0);
        sampler.sample(1000);
        QCOMPARE(sampler.latest().queueDepth, 0); // not registered yet: 0, not a failure

        std::atomic<qint64> depth{42};
        metrics.setGauge(Metrics::kQueueDepthGauge, "Votes waiting",
                         [&depth] { return double(depth.load()); });
        metrics.setGauge(Metrics::kActiveWorkersGauge, "Workers busy", [] { return 3.0; });
        sampler.sample(2000);
        QCOMPARE(sampler.latest().queueDepth, 42);
        QCOMPARE(sampler.latest().activeWorkers, 3);
        depth = 7;
        sampler.sample(3000);
        QCOMPARE(sampler.latest().queueDepth, 7);
    }

    void percentilesAreOfTheInterval()
    {
        Metrics metrics;
        MetricsSampler sampler(metrics);
        sampler.sample(0);

        for (int i = 0; i < 10'000; ++i)
            metrics.endToEnd.record(2'000); // a long calm stretch at 2 ms
        metrics.commit.record(300);
        sampler.sample(1000);
        QVERIFY(qAbs(sampler.latest().latencyP50Ms - 2.0) <= 2.0 / 16);
        QVERIFY(qAbs(sampler.latest().commitP99Ms - 0.3) <= 0.3 / 16);

        for (int i = 0; i < 100; ++i)
            metrics.endToEnd.record(80'000); // then one bad second at 80 ms
        metrics.commit.record(40'000);
        sampler.sample(2000);
        const SecondSample s = sampler.latest();
        // Over the lifetime these would be 2 ms: the spike would vanish from the graph.
        QVERIFY2(s.latencyP50Ms >= 80.0 && s.latencyP50Ms <= 80.0 * (1 + 1.0 / 16),
                 qPrintable(QString::number(s.latencyP50Ms)));
        QVERIFY(s.latencyP95Ms >= 80.0);
        QVERIFY(s.latencyP99Ms >= 80.0);
        QVERIFY(s.commitP99Ms >= 40.0 && s.commitP99Ms <= 40.0 * (1 + 1.0 / 16));

        sampler.sample(3000); // nothing recorded: no latency, not the last one repeated
        QCOMPARE(sampler.latest().latencyP50Ms, 0.0);
    }

    void ringKeepsTheLast600()
    {
        Metrics metrics;
        MetricsSampler sampler(metrics);
        sampler.sample(0);
        for (int second = 1; second <= MetricsSampler::kCapacity; ++second) {
            bump(metrics.votesAccepted, second);
            sampler.sample(second * 1000);
        }
        QList<SecondSample> all = sampler.samples();
        QCOMPARE(all.size(), 600);
        QCOMPARE(all.constFirst().atMs, 1000);
        QCOMPARE(all.constLast().atMs, 600'000);

        for (int second = 601; second <= 650; ++second) {
            bump(metrics.votesAccepted, second);
            sampler.sample(second * 1000);
        }
        all = sampler.samples();
        QCOMPARE(all.size(), 600);
        QCOMPARE(all.constFirst().atMs, 51'000); // the 50 oldest are gone
        QCOMPARE(all.constFirst().accepted, 51);
        QCOMPARE(all.constLast().atMs, 650'000);
        QCOMPARE(all.constLast().accepted, 650);
        for (qsizetype i = 1; i < all.size(); ++i)
            QCOMPARE(all[i].atMs, all[i - 1].atMs + 1000); // oldest first, none lost in between
        QCOMPARE(sampler.latest().atMs, 650'000);
    }

    void readersOnOtherThreads()
    {
        // The console reads on its own thread while the engine samples: every copy a reader
        // gets must be a consistent ring (oldest first, no torn or skipped entries).
        Metrics metrics;
        std::atomic<qint64> depth{0};
        metrics.setGauge(Metrics::kQueueDepthGauge, "Votes waiting",
                         [&depth] { return double(depth.load()); });
        MetricsSampler sampler(metrics);
        sampler.sample(0);
        std::atomic<bool> done{false};
        std::atomic<int> badCopies{0};
        std::thread reader([&] {
            while (!done.load()) {
                const QList<SecondSample> all = sampler.samples();
                if (all.size() > MetricsSampler::kCapacity)
                    ++badCopies;
                for (qsizetype i = 1; i < all.size(); ++i) {
                    if (all[i].atMs != all[i - 1].atMs + 1000 || all[i].accepted != 1)
                        ++badCopies;
                }
                const SecondSample last = sampler.latest();
                if (last.atMs != 0 && last.queueDepth * 1000 != last.atMs)
                    ++badCopies;
            }
        });
        for (int second = 1; second <= 2000; ++second) {
            metrics.votesAccepted.fetch_add(1, std::memory_order_relaxed);
            metrics.endToEnd.record(second);
            depth = second;
            sampler.sample(qint64(second) * 1000);
        }
        done = true;
        reader.join();
        QCOMPARE(badCopies.load(), 0);
        QCOMPARE(sampler.samples().size(), MetricsSampler::kCapacity);
        QCOMPARE(sampler.latest().atMs, 2'000'000);
    }

    void clockThatDoesNotAdvanceReprimes()
    {
        Metrics metrics;
        MetricsSampler sampler(metrics);
        sampler.sample(5000);
        bump(metrics.votesAccepted, 10);
        sampler.sample(5000); // same instant: no interval to divide by
        QVERIFY(sampler.samples().isEmpty());
        sampler.sample(4000); // went back: a new baseline, not a negative interval
        QVERIFY(sampler.samples().isEmpty());
        bump(metrics.votesAccepted, 4);
        sampler.sample(5000);
        QCOMPARE(sampler.samples().size(), 1);
        QCOMPARE(sampler.latest().accepted, 4);
    }
};

QTEST_APPLESS_MAIN(TestMetricsSampler)
#include "tst_metricssampler.moc"
