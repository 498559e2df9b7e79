#include <functional>

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolButton>
#include <QtTest>

#include "fakebackend.h"
#include "ui/countdownwidget.h"
#include "ui/mainwindow.h"
#include "ui/resultschart.h"
#include "ui/sessionheader.h"
#include "ui/totalspanel.h"
#include "ui/windowcontrols.h"

using namespace Qt::Literals::StringLiterals;

namespace {
SessionDefinition makeSession(int optionCount = 4)
{
    static const QString labels[] = {u"Alpha"_s, u"Bravo"_s, u"Charlie, Jr."_s,
                                     u"Delta"_s, u"Echo"_s,  u"Foxtrot"_s};
    static const QString colours[] = {u"#e6194b"_s, u"#3cb44b"_s, u"#ffe119"_s,
                                      u"#4363d8"_s, u"#f58231"_s, u"#911eb4"_s};
    SessionDefinition session;
    session.id = 7;
    session.title = u"Semi-final"_s;
    session.question = u"Which act goes through?"_s;
    session.windowMs = 120'000;
    for (int i = 0; i < optionCount; ++i)
        session.options.append(VoteOption{QString(QChar(u'A' + i)), labels[i % 6], colours[i % 6]});
    return session;
}

// Runs `action` on the next message box as soon as it is the active modal widget. exec()
// spins its own event loop, so this must be armed before the click that opens the box. The
// poll gives up after a few seconds; the caller checks that the action ran.
void onNextMessageBox(std::function<void(QMessageBox *)> action)
{
    auto *poll = new QTimer(qApp);
    poll->setInterval(10);
    const QDeadlineTimer deadline(5000);
    QObject::connect(poll, &QTimer::timeout, poll, [poll, action = std::move(action), deadline] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box && !deadline.hasExpired())
            return;
        poll->stop();
        poll->deleteLater();
        if (box)
            action(box);
    });
    poll->start();
}

QAbstractButton *buttonWithText(QMessageBox *box, const QString &text)
{
    const QList<QAbstractButton *> buttons = box->buttons();
    for (QAbstractButton *button : buttons) {
        if (button->text().remove(u'&') == text)
            return button;
    }
    return nullptr;
}
} // namespace

class TestMainWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void windowTitleNamesTheSession();
    void showsQuestionAndSelectableIngestUrl();
    void chartHasOneBarPerOption();
    void barsFollowTheTally();
    void tallyVersionIsTheDirtyFlag();
    void rawExactToggle();
    void buttonsFollowState_data();
    void buttonsFollowState();
    void openAndExtendCallTheBackend();
    void refusalShowsTheBackendsMessage();
    void closeAsksForConfirmation_data();
    void closeAsksForConfirmation();
    void confirmedCloseClosesTheLines();
    void countdownFormats_data();
    void countdownFormats();
    void countdownShowsStateAndCloseTime();
    void totalsUseThousandsSeparators();
    void ratesShowTheLastSecond();
    void exportCsvWritesTheBroadcastCsv();
    void exportCsvReportsFailure();
    void defaultExportPathUsesTheTitle();
    void storageAlertShowsAndClears();
};

void TestMainWindow::windowTitleNamesTheSession()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    QCOMPARE(window.windowTitle(), u"votedesk \u2014 Semi-final"_s);

    SessionDefinition next = makeSession();
    next.id = 8;
    next.title = u"Final"_s;
    backend.setSession(next);
    QCOMPARE(window.windowTitle(), u"votedesk \u2014 Final"_s);
}

void TestMainWindow::showsQuestionAndSelectableIngestUrl()
{
    FakeBackend backend(makeSession());
    backend.setIngestUrl(u"http://127.0.0.1:40404/v1/votes"_s);
    MainWindow window(backend);

    auto *header = window.findChild<SessionHeader *>();
    QVERIFY(header);
    QCOMPARE(header->questionText(), u"Which act goes through?"_s);

    auto *url = window.findChild<QLabel *>(u"ingestUrlLabel"_s);
    QVERIFY(url);
    QCOMPARE(url->text(), u"http://127.0.0.1:40404/v1/votes"_s);
    QVERIFY(url->textInteractionFlags().testFlag(Qt::TextSelectableByMouse));
}

