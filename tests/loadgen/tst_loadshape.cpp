// The load shapes and their token schedule: how many votes a profile makes due, and when.
// A run sends exactly dueBy(duration) votes, so these counts are what a run must send.
#include <cmath>

#include <QTest>

#include "duration.h"
#include "loadshape.h"

using namespace Qt::Literals::StringLiterals;

class TestLoadShape final : public QObject
{
    Q_OBJECT

private:
    // The schedule, walked a millisecond at a time as the sender does: never goes back,
    // never jumps by more than the rate allows, and ends at the closed form's total.
    static void checkSchedule(const LoadShape &shape, qint64 durationMs)
    {
        qint64 previous = 0;
        for (qint64 ms = 0; ms <= durationMs; ++ms) {
            const qint64 due = shape.dueBy(ms);
            QVERIFY2(due >= previous, qPrintable(u"at %1 ms"_s.arg(ms)));
            QVERIFY2(double(due - previous) <= shape.peakRate() / 1000.0 + 1.0,
                     qPrintable(u"at %1 ms"_s.arg(ms)));
            previous = due;
        }
        QCOMPARE(previous, qint64(std::floor(shape.cumulativeAt(double(durationMs)) + 1e-6)));
    }

    // The closed form against a numeric integral of rateAt (midpoint rule, 0.1 ms steps).
    static double integrate(const LoadShape &shape, qint64 durationMs)
    {
        double sum = 0;
        const int steps = int(durationMs * 10);
        for (int i = 0; i < steps; ++i) {
            const double ms = (i + 0.5) / 10.0;
            // rateAt takes whole ms; interpolate the two neighbours for the midpoint.
            const auto lower = qint64(std::floor(ms));
            const double frac = ms - double(lower);
            const double rate = shape.rateAt(lower) * (1 - frac) + shape.rateAt(lower + 1) * frac;
            sum += rate / 10'000.0;
        }
        return sum;
    }

private Q_SLOTS:
    void steadyCounts()
    {
        const LoadShape shape = LoadShape::steady(1000);
        QCOMPARE(shape.dueBy(0), 0);
        QCOMPARE(shape.dueBy(1), 1);
        QCOMPARE(shape.dueBy(999), 999);
        QCOMPARE(shape.dueBy(3000), 3000); // not 2999: the epsilon absorbs rounding
        QCOMPARE(LoadShape::steady(333).dueBy(3000), 999);
        QCOMPARE(LoadShape::steady(0.5).dueBy(10'000), 5);
        checkSchedule(LoadShape::steady(7), 2000);
    }

    void rampCounts()
    {
        // 0 -> 1000/s over 10 s: the triangle, 5000 votes; half-way 1250 (a quarter).
        const LoadShape shape = LoadShape::ramp(0, 1000, 10'000);
        QCOMPARE(shape.dueBy(10'000), 5000);
        QCOMPARE(shape.dueBy(5000), 1250);
        QCOMPARE(shape.rateAt(5000), 500.0);
        QCOMPARE(LoadShape::ramp(200, 400, 2000).dueBy(2000), 600);
        // Beyond its length a ramp holds its final rate.
        QCOMPARE(LoadShape::ramp(0, 1000, 1000).dueBy(2000), 1500);
        checkSchedule(shape, 10'000);
    }

    void spikeCounts()
    {
        // base 100/s; at 1 s a rise over 2 s to 1100/s; then a decay to within 1 % of base in 10 s.
        const LoadShape shape = LoadShape::spike(1100, 2000, 10'000, 100, 1000);
        QCOMPARE(shape.naturalDurationMs(), 13'000);
        QCOMPARE(shape.rateAt(500), 100.0);
        QCOMPARE(shape.rateAt(2000), 600.0);
        QCOMPARE(shape.rateAt(3000), 1100.0);
        QVERIFY(std::abs(shape.rateAt(13'000) - 110.0) < 0.01); // 1 % of the excess left
        QCOMPARE(shape.dueBy(1000), 100);
        QCOMPARE(shape.dueBy(3000), 300 + 1000); // base 3 s + the rise's triangle
        const double tau = 10.0 / std::log(100.0);
        QCOMPARE(shape.dueBy(13'000), qint64(std::floor(1300 + 1000 + 1000 * tau * 0.99 + 1e-6)));
        QVERIFY(std::abs(integrate(shape, 13'000) - shape.cumulativeAt(13'000)) < 0.5);
        checkSchedule(shape, 13'000);
    }

    void spikeWithoutRiseOrDecay()
    {
        QCOMPARE(LoadShape::spike(1000, 0, 0).dueBy(5000), 0);
        const LoadShape instant = LoadShape::spike(1000, 0, 1000);
        QCOMPARE(instant.rateAt(0), 1000.0);
        QVERIFY(instant.dueBy(1000) > 200);
    }

    void maxHasNoSchedule()
    {
        LoadShape shape;
        QString error;
        QVERIFY2(LoadShape::parse(u"max"_s, 0, &shape, &error), qPrintable(error));
        QVERIFY(shape.isUnlimited());
        // Always more due than any run can send: the sender fills every free slot.
        QVERIFY(shape.dueBy(0) > qint64(1) << 40);
        QVERIFY(!LoadShape::parse(u"max:rate=5"_s, 0, &shape, &error));
        QVERIFY(!LoadShape::steady(5).isUnlimited());
    }

    void parsesProfiles_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<double>("rate");
        QTest::addColumn<qint64>("durationMs");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("steady from --rate") << u"steady"_s << 250.0 << qint64(4000) << qint64(1000);
        QTest::newRow("steady with its own rate") << u"steady:rate=10"_s << 0.0 << qint64(4000) << qint64(40);
        QTest::newRow("ramp to --rate") << u"ramp"_s << 100.0 << qint64(2000) << qint64(100);
        QTest::newRow("ramp from to") << u"ramp:from=100,to=300"_s << 0.0 << qint64(1000) << qint64(200);
        QTest::newRow("spike") << u"spike:peak=1000,rise=1s,decay=0s"_s << 0.0 << qint64(1000) << qint64(500);
        QTest::newRow("spike peak from --rate")
            << u"spike:rise=2s,decay=0s"_s << 50.0 << qint64(2000) << qint64(50);
    }

    void parsesProfiles()
    {
        QFETCH(QString, spec);
        QFETCH(double, rate);
        QFETCH(qint64, durationMs);
        QFETCH(qint64, expected);
        LoadShape shape;
        QString error;
        QVERIFY2(LoadShape::parse(spec, rate, &shape, &error), qPrintable(error));
        shape.setDurationMs(durationMs);
        QCOMPARE(shape.dueBy(durationMs), expected);
        QVERIFY(!shape.describe().isEmpty());
    }

    void refusesBadProfiles_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown") << u"sawtooth"_s << u"sawtooth"_s;
        QTest::newRow("no rate") << u"steady"_s << u"rate"_s;
        QTest::newRow("unknown parameter") << u"spike:peak=10,height=3"_s << u"height"_s;
        QTest::newRow("not key=value") << u"ramp:to"_s << u"key=value"_s;
        QTest::newRow("bad duration") << u"spike:peak=10,rise=soon"_s << u"rise"_s;
        QTest::newRow("negative rate") << u"ramp:to=-5"_s << u"to"_s;
        QTest::newRow("base above peak") << u"spike:peak=10,base=20"_s << u"base"_s;
    }

    void refusesBadProfiles()
    {
        QFETCH(QString, spec);
        QFETCH(QString, mentions);
        LoadShape shape;
        QString error;
        QVERIFY(!LoadShape::parse(spec, 0, &shape, &error));
        QVERIFY2(error.contains(mentions), qPrintable(error));
    }

    void parsesDurations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("seconds") << u"10s"_s << qint64(10'000);
        QTest::newRow("bare number is seconds") << u"3"_s << qint64(3000);
        QTest::newRow("minutes") << u"2m"_s << qint64(120'000);
        QTest::newRow("min") << u"1min"_s << qint64(60'000);
        QTest::newRow("milliseconds") << u"250ms"_s << qint64(250);
        QTest::newRow("hours") << u"1h"_s << qint64(3'600'000);
        QTest::newRow("fraction") << u"1.5s"_s << qint64(1500);
        QTest::newRow("zero") << u"0s"_s << qint64(0);
        QTest::newRow("spaces") << u" 5s "_s << qint64(5000);
    }

    void parsesDurations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        QString error;
        QCOMPARE(parseDurationMs(text, &error), ms);
        QVERIFY(error.isEmpty());
    }

    void refusesBadDurations()
    {
        for (const QString &text :
             {u""_s, u"s"_s, u"10x"_s, u"-1s"_s, u"ten seconds"_s, u"1e400s"_s, u"9999h"_s}) {
            QString error;
            QCOMPARE(parseDurationMs(text, &error), -1);
            QVERIFY2(error.contains(u"duration"_s), qPrintable(text));
        }
    }

    void formatsDurations()
    {
        QCOMPARE(formatDurationMs(250), u"250ms"_s);
        QCOMPARE(formatDurationMs(10'000), u"10s"_s);
        QCOMPARE(formatDurationMs(120'000), u"2m"_s);
        QCOMPARE(formatDurationMs(90'000), u"1m30s"_s);
        QCOMPARE(formatDurationMs(1500), u"1.5s"_s);
    }
};

QTEST_GUILESS_MAIN(TestLoadShape)
#include "tst_loadshape.moc"
