// The console's results and alert pieces, offscreen against a FakeBackend: which controls the
// state allows, the publish preview and take, finalize with its recount verdict, the policy
// replay, the event log, the alerts strip, the audience QR code and the Settings entry.
#include <functional>

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDeadlineTimer>
#include <QDir>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

#include "fakebackend.h"
#include "ui/alertsstrip.h"
#include "ui/audiencepanel.h"
#include "ui/audiencescreen.h"
#include "ui/countdownwidget.h"
#include "ui/eventlogdialog.h"
#include "ui/mainwindow.h"
#include "ui/publishdialog.h"
#include "ui/qrcodewidget.h"
#include "ui/replaydialog.h"
#include "ui/resultscontrols.h"
#include "ui/sessionsmenu.h"
#include "ui/settingsdialog.h"
#include "ui/theme.h"

using namespace Qt::Literals::StringLiterals;

namespace {
SessionDefinition makeSession()
{
    SessionDefinition session;
    session.id = 7;
    session.title = u"Semi-final"_s;
    session.question = u"Which act goes through?"_s;
    session.windowMs = 120'000;
    session.options = {VoteOption{u"A"_s, u"Alpha"_s, u"#e6194b"_s},
                       VoteOption{u"B"_s, u"Bravo"_s, u"#3cb44b"_s},
                       VoteOption{u"C"_s, u"Charlie"_s, u"#4363d8"_s}};
    return session;
}

// Runs `action` on the next modal dialog of type T once it is the active modal widget (exec()
// spins its own loop, so arm this before what opens it). Gives up after five seconds.
template<typename T>
void onNextModal(std::function<void(T *)> action)
{
    auto *poll = new QTimer(qApp);
    poll->setInterval(10);
    const QDeadlineTimer deadline(5000);
    QObject::connect(poll, &QTimer::timeout, poll, [poll, action = std::move(action), deadline] {
        auto *dialog = qobject_cast<T *>(QApplication::activeModalWidget());
        if (!dialog && !deadline.hasExpired())
            return;
        poll->stop();
        poll->deleteLater();
        if (dialog)
            action(dialog);
    });
    poll->start();
}

QString cell(const QTableWidget *table, int row, int column)
{
    const QTableWidgetItem *item = table->item(row, column);
    return item ? item->text() : QString();
}

// Every cell, row by row, "a|b|c|d": read inside a modal's callback, compared after it closed
// (a failed comparison inside would leave the dialog's loop running).
QStringList rows(const QTableWidget *table)
{
    QStringList out;
    for (int row = 0; row < table->rowCount(); ++row) {
        QStringList cells;
        for (int column = 0; column < table->columnCount(); ++column)
            cells.append(cell(table, row, column));
        out.append(cells.join(u'|'));
    }
    return out;
}
} // namespace

class TestConsoleResults final : public QObject
{
    Q_OBJECT

    // The dialogs as the operator sees them (console theme), for people to look at:
    // dialog-<name>.png under the build folder's screenshots.
    static void saveGrab(QWidget *widget, const QString &name)
    {
        QVERIFY(QDir().mkpath(QStringLiteral(SCREENSHOT_DIR)));
        const QString path = QDir(QStringLiteral(SCREENSHOT_DIR)).filePath(u"dialog-%1.png"_s.arg(name));
        QVERIFY2(widget->grab().save(path), qPrintable(path));
    }

private Q_SLOTS:
    void initTestCase() { applyConsoleTheme(*qApp); }

    void controlsFollowTheState_data()
    {
        QTest::addColumn<WindowState>("state");
        QTest::addColumn<bool>("publish");
        QTest::addColumn<bool>("finalize");
        QTest::newRow("ready") << WindowState::Ready << false << false;
        QTest::newRow("open") << WindowState::Open << true << false;
        QTest::newRow("closing") << WindowState::Closing << true << false; // not drained yet
        QTest::newRow("closed") << WindowState::Closed << true << true;
        QTest::newRow("final") << WindowState::Final << false << false;
    }

