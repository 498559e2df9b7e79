#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include <QTest>

#include "metrics/latencyhistogram.h"

namespace {
// The stated bound: percentile() is never below the true value and less than 1/16 above it.
constexpr double kRelativeError = 1.0 / LatencyHistogram::kSubBucketCount;

bool withinError(qint64 reported, qint64 truth)
{
    return reported >= truth && double(reported) <= double(truth) * (1.0 + kRelativeError);
}

// The nearest-rank percentile of the raw values, what the histogram approximates.
qint64 exactPercentile(std::vector<qint64> values, double percent)
{
    std::sort(values.begin(), values.end());
    const auto rank = std::max<qint64>(1, qint64(std::ceil(percent / 100.0 * double(values.size()))));
    return values[std::size_t(rank - 1)];
}
} // namespace

class TestLatencyHistogram final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketsTileTheRange()
    {
        QCOMPARE(LatencyHistogram::bucketLowerMicros(0), 0);
        for (int i = 0; i < LatencyHistogram::kBucketCount; ++i) {
            const qint64 lower = LatencyHistogram::bucketLowerMicros(i);
            const qint64 upper = LatencyHistogram::bucketUpperMicros(i);
            QVERIFY2(lower <= upper, qPrintable(QString::number(i)));
            QCOMPARE(LatencyHistogram::bucketIndex(lower), i);
            QCOMPARE(LatencyHistogram::bucketIndex(upper), i);
            if (i + 1 < LatencyHistogram::kBucketCount)
                QCOMPARE(LatencyHistogram::bucketLowerMicros(i + 1), upper + 1); // no gaps, no overlap
            if (lower < 32)
                QCOMPARE(upper, lower); // exact below 32 µs
            else
                QVERIFY(double(upper - lower + 1) <= double(lower) * kRelativeError);
        }
        QCOMPARE(LatencyHistogram::bucketUpperMicros(LatencyHistogram::kBucketCount - 1),
                 LatencyHistogram::kMaxTrackableMicros);
        QVERIFY(LatencyHistogram::kMaxTrackableMicros >= 100'000'000); // ~100 s is covered
    }

    void knownBoundaries()
    {
        QCOMPARE(LatencyHistogram::bucketIndex(15), 15);
        QCOMPARE(LatencyHistogram::bucketIndex(16), 16);
        QCOMPARE(LatencyHistogram::bucketIndex(31), 31);
        QCOMPARE(LatencyHistogram::bucketIndex(32), 32);
        QCOMPARE(LatencyHistogram::bucketIndex(33), 32); // [32, 33] share a 2 µs bucket
        QCOMPARE(LatencyHistogram::bucketIndex(34), 33);
        // 5000 µs lies in [4096, 8192): 256 µs sub-buckets, the 4th is [4864, 5119].
        QCOMPARE(LatencyHistogram::bucketLowerMicros(LatencyHistogram::bucketIndex(5000)), 4864);
        QCOMPARE(LatencyHistogram::bucketUpperMicros(LatencyHistogram::bucketIndex(5000)), 5119);
    }

    void clampsOutOfRange()
    {
        LatencyHistogram histogram;
        histogram.record(-5);
        histogram.record(0);
        const qint64 huge = LatencyHistogram::kMaxTrackableMicros * 10;
        histogram.record(huge);
        const LatencyHistogram::Snapshot s = histogram.snapshot();
        QCOMPARE(s.count(), 3);
        QCOMPARE(s.bucketCount(0), 2);
        QCOMPARE(s.bucketCount(LatencyHistogram::kBucketCount - 1), 1);
        QCOMPARE(s.sum(), huge); // negatives count as 0; the sum stays exact above the range
        QCOMPARE(s.max(), huge);
        QCOMPARE(s.percentile(0), 0);
        QCOMPARE(s.percentile(50), 0);
        QCOMPARE(s.percentile(100), LatencyHistogram::kMaxTrackableMicros); // the top bucket's bound
    }

    void emptyHistogram()
    {
        const LatencyHistogram::Snapshot s = LatencyHistogram().snapshot();
        QCOMPARE(s.count(), 0);
        QCOMPARE(s.sum(), 0);
        QCOMPARE(s.max(), 0);
        QCOMPARE(s.percentile(0), 0);
        QCOMPARE(s.percentile(50), 0);
        QCOMPARE(s.percentile(99), 0);
        for (const LatencyHistogram::PrometheusBucket &bucket : s.prometheusBuckets())
            QCOMPARE(bucket.cumulativeCount, 0);
    }

    void singleValue_data()
    {
        QTest::addColumn<qint64>("micros");
        for (const qint64 micros :
             {qint64(0), qint64(1), qint64(31), qint64(1234), qint64(999'999), qint64(100'000'000)})
            QTest::addRow("%lld", micros) << micros;
    }

    void singleValue()
    {
        QFETCH(qint64, micros);
        LatencyHistogram histogram;
        histogram.record(micros);
        const LatencyHistogram::Snapshot s = histogram.snapshot();
        QCOMPARE(s.count(), 1);
        QCOMPARE(s.sum(), micros);
        QCOMPARE(s.max(), micros);
        // Every percentile of one value is that value: the bucket bound is capped by the max.
        for (const double p : {0.0, 50.0, 99.0, 100.0})
            QCOMPARE(s.percentile(p), micros);
    }

    void uniformDistribution()
    {
        LatencyHistogram histogram;
        for (qint64 micros = 1; micros <= 10'000; ++micros)
            histogram.record(micros);
        const LatencyHistogram::Snapshot s = histogram.snapshot();
        QCOMPARE(s.count(), 10'000);
        QCOMPARE(s.sum(), qint64(10'000) * 10'001 / 2);
        QCOMPARE(s.max(), 10'000);
        QVERIFY2(withinError(s.percentile(50), 5000), qPrintable(QString::number(s.percentile(50))));
        QVERIFY2(withinError(s.percentile(95), 9500), qPrintable(QString::number(s.percentile(95))));
        QVERIFY2(withinError(s.percentile(99), 9900), qPrintable(QString::number(s.percentile(99))));
        QCOMPARE(s.percentile(0), 1);
        QCOMPARE(s.percentile(100), 10'000);
        QCOMPARE(s.percentile(-3), 1);       // clamped to [0, 100]
        QCOMPARE(s.percentile(250), 10'000); // clamped to [0, 100]
    }

    void logUniformAgainstExact()
    {
        // Latencies spread over seven decades, checked against the exact nearest-rank answer.
        std::mt19937_64 random(42);
        std::uniform_real_distribution<double> exponent(0.0, 7.0);
        std::vector<qint64> values;
        LatencyHistogram histogram;
        for (int i = 0; i < 50'000; ++i) {
            const auto micros = qint64(std::pow(10.0, exponent(random)));
            values.push_back(micros);
            histogram.record(micros);
        }
        const LatencyHistogram::Snapshot s = histogram.snapshot();
        for (const double p : {1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0}) {
            const qint64 truth = exactPercentile(values, p);
            QVERIFY2(
                withinError(s.percentile(p), truth),
                qPrintable(QStringLiteral("p%1: %2 vs exact %3").arg(p).arg(s.percentile(p)).arg(truth)));
        }
    }

    void concurrentRecordingSumsExactly()
    {
        constexpr int kThreads = 4;
        constexpr int kPerThread = 200'000;
        LatencyHistogram histogram;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&histogram, t] {
                for (int i = 0; i < kPerThread; ++i)
                    histogram.record(qint64(i % 20'000) + t); // every thread hits shared buckets
            });
        }
        for (std::thread &thread : threads)
            thread.join();

        LatencyHistogram serial;
        qint64 expectedSum = 0;
        for (int t = 0; t < kThreads; ++t) {
            for (int i = 0; i < kPerThread; ++i) {
                serial.record(qint64(i % 20'000) + t);
                expectedSum += qint64(i % 20'000) + t;
            }
        }
        const LatencyHistogram::Snapshot s = histogram.snapshot();
        const LatencyHistogram::Snapshot expected = serial.snapshot();
        QCOMPARE(s.count(), qint64(kThreads) * kPerThread);
        QCOMPARE(s.sum(), expectedSum);
        QCOMPARE(s.max(), qint64(19'999 + kThreads - 1));
        for (int i = 0; i < LatencyHistogram::kBucketCount; ++i)
            QCOMPARE(s.bucketCount(i), expected.bucketCount(i));
        QCOMPARE(s.prometheusBuckets().constLast().cumulativeCount, s.count());
    }

    void snapshotSubtraction()
    {
        LatencyHistogram histogram;
        for (int i = 0; i < 1000; ++i)
            histogram.record(50'000); // a slow first interval
        const LatencyHistogram::Snapshot before = histogram.snapshot();

        LatencyHistogram onlyAfter;
        for (qint64 micros = 100; micros <= 400; ++micros) {
            histogram.record(micros);
            onlyAfter.record(micros);
        }
        const LatencyHistogram::Snapshot interval = histogram.snapshot() - before;
        const LatencyHistogram::Snapshot expected = onlyAfter.snapshot();

        QCOMPARE(interval.count(), expected.count());
        QCOMPARE(interval.sum(), expected.sum());
        for (int i = 0; i < LatencyHistogram::kBucketCount; ++i)
            QCOMPARE(interval.bucketCount(i), expected.bucketCount(i));
        QCOMPARE(interval.percentile(50), expected.percentile(50));
        QVERIFY(withinError(interval.percentile(50), 250));
        // The lifetime maximum (50 ms) is not this interval's: the bucket bound takes over.
        QVERIFY(withinError(interval.max(), 400));
        QVERIFY(withinError(interval.percentile(100), 400));
        const QList<LatencyHistogram::PrometheusBucket> buckets = interval.prometheusBuckets();
        QCOMPARE(buckets.constLast().cumulativeCount, interval.count());

        const LatencyHistogram::Snapshot nothing = before - before;
        QCOMPARE(nothing.count(), 0);
        QCOMPARE(nothing.max(), 0);
        QCOMPARE(nothing.percentile(99), 0);
        // Swapped operands clamp to zero instead of going negative.
        QCOMPARE((before - histogram.snapshot()).count(), 0);
    }

    void prometheusBucketsAreExactAndCumulative()
    {
        LatencyHistogram histogram;
        histogram.record(500);        // exactly on le=0.0005: belongs to it (le is inclusive)
        histogram.record(501);        // just above: le=0.001
        histogram.record(1'000);      // exactly 1 ms
        histogram.record(10'000'000); // exactly 10 s, the last finite bound
        histogram.record(10'000'001); // only +Inf
        const QList<LatencyHistogram::PrometheusBucket> buckets = histogram.snapshot().prometheusBuckets();
        QCOMPARE(buckets.size(), LatencyHistogram::kPrometheusBucketCount);

        auto cumulativeAt = [&buckets](double leSeconds) {
            for (const LatencyHistogram::PrometheusBucket &bucket : buckets) {
                if (bucket.leSeconds == leSeconds)
                    return bucket.cumulativeCount;
            }
            return qint64(-1);
        };
        QCOMPARE(cumulativeAt(0.00025), 0);
        QCOMPARE(cumulativeAt(0.0005), 1);
        QCOMPARE(cumulativeAt(0.001), 3);
        QCOMPARE(cumulativeAt(5.0), 3);
        QCOMPARE(cumulativeAt(10.0), 4);
        QCOMPARE(cumulativeAt(std::numeric_limits<double>::infinity()), 5);
        QVERIFY(std::isinf(buckets.constLast().leSeconds));
        for (qsizetype i = 1; i < buckets.size(); ++i) {
            QVERIFY(buckets[i].leSeconds > buckets[i - 1].leSeconds);
            QVERIFY(buckets[i].cumulativeCount >= buckets[i - 1].cumulativeCount);
        }
    }
};

QTEST_APPLESS_MAIN(TestLatencyHistogram)
#include "tst_latencyhistogram.moc"
