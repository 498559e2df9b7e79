// The fraud panel offscreen against the fake backend: it shows the polled figures, keeps the
// selection across a refresh, excludes the selected voter or address with a reason, lists the
// exclusions, and is reached from the Results menu.
#include <QAction>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTest>

#include "fakebackend.h"
#include "ui/burststrip.h"
#include "ui/fraudpanel.h"
#include "ui/mainwindow.h"

using namespace Qt::Literals::StringLiterals;

namespace {
SessionDefinition session()
{
    SessionDefinition definition;
    definition.id = 1;
    definition.title = u"Fraud"_s;
    definition.options = {VoteOption{u"A"_s, u"Alpha"_s, u"#e6194b"_s},
                          VoteOption{u"B"_s, u"Beta"_s, u"#3cb44b"_s}};
    return definition;
}

FraudSnapshot figures(qint64 stufferCount)
{
    FraudSnapshot snapshot;
    snapshot.topVoters = {{u"stuffer"_s, stufferCount, 0, 3}, {u"fan1"_s, 1, 0, 0}};
    snapshot.topAddresses = {{u"203.0.113.66"_s, stufferCount, 0, 3}, {u"2001:db8::7"_s, 1, 0, 0}};
    snapshot.total = stufferCount + 1;
    snapshot.rejected = 3;
    snapshot.perSecond = {0, 12, stufferCount};
    snapshot.peakPerSecond = stufferCount;
    return snapshot;
}
} // namespace

class TestFraudPanel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsThePolledFigures()
    {
        FakeBackend backend(session());
        backend.setFraud(figures(40));
        FraudPanel panel(backend);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCOMPARE(panel.votersTable()->rowCount(), 2);
        QCOMPARE(panel.votersTable()->item(0, 0)->text(), u"stuffer"_s);
        QCOMPARE(panel.addressesTable()->item(0, 0)->text(), u"203.0.113.66"_s);
        const QLabel *summary = panel.findChild<QLabel *>(u"fraudSummary"_s);
        QVERIFY(summary->text().contains(u"41 vote requests"_s));
        QVERIFY(summary->text().contains(u"7.3 %"_s)); // 3 of 41

        // The panel polls by itself while shown: new figures appear without a call.
        backend.setFraud(figures(90));
        QTRY_COMPARE_WITH_TIMEOUT(panel.votersTable()->item(0, 1)->text(), u"90"_s,
                                  FraudPanel::kPollIntervalMs * 5);
    }

    void burstStripMarksTheSpike()
    {
        FakeBackend backend(session());
        FraudSnapshot snapshot = figures(40);
        // A steady 100/s minute with one 900 spike; 280 is under three times the median.
        snapshot.perSecond = QList<qint64>(60, 100);
        snapshot.perSecond[41] = 900;
        snapshot.perSecond[42] = 280;
        snapshot.perSecond[0] = 0;
        backend.setFraud(snapshot);
        FraudPanel panel(backend);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QCOMPARE(panel.burstStrip()->burstSeconds(), QList<int>{41});
        // Painted: the spike in the alert colour, a quiet second in the normal one.
        const QImage image = panel.burstStrip()->grab().toImage();
        QVERIFY(!image.isNull());
        const QColor alert(0xe6, 0x3b, 0x2e);
        int alertPixels = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x)
                alertPixels += image.pixelColor(x, y) == alert ? 1 : 0;
        }
        QVERIFY2(alertPixels > 0, "no bar in the alert colour");

        // A quiet minute (all under the floor) has no bursts; an empty one neither.
        BurstStrip strip;
        strip.setCounts({0, 1, 2, 9, 1});
        QVERIFY(strip.burstSeconds().isEmpty());
        strip.setCounts({});
        QVERIFY(strip.burstSeconds().isEmpty());
    }

    void excludesTheSelectionWithAReason()
    {
        FakeBackend backend(session());
        backend.setFraud(figures(40));
        FraudPanel panel(backend);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));

        QString error;
        QVERIFY(!panel.excludeSelected(u"stuffing"_s, &error)); // nothing selected
        QVERIFY(!error.isEmpty());

        panel.votersTable()->selectRow(0);
        panel.refresh(); // the selection survives a refresh
        QCOMPARE(panel.selectedExclusion().value, u"stuffer"_s);
        QVERIFY(!panel.excludeSelected(u"  "_s, &error)); // the reason is required
        QVERIFY(panel.excludeSelected(u"one id voting 40 times a second"_s, &error));

        panel.addressesTable()->selectRow(1);
        const CountExclusion address = panel.selectedExclusion();
        QCOMPARE(address.kind, CountExclusion::Kind::AddressRange);
        QCOMPARE(address.value, u"2001:db8::7/128"_s);
        panel.addressesTable()->selectRow(0);
        QCOMPARE(panel.selectedExclusion().value, u"203.0.113.66/32"_s);
        QVERIFY(panel.excludeSelected(u"script host"_s, &error));

        QCOMPARE(backend.exclusions().size(), 2);
        QCOMPARE(backend.exclusions().at(0).kind, CountExclusion::Kind::Voter);
        QCOMPARE(panel.exclusionsTable()->rowCount(), 2);
        QCOMPARE(panel.exclusionsTable()->item(1, 0)->text(), u"203.0.113.66/32"_s);
        QCOMPARE(panel.exclusionsTable()->item(1, 2)->text(), u"script host"_s);
        QVERIFY(panel.excludeButton()->isEnabled());
    }

    void openedFromTheResultsMenu()
    {
        FakeBackend backend(session());
        MainWindow window(backend);
        QAction *action = window.findChild<QAction *>(u"fraudPanelAction"_s);
        QVERIFY(action);
        action->trigger();
        auto *panel = window.findChild<FraudPanel *>();
        QVERIFY(panel);
        QTRY_VERIFY(panel->isVisible());
    }
};

QTEST_MAIN(TestFraudPanel)
#include "tst_fraudpanel.moc"