    void controlsFollowTheState()
    {
        QFETCH(WindowState, state);
        QFETCH(bool, publish);
        QFETCH(bool, finalize);
        FakeBackend backend(makeSession());
        ResultsControls controls(backend);
        controls.setState(state);
        QCOMPARE(controls.publishAction()->isEnabled(), publish);
        QCOMPARE(controls.finalizeAction()->isEnabled(), finalize);
        // A disabled action does nothing even when triggered from code (a key, a script).
        if (!finalize) {
            controls.finalizeAction()->trigger();
            QCOMPARE(backend.finalizeCalls, 0);
        }
    }

    void publishPreviewComparesWithTheAirThenTakes()
    {
        FakeBackend backend(makeSession());
        backend.setState(WindowState::Open);
        backend.publishTally(1, {10, 5, 0});
        ResultsControls controls(backend);
        controls.setState(WindowState::Open);
        QCOMPARE(controls.statusText(), u"On air: nothing published yet"_s);

        // Cancel: nothing goes on air.
        QStringList seen;
        onNextModal<PublishDialog>([&](PublishDialog *dialog) {
            seen = rows(dialog->table());
            dialog->reject();
        });
        controls.publishAction()->trigger();
        // Nothing on air yet: no "before" column figures, no change to speak of.
        QCOMPARE(seen.value(0), u"A · Alpha|—|10 · 66.7\u00a0%|+10"_s);
        QCOMPARE(backend.publishCalls, 0);

        // Take: version 1 on air.
        onNextModal<PublishDialog>([](PublishDialog *dialog) { dialog->takeButton()->click(); });
        controls.publishAction()->trigger();
        QCOMPARE(backend.publishCalls, 1);
        QVERIFY(backend.published());
        QVERIFY2(controls.statusText().startsWith(u"On air: version 1"_s), qPrintable(controls.statusText()));

        // The next preview shows the air against the live tally, with the change.
        backend.publishTally(2, {12, 5, 3});
        bool changes = false;
        onNextModal<PublishDialog>([&](PublishDialog *dialog) {
            seen = rows(dialog->table());
            changes = dialog->changesAnything();
            saveGrab(dialog, u"publish"_s);
            dialog->takeButton()->click();
        });
        controls.publishAction()->trigger();
        QCOMPARE(seen, (QStringList{u"A · Alpha|10 · 66.7\u00a0%|12 · 60.0\u00a0%|+2"_s,
                                    u"B · Bravo|5 · 33.3\u00a0%|5 · 25.0\u00a0%|—"_s,
                                    u"C · Charlie|0 · 0.0\u00a0%|3 · 15.0\u00a0%|+3"_s,
                                    u"Votes counted|15|20|+5"_s}));
        QVERIFY(changes);
        QCOMPARE(backend.published()->publishVersion, quint64(2));
    }

    void publishRefusedSaysWhy()
    {
        FakeBackend backend(makeSession());
        backend.setState(WindowState::Open);
        ResultsControls controls(backend);
        controls.setState(WindowState::Open);
        backend.refuseNext(u"the store is not taking writes"_s);
        QString warning;
        onNextModal<PublishDialog>([](PublishDialog *dialog) { dialog->takeButton()->click(); });
        onNextModal<QMessageBox>([&](QMessageBox *box) {
            warning = box->text();
            box->accept();
        });
        controls.publishAction()->trigger();
        QVERIFY2(warning.contains(u"the store is not taking writes"_s), qPrintable(warning));
        QVERIFY(!backend.published());
    }