void TestMainWindow::chartHasOneBarPerOption()
{
    FakeBackend backend(makeSession(4));
    MainWindow window(backend);
    auto *chart = window.findChild<ResultsChart *>();
    QVERIFY(chart);
    QCOMPARE(chart->barCount(), 4);
    // Each option in its own colour, as set up in the session.
    const SessionDefinition session = backend.session();
    for (int i = 0; i < 4; ++i)
        QCOMPARE(chart->barColour(i), QColor(session.options.at(i).colour));

    backend.setSession(makeSession(6));
    QCOMPARE(chart->barCount(), 6);
    for (int i = 0; i < 6; ++i)
        QCOMPARE(chart->barValue(i), 0);
}

void TestMainWindow::barsFollowTheTally()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    auto *chart = window.findChild<ResultsChart *>();
    QVERIFY(chart);

    // No signal announces a vote: the window must notice by polling, within a second.
    backend.publishTally(1, {10, 20, 0, 5});
    QTRY_COMPARE_WITH_TIMEOUT(chart->barValue(1), 20, 1000);
    QCOMPARE(chart->barValue(0), 10);
    QCOMPARE(chart->barValue(2), 0);
    QCOMPARE(chart->barValue(3), 5);

    backend.publishTally(2, {10, 21, 0, 40});
    QTRY_COMPARE_WITH_TIMEOUT(chart->barValue(3), 40, 1000);
    QCOMPARE(chart->barValue(1), 21);

    // Percent as in the broadcast CSV (largest remainder), and the leader marked.
    QVERIFY2(chart->barLabel(3).contains(u"40"_s), qPrintable(chart->barLabel(3)));
    QVERIFY2(chart->barLabel(3).contains(u"56.3"_s), qPrintable(chart->barLabel(3)));
    QVERIFY(chart->isLeader(3));
    QVERIFY(chart->barLabel(3).contains(u'\u2605'));
    QVERIFY(!chart->isLeader(1));
    QVERIFY(!chart->barLabel(1).contains(u'\u2605'));
}

void TestMainWindow::tallyVersionIsTheDirtyFlag()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *chart = window.findChild<ResultsChart *>();
    QVERIFY(chart);

    backend.publishTally(5, {1, 2, 3, 4});
    window.refresh();
    QCOMPARE(chart->barValue(3), 4);

    // Same version, other numbers: the chart is not touched.
    backend.publishTally(5, {9, 9, 9, 9});
    window.refresh();
    QCOMPARE(chart->barValue(3), 4);

    backend.publishTally(6, {9, 9, 9, 9});
    window.refresh();
    QCOMPARE(chart->barValue(3), 9);
}

void TestMainWindow::rawExactToggle()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *chart = window.findChild<ResultsChart *>();
    QVERIFY(chart);
    backend.publishTally(1, {5, 3, 2, 0}, {9, 4, 2, 1});
    window.refresh();

    QCOMPARE(chart->tallyKind(), ResultsChart::TallyKind::Exact);
    QCOMPARE(chart->barValue(0), 5);
    QCOMPARE(chart->barValue(3), 0);

    QSignalSpy spy(chart, &ResultsChart::tallyKindChanged);
    chart->setTallyKind(ResultsChart::TallyKind::Raw);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(chart->barValue(0), 9);
    QCOMPARE(chart->barValue(1), 4);
    QCOMPARE(chart->barValue(3), 1);
    auto *rawButton = chart->findChild<QToolButton *>(u"rawTallyButton"_s);
    QVERIFY(rawButton && rawButton->isChecked());

    // The on-screen toggle goes through the same path.
    auto *exactButton = chart->findChild<QToolButton *>(u"exactTallyButton"_s);
    QVERIFY(exactButton);
    exactButton->click();
    QCOMPARE(chart->tallyKind(), ResultsChart::TallyKind::Exact);
    QCOMPARE(chart->barValue(0), 5);
    QCOMPARE(spy.size(), 2);
}

void TestMainWindow::buttonsFollowState_data()
{
    QTest::addColumn<WindowState>("state");
    QTest::addColumn<bool>("open");
    QTest::addColumn<bool>("extend");
    QTest::addColumn<bool>("close");
    QTest::newRow("draft") << WindowState::Draft << false << false << false;
    QTest::newRow("ready") << WindowState::Ready << true << false << false;
    QTest::newRow("open") << WindowState::Open << false << true << true;
    QTest::newRow("closing") << WindowState::Closing << false << false << false;
    QTest::newRow("closed") << WindowState::Closed << false << false << false;
    QTest::newRow("final") << WindowState::Final << false << false << false;
}

