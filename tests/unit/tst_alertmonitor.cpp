// The alert rules: each raises once per episode, ends it with hysteresis, and a clock jump is
// the wall clock moving against the steady one, not time passing.
#include <QTest>

#include "engine/alertmonitor.h"
#include "engine/consoleevent.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QStringList kinds(const QList<AlertMonitor::Alert> &alerts)
{
    QStringList out;
    for (const AlertMonitor::Alert &alert : alerts)
        out.append(alert.kind);
    return out;
}

// Ticks a second apart on both clocks, as the engine's timer makes them.
class Ticker
{
public:
    AlertMonitor monitor;
    AlertMonitor::Tick tick{1'700'000'000'000, 5'000, 0, 1000, 0};

    QStringList next()
    {
        tick.wallMs += 1000;
        tick.monotonicMs += 1000;
        return kinds(monitor.tick(tick));
    }
};
} // namespace

class TestAlertMonitor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void quietPipelineRaisesNothing()
    {
        Ticker t;
        for (int i = 0; i < 30; ++i)
            QVERIFY(t.next().isEmpty());
    }

    void queueAboveEightyPercentOncePerEpisode()
    {
        Ticker t;
        QVERIFY(t.next().isEmpty());
        t.tick.queueDepth = 800; // exactly 80 %: not above
        QVERIFY(t.next().isEmpty());
        t.tick.queueDepth = 801;
        const AlertMonitor::Alert high = t.monitor.tick(t.tick).value(0);
        QCOMPARE(high.kind, u"queue_high"_s);
        QVERIFY2(high.detail.contains(u"80 %"_s) && high.detail.contains(u"801 of 1000"_s),
                 qPrintable(high.detail));
        t.tick.queueDepth = 990;
        QVERIFY(t.next().isEmpty()); // still the same episode
        t.tick.queueDepth = 600;     // below 80 % but above 50 %: not over yet (no flapping)
        QVERIFY(t.next().isEmpty());
        t.tick.queueDepth = 850;
        QVERIFY(t.next().isEmpty());
        t.tick.queueDepth = 400;
        QCOMPARE(t.next(), QStringList{u"queue_normal"_s});
        t.tick.queueDepth = 900;
        QCOMPARE(t.next(), QStringList{u"queue_high"_s});
    }

    void unknownCapacityHasNoQueueRule()
    {
        Ticker t;
        t.tick.queueCapacity = 0;
        t.tick.queueDepth = 1'000'000;
        QVERIFY(t.next().isEmpty());
    }

    void wallClockJumpAgainstSteadyClock()
    {
        Ticker t;
        QVERIFY(t.next().isEmpty());
        // A busy tick: the timer fired late, both clocks moved 3 s. Not a jump.
        t.tick.wallMs += 3000;
        t.tick.monotonicMs += 3000;
        QVERIFY(t.next().isEmpty());
        // Drift under the threshold.
        t.tick.wallMs += 1900;
        QVERIFY(t.next().isEmpty());
        // NTP steps the clock forward 5 s.
        t.tick.wallMs += 5000;
        const QList<AlertMonitor::Alert> forward = t.monitor.tick(t.tick);
        QCOMPARE(kinds(forward), QStringList{u"clock_jump"_s});
        QVERIFY2(forward.value(0).detail.contains(u"+5.0 s"_s), qPrintable(forward.value(0).detail));
        QVERIFY(t.next().isEmpty()); // the new offset is the reference now
        // And back by an hour (someone set the time by hand).
        t.tick.wallMs -= 3'600'000;
        const QList<AlertMonitor::Alert> back = t.monitor.tick(t.tick);
        QCOMPARE(kinds(back), QStringList{u"clock_jump"_s});
        QVERIFY2(back.value(0).detail.contains(u"-3600.0 s"_s), qPrintable(back.value(0).detail));
    }

    void refusedWith503IsOneEpisodeUntilQuiet()
    {
        Ticker t;
        t.tick.refused503Total = 7; // refused before the monitor started: the baseline
        QVERIFY(t.next().isEmpty());
        t.tick.refused503Total = 57;
        const QList<AlertMonitor::Alert> started = t.monitor.tick(t.tick);
        QCOMPARE(kinds(started), QStringList{u"overloaded"_s});
        QVERIFY2(started.value(0).detail.startsWith(u"50 requests"_s), qPrintable(started.value(0).detail));
        for (int i = 0; i < 5; ++i) {
            t.tick.refused503Total += 100;
            QVERIFY(t.next().isEmpty());
        }
        // Quiet for less than OverloadQuietMs: still the same episode.
        for (qint64 quiet = 1000; quiet < AlertMonitor::OverloadQuietMs; quiet += 1000)
            QVERIFY(t.next().isEmpty());
        const QList<AlertMonitor::Alert> ended = [&] {
            t.tick.wallMs += 1000;
            t.tick.monotonicMs += 1000;
            return t.monitor.tick(t.tick);
        }();
        QCOMPARE(kinds(ended), QStringList{u"overload_ended"_s});
        QVERIFY2(ended.value(0).detail.contains(u"550 refused in all"_s), qPrintable(ended.value(0).detail));
        QVERIFY(t.next().isEmpty());
    }

    void newSessionCountersAreANewBaseline()
    {
        Ticker t;
        t.tick.refused503Total = 500;
        QVERIFY(t.next().isEmpty());
        t.tick.refused503Total = 0; // the next session's counters
        QVERIFY(t.next().isEmpty());
        t.tick.refused503Total = 3;
        QCOMPARE(t.next(), QStringList{u"overloaded"_s});
    }

    void severityOfEveryKind()
    {
        QCOMPARE(eventSeverity(u"lines_opened"_s), Severity::Info);
        QCOMPARE(eventSeverity(u"queue_normal"_s), Severity::Info);
        QCOMPARE(eventSeverity(u"queue_high"_s), Severity::Warning);
        QCOMPARE(eventSeverity(u"overloaded"_s), Severity::Warning);
        QCOMPARE(eventSeverity(u"clock_jump"_s), Severity::Warning);
        QCOMPARE(eventSeverity(u"storage_error"_s), Severity::Critical);
        QCOMPARE(eventSeverity(u"port_in_use"_s), Severity::Critical);
        QCOMPARE(eventSeverity(u"something_new"_s), Severity::Info);
        QCOMPARE(severityName(Severity::Critical), u"critical"_s);
    }
};

QTEST_GUILESS_MAIN(TestAlertMonitor)
#include "tst_alertmonitor.moc"