    void finalizeShowsTheRecountResult()
    {
        FakeBackend backend(makeSession());
        backend.setState(WindowState::Closed);
        ResultsControls controls(backend);
        controls.setState(WindowState::Closed);

        // The confirmation defaults to Cancel: Enter or a stray key does not finalize.
        QString boxName;
        bool cancelIsDefault = false;
        onNextModal<QMessageBox>([&](QMessageBox *box) {
            boxName = box->objectName();
            cancelIsDefault = box->defaultButton() == box->button(QMessageBox::Cancel);
            QTest::keyClick(box, Qt::Key_Return);
        });
        controls.finalizeAction()->trigger();
        QCOMPARE(boxName, u"confirmFinalizeBox"_s);
        QVERIFY(cancelIsDefault);
        QCOMPARE(backend.finalizeCalls, 0);

        onNextModal<QMessageBox>(
            [](QMessageBox *box) { box->findChild<QPushButton *>(u"confirmFinalizeButton"_s)->click(); });
        controls.finalizeAction()->trigger();
        QCOMPARE(backend.finalizeCalls, 1);
        // While the store recounts, neither action can be pressed again.
        QVERIFY(controls.isFinalizing());
        QVERIFY(!controls.finalizeAction()->isEnabled());
        QVERIFY(!controls.publishAction()->isEnabled());
        QCOMPARE(controls.statusText(), u"Recounting from the store…"_s);

        FinalizationInputs inputs;
        inputs.results.session = backend.session();
        inputs.results.tally.exact = {3, 2, 0};
        inputs.results.final = true;
        Q_EMIT backend.finalized(inputs);
        QCOMPARE(controls.statusText(), u"FINAL · recount matched: A 3 · B 2 · C 0"_s);
        controls.setState(WindowState::Final);
        QVERIFY(!controls.finalizeAction()->isEnabled());
    }

    void finalizeRefusedNamesTheDifference()
    {
        FakeBackend backend(makeSession());
        backend.setState(WindowState::Closed);
        ResultsControls controls(backend);
        controls.setState(WindowState::Closed);
        onNextModal<QMessageBox>(
            [](QMessageBox *box) { box->findChild<QPushButton *>(u"confirmFinalizeButton"_s)->click(); });
        controls.finalizeAction()->trigger();
        QCOMPARE(backend.finalizeCalls, 1);
        Q_EMIT backend.finalizeFailed(u"the recount differs: exact A: live 3, recount 2"_s);
        QVERIFY2(controls.statusText().contains(u"exact A: live 3, recount 2"_s),
                 qPrintable(controls.statusText()));
        QVERIFY(controls.statusText().startsWith(u"Not finalized"_s));
        // The operator may try again.
        QVERIFY(controls.finalizeAction()->isEnabled());
        QVERIFY(!controls.isFinalizing());
    }

    void replayShowsBothTalliesAndChangesNothing()
    {
        FakeBackend backend(makeSession());
        backend.publishTally(3, {4, 2, 1});
        ReplayDialog dialog(backend);
        dialog.setPolicy(u"capped:5"_s, 2);
        QCOMPARE(dialog.policyText(), u"capped:5"_s);
        QCOMPARE(dialog.optionCap(), 2);
        // An option cap means nothing for one-ballot policies: it is reset and greyed out.
        dialog.setPolicy(u"first_wins"_s, 2);
        QCOMPARE(dialog.optionCap(), 0);
        QVERIFY(!dialog.findChild<QSpinBox *>(u"replayOptionCap"_s)->isEnabled());

        QVERIFY(dialog.replay());
        QCOMPARE(backend.replayCalls, QStringList{u"first_wins/0"_s});
        QVERIFY(dialog.messageText().contains(u"Replaying"_s));

        PolicyReplay replay;
        replay.ok = true;
        replay.rule = CountingRule(VotePolicy::FirstWins);
        replay.liveRule = CountingRule(VotePolicy::LastWins);
        replay.live = TallyCounts(3);
        replay.live.exact = {4, 2, 1};
        replay.live.accepted = 9;
        replay.live.uniqueVoters = 7;
        replay.replayed = TallyCounts(3);
        replay.replayed.exact = {3, 3, 1};
        replay.replayed.accepted = 9;
        replay.replayed.uniqueVoters = 7;
        replay.differences = {TallyDifference{TallyDifference::Field::Exact, 0, 4, 3},
                              TallyDifference{TallyDifference::Field::Exact, 1, 2, 3}};
        Q_EMIT backend.policyReplayReady(replay);

        QTableWidget *table = dialog.table();
        dialog.show();
        saveGrab(&dialog, u"replay"_s);
        QCOMPARE(table->rowCount(), 5);
        QCOMPARE(cell(table, 0, 1), u"4"_s);
        QCOMPARE(cell(table, 0, 2), u"3"_s);
        QCOMPARE(cell(table, 0, 3), u"−1"_s);
        QCOMPARE(cell(table, 1, 3), u"+1"_s);
        QCOMPARE(cell(table, 2, 3), u"—"_s);
        QVERIFY2(dialog.messageText().startsWith(u"2 options would differ"_s),
                 qPrintable(dialog.messageText()));
        // Nothing else was asked of the backend.
        QCOMPARE(backend.publishCalls, 0);
        QVERIFY(!backend.published());

        // Someone else's replay (the admin API's) does not land in this dialog.
        const PolicyReplay foreign;
        Q_EMIT backend.policyReplayReady(foreign);
        QCOMPARE(cell(table, 0, 2), u"3"_s);

        backend.refuseNext(u"capped needs N between 1 and 1000"_s);
        QVERIFY(!dialog.replay());
        QVERIFY(dialog.messageText().contains(u"capped needs N"_s));
    }

