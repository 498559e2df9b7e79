#include <QTest>

#include "ingest/orchestrator.h"

using namespace Qt::Literals::StringLiterals;

namespace {
Orchestrator::Config config(int minWorkers = 1, int maxWorkers = 4)
{
    Orchestrator::Config c;
    c.minWorkers = minWorkers;
    c.maxWorkers = maxWorkers;
    c.scaleUpDepthPerWorker = 1000;
    c.scaleUpAgeMs = 20;
    c.scaleDownDepthPerWorker = 100;
    c.scaleDownAfterMs = 3000;
    c.cooldownMs = 250;
    return c;
}

Orchestrator::Observation at(qint64 nowMs, qint64 depth, qint64 ageMs, int active)
{
    return {nowMs, depth, ageMs, active};
}

// Feeds calm observations every `stepMs` from `fromMs` until the orchestrator changes its
// mind or `untilMs` passes. Returns the time of the change, or -1.
qint64 calmUntilChange(Orchestrator &orchestrator, qint64 fromMs, qint64 untilMs, qint64 stepMs, int active,
                       Orchestrator::Decision *decision)
{
    for (qint64 t = fromMs; t <= untilMs; t += stepMs) {
        *decision = orchestrator.decide(at(t, 0, 0, active));
        if (decision->changed)
            return t;
    }
    return -1;
}
} // namespace