void TestMainWindow::buttonsFollowState()
{
    QFETCH(WindowState, state);
    QFETCH(bool, open);
    QFETCH(bool, extend);
    QFETCH(bool, close);

    FakeBackend backend(makeSession());
    MainWindow window(backend);
    backend.setState(state);
    window.refresh();

    auto *openButton = window.findChild<QToolButton *>(u"openLinesButton"_s);
    auto *extendButton = window.findChild<QToolButton *>(u"extendLinesButton"_s);
    auto *closeButton = window.findChild<QToolButton *>(u"closeLinesButton"_s);
    QVERIFY(openButton && extendButton && closeButton);
    QCOMPARE(openButton->isEnabled(), open);
    QCOMPARE(extendButton->isEnabled(), extend);
    QCOMPARE(closeButton->isEnabled(), close);
}

void TestMainWindow::openAndExtendCallTheBackend()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    auto *openButton = window.findChild<QToolButton *>(u"openLinesButton"_s);
    auto *extendButton = window.findChild<QToolButton *>(u"extendLinesButton"_s);
    QVERIFY(openButton && extendButton);

    QVERIFY(openButton->isEnabled());
    openButton->click();
    QCOMPARE(backend.openCalls, 1);
    QCOMPARE(backend.windowStatus().state, WindowState::Open);
    // windowChanged refreshes at once: no second press on a button that no longer applies.
    QVERIFY(!openButton->isEnabled());
    QVERIFY(extendButton->isEnabled());
    QCOMPARE(window.findChild<CountdownWidget *>()->stateText(), u"OPEN"_s);

    const qint64 closesAt = backend.windowStatus().closesAtMs;
    extendButton->click();
    QCOMPARE(backend.extendCalls, QList<int>{WindowControls::ExtendSeconds});
    QCOMPARE(WindowControls::ExtendSeconds, 30);
    QCOMPARE(backend.windowStatus().closesAtMs, closesAt + 30'000);
}

void TestMainWindow::refusalShowsTheBackendsMessage()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    backend.refuseNext(u"Storage unavailable: disk full"_s);

    QString shownText;
    onNextMessageBox([&shownText](QMessageBox *box) {
        shownText = box->text();
        box->accept();
    });
    window.findChild<QToolButton *>(u"openLinesButton"_s)->click();

    QCOMPARE(backend.openCalls, 1);
    QCOMPARE(shownText, u"Storage unavailable: disk full"_s);
    QCOMPARE(backend.windowStatus().state, WindowState::Ready);
}

void TestMainWindow::closeAsksForConfirmation_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("cancel button") << u"cancel"_s;
    QTest::newRow("escape") << u"escape"_s;
    QTest::newRow("enter") << u"enter"_s;
}

void TestMainWindow::closeAsksForConfirmation()
{
    QFETCH(QString, how);

    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    backend.setState(WindowState::Open);
    auto *closeButton = window.findChild<QToolButton *>(u"closeLinesButton"_s);
    QVERIFY(closeButton && closeButton->isEnabled());

    bool asked = false;
    bool cancelIsDefaultAndEscape = false;
    bool stayedOpen = false;
    onNextMessageBox([&](QMessageBox *box) {
        asked = true;
        QAbstractButton *cancel = box->button(QMessageBox::Cancel);
        cancelIsDefaultAndEscape = cancel && box->defaultButton() == cancel && box->escapeButton() == cancel;
        if (how == u"cancel"_s && cancel)
            cancel->click();
        else if (how == u"escape"_s)
            QTest::keyClick(box, Qt::Key_Escape);
        else if (how == u"enter"_s)
            QTest::keyClick(box, Qt::Key_Return);
        // A key that did not close the box fails the test instead of hanging it in exec().
        stayedOpen = box->isVisible();
        if (stayedOpen)
            box->reject();
    });
    closeButton->click();

    QVERIFY(asked);
    QVERIFY(cancelIsDefaultAndEscape);
    QVERIFY2(!stayedOpen, qPrintable(how + u" did not close the confirmation"_s));
    QCOMPARE(backend.closeCalls, 0);
    QCOMPARE(backend.windowStatus().state, WindowState::Open);
    QVERIFY(closeButton->isEnabled());
}