    void eventLogReadsTheStoredLog()
    {
        FakeBackend backend(makeSession());
        EventLogDialog log(backend);
        log.show();
        QCOMPARE(backend.auditRequests, 1);
        const QList<AuditEntry> entries{
            {FakeBackend::StartMs, u"lines_opened"_s, u"closes at 20:41:07"_s, u"admin-api 127.0.0.1"_s},
            {FakeBackend::StartMs + 5000, u"queue_high"_s, u"queue at 85 %"_s, u"system"_s},
            {FakeBackend::StartMs + 9000, u"storage_error"_s, u"disk full"_s, u"system"_s},
        };
        Q_EMIT backend.auditLogReady(entries);
        QTableWidget *table = log.table();
        saveGrab(&log, u"eventlog"_s);
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(cell(table, 0, 1), u"info"_s);
        QCOMPARE(cell(table, 0, 2), u"Lines opened"_s);
        QCOMPARE(cell(table, 0, 4), u"admin-api 127.0.0.1"_s);
        QCOMPARE(cell(table, 1, 1), u"warning"_s);
        QCOMPARE(cell(table, 2, 1), u"critical"_s);
        QCOMPARE(cell(table, 2, 3), u"disk full"_s);
        QVERIFY(log.findChild<QLabel *>(u"eventLogSummary"_s)->text().contains(u"3 lines"_s));
    }

    void alertsStripRaisesWithSeverity()
    {
        FakeBackend backend(makeSession());
        MainWindow window(backend);
        auto *strip = window.findChild<AlertsStrip *>(u"alertsStrip"_s);
        QVERIFY(strip);
        QVERIFY(strip->isVisibleTo(&window) || !window.isVisible());
        QCOMPARE(strip->text(), u"No events yet in this run"_s);

        backend.logEvent(u"lines_opened"_s, u"closes at 20:41:07"_s, u"console"_s);
        window.refresh();
        QVERIFY2(strip->text().contains(u"Lines opened: closes at 20:41:07  (console)"_s),
                 qPrintable(strip->text()));
        QCOMPARE(strip->severity(), Severity::Info);

        backend.logEvent(u"queue_high"_s, u"queue at 85 % (85000 of 100000 votes)"_s);
        window.refresh();
        QCOMPARE(strip->severity(), Severity::Warning);
        QVERIFY(strip->text().contains(u"Queue filling"_s));
        QCOMPARE(strip->palette().color(QPalette::Window), AlertsStrip::severityColour(Severity::Warning));
        QCOMPARE(strip->warningCount(), 1);

        backend.logEvent(u"storage_error"_s, u"disk I/O error"_s);
        backend.logEvent(u"clock_jump"_s, u"the system clock jumped by +5.0 s"_s);
        window.refresh();
        // Both seen in one tick: the counts have both, the strip the newest.
        QCOMPARE(strip->criticalCount(), 1);
        QCOMPARE(strip->warningCount(), 2);
        QVERIFY(strip->text().contains(u"Clock jumped"_s));
        // A tick with nothing new changes nothing.
        window.refresh();
        QCOMPARE(strip->warningCount(), 2);

        // The log button opens the event log, which asks the store.
        QSignalSpy requested(strip, &AlertsStrip::eventLogRequested);
        strip->findChild<QPushButton *>(u"eventLogButton"_s)->click();
        QCOMPARE(requested.count(), 1);
        QCOMPARE(backend.auditRequests, 1);
        QVERIFY(window.findChild<EventLogDialog *>()->isVisible());
    }