class TestOrchestrator final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void steadyLoadChangesNothing()
    {
        Orchestrator o(config());
        for (qint64 t = 0; t < 10'000; t += 100) {
            // Between the thresholds: neither deep nor calm.
            const auto d = o.decide(at(t, 500, 5, 2));
            QVERIFY(!d.changed);
            QCOMPARE(d.workers, 2);
            QVERIFY(d.reason.isEmpty());
        }
        QCOMPARE(o.scaleUps(), 0);
        QCOMPARE(o.scaleDowns(), 0);
    }

    void growsByOneWhenTheQueueIsDeep()
    {
        Orchestrator o(config());
        // The threshold is per active worker: 1000 per worker, 2 active -> more than 2000.
        QVERIFY(!o.decide(at(0, 2000, 0, 2)).changed);
        const auto d = o.decide(at(1, 2001, 0, 2));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 3);
        QVERIFY2(d.reason.contains(u"queue depth 2001"_s), qPrintable(d.reason));
        QVERIFY2(d.reason.contains(u"2 -> 3"_s), qPrintable(d.reason));
        QCOMPARE(o.scaleUps(), 1);
        QCOMPARE(o.scaleDowns(), 0);
    }

    void growsByOneWhenTheOldestVoteWaitedTooLong()
    {
        Orchestrator o(config());
        QVERIFY(!o.decide(at(0, 10, 20, 1)).changed); // exactly the threshold: not yet
        const auto d = o.decide(at(1, 10, 21, 1));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 2);
        QVERIFY2(d.reason.contains(u"oldest vote waited 21 ms"_s), qPrintable(d.reason));
        QVERIFY2(!d.reason.contains(u"depth"_s), qPrintable(d.reason));
        QCOMPARE(o.scaleUps(), 1);
    }

    void cooldownBetweenChanges()
    {
        Orchestrator o(config(1, 8));
        QVERIFY(o.decide(at(1000, 100'000, 100, 1)).changed);
        // Still deep, but within the cooldown: no change.
        for (qint64 t = 1000; t < 1250; t += 10) {
            const auto d = o.decide(at(t, 100'000, 100, 2));
            QVERIFY2(!d.changed, qPrintable(u"changed at %1 ms: %2"_s.arg(t).arg(d.reason)));
            QCOMPARE(d.workers, 2);
        }
        const auto d = o.decide(at(1250, 100'000, 100, 2));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 3);
        QCOMPARE(o.scaleUps(), 2);
    }

    void respectsTheMaximum()
    {
        Orchestrator o(config(1, 3));
        int active = 1;
        for (qint64 t = 0; t < 10'000; t += 300) {
            const auto d = o.decide(at(t, 1'000'000, 1000, active));
            QVERIFY(d.workers <= 3);
            QVERIFY(d.workers - active <= 1); // one step at a time
            active = d.workers;
        }
        QCOMPARE(active, 3);
        QCOMPARE(o.scaleUps(), 2);
        const auto d = o.decide(at(20'000, 1'000'000, 1000, 3));
        QVERIFY(!d.changed);
        QCOMPARE(d.workers, 3);
    }

    void shrinksOnlyAfterBeingCalmLongEnough()
    {
        Orchestrator o(config(1, 4));
        // Calm from t = 0 on (depth below 100 per worker, nothing old waiting).
        Orchestrator::Decision d;
        const qint64 changedAt = calmUntilChange(o, 0, 10'000, 100, 3, &d);
        QCOMPARE(changedAt, 3000);
        QCOMPARE(d.workers, 2);
        QVERIFY2(d.reason.contains(u"calm"_s), qPrintable(d.reason));
        QVERIFY2(d.reason.contains(u"3 -> 2"_s), qPrintable(d.reason));
        QCOMPARE(o.scaleDowns(), 1);
        QCOMPARE(o.scaleUps(), 0);

        // The next step needs another full calm period, counted from the change.
        const qint64 next = calmUntilChange(o, 3100, 20'000, 100, 2, &d);
        QCOMPARE(next, 3100 + 3000);
        QCOMPARE(d.workers, 1);
    }

    void aBusyMomentRestartsTheCalmPeriod()
    {
        Orchestrator o(config(1, 4));
        QVERIFY(!o.decide(at(0, 0, 0, 2)).changed);
        QVERIFY(!o.decide(at(2900, 0, 0, 2)).changed);
        QVERIFY(!o.decide(at(2950, 199, 0, 2)).changed); // still calm: below 100 per worker
        QVERIFY(!o.decide(at(2960, 200, 0, 2)).changed); // not calm, not deep
        // Calm again: the 3000 ms start over from here.
        QVERIFY(!o.decide(at(3000, 0, 0, 2)).changed);
        QVERIFY(!o.decide(at(5999, 0, 0, 2)).changed);
        const auto d = o.decide(at(6000, 0, 0, 2));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 1);
    }

    void anOldVoteIsNotCalm()
    {
        Orchestrator o(config(1, 4));
        // Depth is low, but the oldest vote waited more than half the scale-up age.
        for (qint64 t = 0; t <= 10'000; t += 100)
            QVERIFY(!o.decide(at(t, 0, 11, 2)).changed);
        QCOMPARE(o.scaleDowns(), 0);
    }

    void neverBelowTheMinimum()
    {
        Orchestrator o(config(2, 4));
        Orchestrator::Decision d;
        QCOMPARE(calmUntilChange(o, 0, 100'000, 100, 2, &d), qint64(-1));
        QCOMPARE(o.scaleDowns(), 0);
    }

    void cooldownAlsoHoldsAScaleDown()
    {
        Orchestrator::Config c = config(1, 4);
        c.scaleDownAfterMs = 100;
        c.cooldownMs = 1000;
        Orchestrator o(c);
        QVERIFY(o.decide(at(0, 1'000'000, 0, 2)).changed); // up to 3 at t = 0
        // Calm right after: long enough calm, but the cooldown is not over.
        for (qint64 t = 10; t < 1000; t += 10)
            QVERIFY(!o.decide(at(t, 0, 0, 3)).changed);
        const auto d = o.decide(at(1000, 0, 0, 3));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 2);
        QCOMPARE(o.scaleUps(), 1);
        QCOMPARE(o.scaleDowns(), 1);
    }

    void clampsAnActiveCountOutOfRange()
    {
        Orchestrator o(config(2, 4));
        auto d = o.decide(at(0, 0, 0, 1));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 2);
        QVERIFY2(d.reason.contains(u"minimum of 2"_s), qPrintable(d.reason));
        QCOMPARE(o.scaleUps(), 1);

        // Clamping is not held back by the cooldown.
        d = o.decide(at(1, 0, 0, 9));
        QVERIFY(d.changed);
        QCOMPARE(d.workers, 4);
        QVERIFY2(d.reason.contains(u"maximum of 4"_s), qPrintable(d.reason));
        QCOMPARE(o.scaleDowns(), 1);

        d = o.decide(at(2, 0, 0, 0));
        QCOMPARE(d.workers, 2);
    }

    void configIsSanitised()
    {
        Orchestrator::Config c = config(0, 0);
        Orchestrator o(c);
        QCOMPARE(o.config().minWorkers, 1);
        QCOMPARE(o.config().maxWorkers, 1);

        Orchestrator inverted(config(3, 2));
        QCOMPARE(inverted.config().minWorkers, 3);
        QCOMPARE(inverted.config().maxWorkers, 3);
        // Deep queue, already at the (raised) maximum: stays.
        const auto d = inverted.decide(at(0, 1'000'000, 1000, 3));
        QVERIFY(!d.changed);
        QCOMPARE(d.workers, 3);
    }

    // A whole show: a surge grows the pool step by step to the maximum, the calm afterwards
    // shrinks it step by step to the minimum; the counters count the steps.
    void surgeAndCalm()
    {
        Orchestrator o(config(1, 4));
        int active = 1;
        qint64 t = 0;
        for (; t < 5000; t += 50) {
            const auto d = o.decide(at(t, 50'000, 200, active));
            if (d.changed)
                QCOMPARE(d.workers, active + 1);
            active = d.workers;
        }
        QCOMPARE(active, 4);
        QCOMPARE(o.scaleUps(), 3);
        for (; t < 30'000; t += 50) {
            const auto d = o.decide(at(t, 0, 0, active));
            if (d.changed)
                QCOMPARE(d.workers, active - 1);
            active = d.workers;
        }
        QCOMPARE(active, 1);
        QCOMPARE(o.scaleDowns(), 3);
    }
};

QTEST_APPLESS_MAIN(TestOrchestrator)
#include "tst_orchestrator.moc"