void TestMainWindow::confirmedCloseClosesTheLines()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    backend.setState(WindowState::Open);
    auto *controls = window.findChild<WindowControls *>();
    QVERIFY(controls);

    bool confirmed = false;
    onNextMessageBox([&confirmed](QMessageBox *box) {
        QAbstractButton *confirm = buttonWithText(box, u"Close lines"_s);
        confirmed = (confirm != nullptr);
        // Never leave the box open: exec() would block the test until its time limit.
        if (confirm)
            confirm->click();
        else
            box->reject();
    });
    // Through the action, as a menu entry or shortcut would trigger it.
    controls->closeAction()->trigger();

    QVERIFY2(confirmed, "no confirmation box with a \"Close lines\" button");
    QCOMPARE(backend.closeCalls, 1);
    QCOMPARE(backend.windowStatus().state, WindowState::Closing);
    QVERIFY(!controls->closeAction()->isEnabled());
    QVERIFY(!controls->extendAction()->isEnabled());
    QCOMPARE(window.findChild<CountdownWidget *>()->stateText(), u"CLOSING"_s);
}

void TestMainWindow::countdownFormats_data()
{
    QTest::addColumn<qint64>("remainingMs");
    QTest::addColumn<bool>("tenths");
    QTest::addColumn<QString>("expected");
    QTest::newRow("two minutes") << qint64(120'000) << false << u"02:00"_s;
    QTest::newRow("rounds up") << qint64(83'001) << false << u"01:24"_s;
    QTest::newRow("last millisecond") << qint64(1) << false << u"00:01"_s;
    QTest::newRow("zero") << qint64(0) << false << u"00:00"_s;
    QTest::newRow("negative") << qint64(-500) << false << u"00:00"_s;
    QTest::newRow("hour") << qint64(3'723'000) << false << u"1:02:03"_s;
    QTest::newRow("tenths") << qint64(9'340) << true << u"00:09.4"_s;
    QTest::newRow("tenths zero") << qint64(0) << true << u"00:00.0"_s;
}

void TestMainWindow::countdownFormats()
{
    QFETCH(qint64, remainingMs);
    QFETCH(bool, tenths);
    QFETCH(QString, expected);
    QCOMPARE(CountdownWidget::formatRemaining(remainingMs, tenths), expected);
}

void TestMainWindow::countdownShowsStateAndCloseTime()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *countdown = window.findChild<CountdownWidget *>();
    QVERIFY(countdown);
    QCOMPARE(countdown->stateText(), u"READY"_s);
    QCOMPARE(countdown->countdownText(), u"02:00"_s);

    const qint64 closesAt = QDateTime(QDate(2024, 5, 18), QTime(20, 41, 7)).toMSecsSinceEpoch();
    WindowStatus status;
    status.state = WindowState::Open;
    status.nowMs = closesAt - 83'000;
    status.remainingMs = 83'000;
    status.closesAtMs = closesAt;
    backend.setWindowStatus(status);
    QCOMPARE(countdown->stateText(), u"OPEN"_s);
    QCOMPARE(countdown->countdownText(), u"01:23"_s);
    QCOMPARE(countdown->detailText(), u"closes at 20:41:07"_s);

    // The last ten seconds show tenths.
    status.remainingMs = 9'340;
    backend.setWindowStatus(status);
    window.refresh();
    QCOMPARE(countdown->countdownText(), u"00:09.4"_s);

    status.state = WindowState::Final;
    status.remainingMs = 0;
    status.closedAtMs = closesAt;
    backend.setWindowStatus(status);
    QCOMPARE(countdown->stateText(), u"FINAL"_s);
    QCOMPARE(countdown->countdownText(), u"00:00"_s);
    QVERIFY(countdown->detailText().contains(u"20:41:07"_s));
}

void TestMainWindow::totalsUseThousandsSeparators()
{
    FakeBackend backend(makeSession());
    backend.publishTally(1, {1'000'000, 234'567, 0, 0});
    SessionCounters counters;
    counters.rejected = 12'345;
    counters.late = 45;
    counters.queueDepth = 3;
    counters.rejectedByReason.insert(u"invalid_voter"_s, 12'300);
    counters.rejectedByReason.insert(u"window_closed"_s, 45);
    backend.setCounters(counters);
    MainWindow window(backend);
    auto *totals = window.findChild<TotalsPanel *>();
    QVERIFY(totals);

    const QString accepted = totals->text(TotalsPanel::Field::Accepted);
    QCOMPARE(QString(accepted).remove(QRegularExpression(u"\\D"_s)), u"1234567"_s);
    QVERIFY2(accepted.size() > 7, qPrintable(accepted)); // grouped
    QCOMPARE(QString(totals->text(TotalsPanel::Field::Rejected)).remove(QRegularExpression(u"\\D"_s)),
             u"12345"_s);
    QCOMPARE(totals->text(TotalsPanel::Field::Late), u"45"_s);
    QCOMPARE(totals->text(TotalsPanel::Field::QueueDepth), u"3"_s);
    QCOMPARE(QString(totals->text(TotalsPanel::Field::UniqueVoters)).remove(QRegularExpression(u"\\D"_s)),
             u"1234567"_s);

    // Counters change without a new tally version and still show.
    counters.late = 46;
    backend.setCounters(counters);
    QTRY_COMPARE_WITH_TIMEOUT(totals->text(TotalsPanel::Field::Late), u"46"_s, 1000);
}

void TestMainWindow::ratesShowTheLastSecond()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *totals = window.findChild<TotalsPanel *>();
    QVERIFY(totals);
    // No sample yet: a dash, not a misleading zero.
    QCOMPARE(totals->text(TotalsPanel::Field::VotesPerSecond), u"\u2014"_s);
    QCOMPARE(totals->text(TotalsPanel::Field::LatencyP99), u"\u2014"_s);

    SecondSample sample;
    sample.atMs = 1000;
    sample.intervalMs = 1000;
    sample.accepted = 52'340;
    sample.latencyP99Ms = 2.75;
    backend.setLatestMetrics(sample);
    QTRY_COMPARE_WITH_TIMEOUT(
        QString(totals->text(TotalsPanel::Field::VotesPerSecond)).remove(QRegularExpression(u"\\D"_s)),
        u"52340"_s, 1000);
    QVERIFY(totals->text(TotalsPanel::Field::LatencyP99).endsWith(u" ms"_s));
    QVERIFY(totals->text(TotalsPanel::Field::LatencyP99).startsWith(u"2"_s));

    // A quiet second: the rate is zero and there is no latency to show.
    sample.accepted = 0;
    backend.setLatestMetrics(sample);
    QTRY_COMPARE_WITH_TIMEOUT(totals->text(TotalsPanel::Field::VotesPerSecond), u"0"_s, 1000);
    QCOMPARE(totals->text(TotalsPanel::Field::LatencyP99), u"\u2014"_s);
}

void TestMainWindow::exportCsvWritesTheBroadcastCsv()
{
    FakeBackend backend(makeSession());
    // Exact and raw differ: the export is the exact tally.
    backend.publishTally(3, {30, 50, 20, 0}, {31, 80, 20, 1});
    MainWindow window(backend);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"results.csv"_s);

    QString error;
    QVERIFY2(window.exportCsv(path, &error), qPrintable(error));

    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("rank,key,label,votes,percent\r\n"
                                        "1,B,Bravo,50,50.0\r\n"
                                        "2,A,Alpha,30,30.0\r\n"
                                        "3,C,\"Charlie, Jr.\",20,20.0\r\n"
                                        "4,D,Delta,0,0.0\r\n"));
    QVERIFY(window.statusBar()->currentMessage().contains(u"results.csv"_s));
}

void TestMainWindow::exportCsvReportsFailure()
{
    FakeBackend backend(makeSession());
    backend.publishTally(1, {1, 2, 3, 4});
    MainWindow window(backend);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"no-such-folder/results.csv"_s);

    QString error;
    QVERIFY(!window.exportCsv(path, &error));
    QVERIFY2(error.contains(u"results.csv"_s), qPrintable(error));
    QVERIFY(!QFile::exists(path));
}

void TestMainWindow::defaultExportPathUsesTheTitle()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    QVERIFY2(window.defaultExportPath().endsWith(u"/results-semi-final.csv"_s),
             qPrintable(window.defaultExportPath()));

    QCOMPARE(MainWindow::slugify(u"  Eurovision: Grand Final 2024! "_s), u"eurovision-grand-final-2024"_s);
    QCOMPARE(MainWindow::slugify(u"Caf\u00e9 Cr\u00e8me"_s), u"cafe-creme"_s);
    QCOMPARE(MainWindow::slugify(u"\u2014"_s), u"session"_s);
}

void TestMainWindow::storageAlertShowsAndClears()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    auto *alert = window.findChild<QLabel *>(u"storageAlert"_s);
    QVERIFY(alert);
    QVERIFY(!alert->isVisible());
    window.showStorageAlert(u"cannot commit 3 votes: database or disk is full"_s);
    QVERIFY(alert->isVisible());
    QVERIFY(alert->text().contains(u"disk is full"_s));
    window.clearStorageAlert();
    QVERIFY(!alert->isVisible());
    QVERIFY(window.statusBar()->currentMessage().contains(u"again"_s));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