    void audiencePanelShowsUrlQrAndScreen()
    {
        FakeBackend backend(makeSession());
        backend.setAudienceUrl(u"http://192.168.1.20:8080/vote"_s);
        MainWindow window(backend);
        auto *panel = window.findChild<AudiencePanel *>(u"audiencePanel"_s);
        QVERIFY(panel);
        QCOMPARE(panel->url(), u"http://192.168.1.20:8080/vote"_s);
        auto *qr = panel->findChild<QrCodeWidget *>(u"audienceQrCode"_s);
        QCOMPARE(qr->text(), u"http://192.168.1.20:8080/vote"_s);
        QVERIFY(qr->symbolWidth() > 0);

        panel->findChild<QPushButton *>(u"copyAudienceUrlButton"_s)->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), u"http://192.168.1.20:8080/vote"_s);
        QVERIFY(window.statusBar()->currentMessage().contains(u"http://192.168.1.20:8080/vote"_s));

        panel->showAudienceScreen(1); // one screen offscreen: out of range means the last one
        AudienceScreen *screen = panel->audienceScreen();
        QVERIFY(screen);
        QTRY_VERIFY(screen->isVisible());
        QTRY_COMPARE(screen->geometry(), QGuiApplication::screens().constLast()->geometry());
        QCOMPARE(screen->url(), u"http://192.168.1.20:8080/vote"_s);
        QTest::keyClick(screen, Qt::Key_Escape);
        QTRY_VERIFY(!panel->audienceScreen());

        // Page off: said so, nothing to copy or show.
        backend.setAudienceUrl({});
        Q_EMIT backend.sessionChanged();
        QVERIFY(panel->findChild<QLabel *>(u"audienceUrlLabel"_s)->text().contains(u"off"_s));
        QVERIFY(!panel->findChild<QPushButton *>(u"copyAudienceUrlButton"_s)->isEnabled());
        panel->showAudienceScreen(0);
        QVERIFY(!panel->audienceScreen());
    }

    void menusReachEveryPiece()
    {
        FakeBackend backend(makeSession());
        MainWindow window(backend);
        QStringList names;
        for (const QAction *action : window.findChildren<QAction *>())
            names.append(action->objectName());
        for (const QString &name : {u"settingsAction"_s, u"publishAction"_s, u"finalizeAction"_s,
                                    u"replayAction"_s, u"eventLogAction"_s, u"audienceScreenAction"_s})
            QVERIFY2(names.contains(name), qPrintable(name));
        QCOMPARE(window.findChild<QAction *>(u"publishAction"_s)->shortcut(), QKeySequence(Qt::Key_F9));
        QCOMPARE(window.findChild<QAction *>(u"finalizeAction"_s)->shortcut(), QKeySequence(Qt::Key_F10));

        // Settings… opens the settings dialog; Cancel saves nothing.
        bool opened = false;
        onNextModal<SettingsDialog>([&](SettingsDialog *dialog) {
            opened = true;
            saveGrab(dialog, u"settings"_s);
            dialog->reject();
        });
        window.findChild<QAction *>(u"settingsAction"_s)->trigger();
        QVERIFY(opened);

        window.findChild<QAction *>(u"replayAction"_s)->trigger();
        QVERIFY(window.findChild<ReplayDialog *>()->isVisible());
    }

    void autoPublishFollowsTheBackend()
    {
        FakeBackend backend(makeSession());
        MainWindow window(backend);
        auto *action = window.findChild<QAction *>(u"autoPublishAction"_s);
        QVERIFY(action);
        QVERIFY(!action->isChecked());
        action->trigger();
        QVERIFY(backend.autoPublish());
        window.refresh();
        QVERIFY(action->isChecked());
        // Switched off through the admin API: the menu follows at the next tick.
        QVERIFY(backend.setAutoPublish(false, nullptr));
        window.refresh();
        QVERIFY(!action->isChecked());
        // Refused: a warning, and the tick stays with what the backend says.
        backend.refuseNext(u"the store is not taking writes"_s);
        QString warning;
        onNextModal<QMessageBox>([&](QMessageBox *box) {
            warning = box->text();
            box->accept();
        });
        action->trigger();
        QCOMPARE(warning, u"the store is not taking writes"_s);
        QVERIFY(!action->isChecked());
        QVERIFY(!backend.autoPublish());
    }

    void everyShortcutIsUnique()
    {
        // Two actions with one key make Qt fire neither ("ambiguous"): a dead key on air.
        FakeBackend backend(makeSession());
        MainWindow window(backend);
        new SessionsMenu(backend, window); // installed from outside, as the app does
        QHash<QString, QString> owners;
        for (const QAction *action : window.findChildren<QAction *>()) {
            if (action->shortcut().isEmpty())
                continue;
            const QString key = action->shortcut().toString();
            QVERIFY2(!owners.contains(key) || owners.value(key) == action->text(),
                     qPrintable(u"%1 is both %2 and %3"_s.arg(key, owners.value(key), action->text())));
            owners.insert(key, action->text());
        }
        QVERIFY(owners.size() >= 12);
    }

    void publishKeyOpensThePreview()
    {
        FakeBackend backend(makeSession());
        backend.setState(WindowState::Open);
        MainWindow window(backend);
        window.show();
        QApplication::setActiveWindow(&window);
        QVERIFY(QTest::qWaitForWindowActive(&window));
        bool previewed = false;
        onNextModal<PublishDialog>([&](PublishDialog *dialog) {
            previewed = true;
            dialog->takeButton()->click();
        });
        QWidget *focus = QApplication::focusWidget();
        QTest::keyClick(focus ? focus : &window, Qt::Key_F9);
        QVERIFY(previewed);
        QCOMPARE(backend.publishCalls, 1);
        // The on-air line in the status bar follows.
        auto *status = window.findChild<QLabel *>(u"resultsStatusLabel"_s);
        QTRY_VERIFY(status->toolTip().startsWith(u"On air: version 1"_s));
        // F10 in Open: Finalize is not allowed, nothing opens.
        focus = QApplication::focusWidget();
        QTest::keyClick(focus ? focus : &window, Qt::Key_F10);
        QCOMPARE(backend.finalizeCalls, 0);
    }

    void finalStateHasItsOwnColour()
    {
        const QColor final = CountdownWidget::stateColour(WindowState::Final);
        for (const WindowState other :
             {WindowState::Ready, WindowState::Open, WindowState::Closing, WindowState::Closed})
            QVERIFY(CountdownWidget::stateColour(other) != final);
        CountdownWidget countdown;
        WindowStatus status;
        status.state = WindowState::Final;
        countdown.setStatus(status);
        QCOMPARE(countdown.stateText(), u"FINAL"_s);
        auto *label = countdown.findChild<QLabel *>(u"windowStateLabel"_s);
        QCOMPARE(label->palette().color(label->backgroundRole()), final);
    }
};

QTEST_MAIN(TestConsoleResults)
#include "tst_consoleresults.moc"
