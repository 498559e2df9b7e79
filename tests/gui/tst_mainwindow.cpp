#include <functional>

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDateTimeAxis>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolButton>
#include <QValueAxis>
#include <QXYSeries>
#include <QtTest>

#include "fakebackend.h"
#include "metrics/rejectreason.h"
#include "ui/closingestimate.h"
#include "ui/countdownwidget.h"
#include "ui/counterspanel.h"
#include "ui/mainwindow.h"
#include "ui/pipelinegraphs.h"
#include "ui/resultschart.h"
#include "ui/sessionheader.h"
#include "ui/shortcutguard.h"
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

// Runs `action` on the next modal dialog of type T as soon as it is the active modal widget.
// exec() spins its own event loop, so this must be armed before whatever opens the dialog.
// The poll gives up after a few seconds; the caller checks that the action ran.
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

void onNextMessageBox(std::function<void(QMessageBox *)> action)
{
    onNextModal<QMessageBox>(std::move(action));
}

// A second of pipeline figures with every field distinct, so a test can tell them apart.
SecondSample makeSample(qint64 atMs, qint64 base)
{
    SecondSample s;
    s.atMs = atMs;
    s.intervalMs = 1000;
    s.accepted = base;
    s.rejected = base / 10;
    s.persisted = base - 3;
    s.queueDepth = base * 2;
    s.activeWorkers = 1 + (base / 100) % 3;
    s.latencyP50Ms = double(base) / 1000.0;
    s.latencyP99Ms = double(base) / 250.0;
    return s;
}

QList<SecondSample> makeSeries(int count, qint64 firstAtMs = 1001)
{
    QList<SecondSample> series;
    for (int i = 0; i < count; ++i)
        series.append(makeSample(firstAtMs + i * 1000, 100 + 37 * i));
    return series;
}

// A key as the keyboard sends it: to the focus widget (whose ShortcutOverride decides
// whether a shortcut may fire), or to the window when nothing has the focus.
void pressKey(QWidget &window, Qt::Key key)
{
    QWidget *focus = QApplication::focusWidget();
    QTest::keyClick(focus ? focus : &window, key);
}

// Shows the window and makes it the active one: shortcuts only fire in the active window.
bool showActive(QWidget &window)
{
    window.show();
    QApplication::setActiveWindow(&window);
    return QTest::qWaitForWindowActive(&window);
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
    void graphsGetOneBatchPerNewSecond();
    void graphsShowTheSeriesOnTheWallClock();
    void graphScalesDoNotJump();
    void queueGraphScaleIsTheCapacity();
    void rejectedByReasonTableFollowsCounters();
    void storeUptimeAndWorkers();
    void shortcutsDriveTheWindow();
    void shortcutsFollowTheState();
    void shortcutsIgnoredWhileTypingInAField();
    void shortcutsShownInMenuAndTooltips();
    void customExtendAsksForSeconds();
    void closeConfirmationIgnoresEarlyConfirm();
    void closingEstimate_data();
    void closingEstimate();
    void closingEstimateFromTheSeries();
    void copyButtonPutsTheUrlOnTheClipboard();
    void nothingClippedOnSmallScreens_data();
    void nothingClippedOnSmallScreens();
    void exportCsvWritesTheBroadcastCsv();
    void exportCsvReportsFailure();
    void finalShowsAndExportsTheCertifiedCount();
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

    auto *url = window.findChild<QLineEdit *>(u"ingestUrlField"_s);
    QVERIFY(url);
    QCOMPARE(url->text(), u"http://127.0.0.1:40404/v1/votes"_s);
    QCOMPARE(header->ingestUrlText(), url->text());
    // Selectable and copyable, not editable.
    QVERIFY(url->isReadOnly());
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
    // Once the Close button is armed, Enter and Escape still mean Cancel.
    QTest::newRow("enter when armed") << u"enter armed"_s;
    QTest::newRow("escape when armed") << u"escape armed"_s;
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
        if (how.endsWith(u" armed"_s)) {
            auto *confirm = box->findChild<QPushButton *>(u"confirmCloseButton"_s);
            QTRY_VERIFY(confirm && confirm->isEnabled());
        }
        if (how == u"cancel"_s && cancel)
            cancel->click();
        else if (how.startsWith(u"escape"_s))
            QTest::keyClick(box, Qt::Key_Escape);
        else if (how.startsWith(u"enter"_s))
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
        if (confirm) {
            // The button arms itself after WindowControls::ConfirmArmDelayMs.
            QTRY_VERIFY(confirm->isEnabled());
            confirm->click();
        } else {
            box->reject();
        }
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

void TestMainWindow::graphsGetOneBatchPerNewSecond()
{
    FakeBackend backend(makeSession());
    backend.setMetricsSeries(makeSeries(5));
    MainWindow window(backend);
    auto *graphs = window.findChild<PipelineGraphs *>();
    QVERIFY(graphs);

    QList<std::shared_ptr<QSignalSpy>> spies;
    for (int line = 0; line < PipelineGraphs::LineCount; ++line) {
        QXYSeries *series = graphs->series(PipelineGraphs::Line(line));
        QVERIFY(series);
        spies.append(std::make_shared<QSignalSpy>(series, &QXYSeries::pointsReplaced));
        // Never point by point.
        spies.append(std::make_shared<QSignalSpy>(series, &QXYSeries::pointAdded));
    }
    const auto batches = [&spies](int kind) {
        QList<int> counts;
        for (int i = kind; i < spies.size(); i += 2)
            counts.append(int(spies.at(i)->size()));
        return counts;
    };
    const QList<int> none(PipelineGraphs::LineCount, 0);
    const QList<int> one(PipelineGraphs::LineCount, 1);

    // The series was drawn when the window was built; nothing new since: no batch, and the
    // 600-sample series is not even copied.
    const int batchesBefore = graphs->batchCount();
    const int copiesBefore = backend.metricsSeriesCalls;
    for (int i = 0; i < 5; ++i)
        window.refresh();
    QCOMPARE(batches(0), none);
    QCOMPARE(graphs->batchCount(), batchesBefore);
    QCOMPARE(backend.metricsSeriesCalls, copiesBefore);

    // A new second: exactly one replace() per line, however many ticks follow.
    backend.appendSample(makeSample(6001, 999));
    window.refresh();
    window.refresh();
    window.refresh();
    QCOMPARE(batches(0), one);
    QCOMPARE(batches(1), none);
    QCOMPARE(graphs->batchCount(), batchesBefore + 1);
    QCOMPARE(backend.metricsSeriesCalls, copiesBefore + 1);

    // Through the timer as well: a few ticks, still one batch per second.
    QTest::qWait(3 * MainWindow::RefreshIntervalMs + 50);
    QCOMPARE(batches(0), one);
    backend.appendSample(makeSample(7001, 1200));
    QTRY_COMPARE_WITH_TIMEOUT(graphs->batchCount(), batchesBefore + 2, 1000);
    QTest::qWait(2 * MainWindow::RefreshIntervalMs + 50);
    QCOMPARE(batches(0), QList<int>(PipelineGraphs::LineCount, 2));
    QCOMPARE(batches(1), none);
}

void TestMainWindow::graphsShowTheSeriesOnTheWallClock()
{
    FakeBackend backend(makeSession());
    backend.setQueueCapacity(50'000);
    const QList<SecondSample> series = makeSeries(30);
    backend.setMetricsSeries(series);
    // The engine's clock reads 30'001 ms now; the wall clock reads StartMs.
    const qint64 offset = FakeBackend::StartMs - backend.uptimeMs();
    MainWindow window(backend);
    auto *graphs = window.findChild<PipelineGraphs *>();
    QVERIFY(graphs);

    using Line = PipelineGraphs::Line;
    const auto pointsOf = [graphs](Line line) {
        return graphs->series(line)->points();
    };
    const QList<QPointF> accepted = pointsOf(Line::Accepted);
    QCOMPARE(accepted.size(), series.size());
    for (qsizetype i = 0; i < series.size(); ++i) {
        const SecondSample &s = series.at(i);
        const qreal x = qreal(s.atMs + offset);
        QCOMPARE(accepted.at(i), QPointF(x, qreal(s.accepted)));
        QCOMPARE(pointsOf(Line::Rejected).at(i), QPointF(x, qreal(s.rejected)));
        QCOMPARE(pointsOf(Line::Persisted).at(i), QPointF(x, qreal(s.persisted)));
        QCOMPARE(pointsOf(Line::QueueDepth).at(i), QPointF(x, qreal(s.queueDepth)));
        QCOMPARE(pointsOf(Line::LatencyP50).at(i), QPointF(x, s.latencyP50Ms));
        QCOMPARE(pointsOf(Line::LatencyP99).at(i), QPointF(x, s.latencyP99Ms));
    }
    // Workers as a step: the level holds until the next sample, then moves straight up or down.
    const QList<QPointF> workers = pointsOf(Line::Workers);
    QCOMPARE(workers.size(), 2 * series.size() - 1);
    QCOMPARE(workers.first(),
             QPointF(qreal(series.first().atMs + offset), qreal(series.first().activeWorkers)));
    QCOMPARE(workers.at(1), QPointF(qreal(series.at(1).atMs + offset), qreal(series.at(0).activeWorkers)));
    QCOMPARE(workers.last(), QPointF(qreal(series.last().atMs + offset), qreal(series.last().activeWorkers)));

    // The capacity line across the whole window, and the newest second at the right edge of
    // a ten-minute wall-clock axis.
    const qint64 newest = series.last().atMs + offset;
    QCOMPARE(pointsOf(Line::QueueCapacity),
             (QList<QPointF>{QPointF(qreal(newest - PipelineGraphs::SpanMs), 50'000.0),
                             QPointF(qreal(newest), 50'000.0)}));
    for (int graph = 0; graph < PipelineGraphs::GraphCount; ++graph) {
        QDateTimeAxis *time = graphs->timeAxis(PipelineGraphs::Graph(graph));
        QCOMPARE(time->max().toMSecsSinceEpoch(), newest);
        QCOMPARE(time->min().toMSecsSinceEpoch(), newest - PipelineGraphs::SpanMs);
    }

    // A wobble of a few milliseconds between the two clocks does not move the graph; a step
    // of the wall clock (NTP, suspend) does.
    WindowStatus status = backend.windowStatus();
    status.nowMs += 7;
    backend.setWindowStatus(status);
    backend.appendSample(makeSample(series.last().atMs + 1000, 500));
    window.refresh();
    QCOMPARE(pointsOf(Line::Accepted).last().x(), qreal(series.last().atMs + 1000 + offset));
    status.nowMs += 60'000;
    backend.setWindowStatus(status);
    backend.appendSample(makeSample(series.last().atMs + 2000, 500));
    window.refresh();
    // The newest sample is "now" on the engine's clock, and now on the wall clock it is nowMs.
    QCOMPARE(pointsOf(Line::Accepted).last().x(), qreal(status.nowMs));
}

void TestMainWindow::graphScalesDoNotJump()
{
    PipelineGraphs graphs;
    QValueAxis *rates = graphs.valueAxis(PipelineGraphs::Graph::Throughput);
    QValueAxis *latency = graphs.valueAxis(PipelineGraphs::Graph::Latency);
    // Nothing yet: small round scales, not 0..0.
    QCOMPARE(rates->min(), 0.0);
    QCOMPARE(rates->max(), 8.0);
    QCOMPARE(latency->max(), 1.0);

    QList<SecondSample> series;
    const auto feed = [&](qint64 accepted, double p99) {
        SecondSample s = makeSample(1001 + series.size() * 1000, accepted);
        s.persisted = accepted;
        s.latencyP99Ms = p99;
        s.latencyP50Ms = p99 / 4;
        series.append(s);
        graphs.setSamples(series, 0);
    };

    feed(50'000, 4.0);
    // 10 % headroom, then four round steps: 55,000 -> 4 x 15,000.
    QCOMPARE(rates->max(), 60'000.0);
    QCOMPARE(latency->max(), 6.0); // 4.4 -> 4 x 1.5
    // A rate that moves around within the scale leaves it alone, second after second.
    for (const qint64 accepted : {48'000, 53'000, 51'000, 30'000, 52'500})
        feed(accepted, 3.0);
    QCOMPARE(rates->max(), 60'000.0);
    QCOMPARE(latency->max(), 6.0);
    // A new peak grows it at once.
    feed(70'000, 5.0);
    QCOMPARE(rates->max(), 80'000.0);
    // Once the peaks have left the ten minutes and all would fit in half: it shrinks.
    series.clear();
    feed(20'000, 0.5);
    QCOMPARE(rates->max(), 24'000.0);
    QCOMPARE(latency->max(), 1.0);
}

void TestMainWindow::queueGraphScaleIsTheCapacity()
{
    PipelineGraphs graphs;
    QValueAxis *queue = graphs.valueAxis(PipelineGraphs::Graph::Queue);
    graphs.setQueueCapacity(100'000);
    // A fill level: up to the capacity and a little headroom, whatever the depth.
    QVERIFY(queue->max() > 100'000.0 && queue->max() < 120'000.0);
    graphs.setSamples({makeSample(1001, 40)}, 0);
    QVERIFY(queue->max() > 100'000.0 && queue->max() < 120'000.0);
    // Capacity unknown: the scale follows the depth.
    graphs.setQueueCapacity(0);
    graphs.setSamples({makeSample(1001, 40)}, 0); // depth 80
    QCOMPARE(queue->max(), 100.0);
    QVERIFY(graphs.series(PipelineGraphs::Line::QueueCapacity)->points().isEmpty());
}

void TestMainWindow::rejectedByReasonTableFollowsCounters()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *panel = window.findChild<CountersPanel *>();
    QVERIFY(panel);
    QTableWidget *table = panel->reasonTable();
    QCOMPARE(table->rowCount(), 0);
    QVERIFY(window.findChild<QLabel *>(u"noRejectionsLabel"_s)->isVisibleTo(table));

    SessionCounters counters;
    counters.rejectedByReason.insert(u"window_closed"_s, 3);
    counters.rejectedByReason.insert(u"overloaded"_s, 1'234);
    counters.rejectedByReason.insert(u"invalid_json"_s, 5);
    counters.rejectedByReason.insert(u"from_a_newer_core"_s, 1);
    counters.rejectedByReason.insert(u"unknown_option"_s, 0); // zero: no row
    backend.setCounters(counters);
    window.refresh();

    // The order of DESIGN.md §4 (stable as counts change), unknown codes last.
    using Column = CountersPanel::Column;
    const auto row = [table](int r) {
        return QStringList{
            table->item(r, int(Column::Reason))->text(),
            table->item(r, int(Column::Reason))->data(CountersPanel::CodeRole).toString(),
            QString(table->item(r, int(Column::Votes))->text()).remove(QRegularExpression(u"\\D"_s))};
    };
    QCOMPARE(table->rowCount(), 4);
    QCOMPARE(row(0), (QStringList{u"Malformed JSON"_s, u"400 invalid_json"_s, u"5"_s}));
    QCOMPARE(row(1), (QStringList{u"Late: after the close"_s, u"409 window_closed"_s, u"3"_s}));
    QCOMPARE(row(2), (QStringList{u"Queue full, client to retry"_s, u"503 overloaded"_s, u"1234"_s}));
    QCOMPARE(row(3), (QStringList{u"from_a_newer_core"_s, u"from_a_newer_core"_s, u"1"_s}));
    QVERIFY(!window.findChild<QLabel *>(u"noRejectionsLabel"_s)->isVisibleTo(table));

    // New counts, same reasons: the rows stay where they are, in place.
    QTableWidgetItem *lateItem = table->item(1, int(Column::Votes));
    counters.rejectedByReason[u"window_closed"_s] = 40'000;
    backend.setCounters(counters);
    QTRY_COMPARE_WITH_TIMEOUT(row(1).at(2), u"40000"_s, 1000);
    QCOMPARE(table->item(1, int(Column::Votes)), lateItem);
    QCOMPARE(row(0).at(2), u"5"_s);

    // A new reason takes its place in the fixed order.
    counters.rejectedByReason.insert(u"invalid_voter"_s, 2);
    backend.setCounters(counters);
    window.refresh();
    QCOMPARE(table->rowCount(), 5);
    QCOMPARE(row(1).at(1), u"400 invalid_voter"_s);
    QCOMPARE(panel->shownReasons().at(2), (QPair<QString, qint64>(u"window_closed"_s, 40'000)));
}

void TestMainWindow::storeUptimeAndWorkers()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *panel = window.findChild<CountersPanel *>();
    QVERIFY(panel);
    // Unknown: a dash, not a misleading zero.
    QCOMPARE(panel->storeSizeText(), u"\u2014"_s);
    QCOMPARE(panel->uptimeText(), u"\u2014"_s);
    QCOMPARE(panel->workersText(), u"\u2014"_s);

    backend.setStoreSizeBytes(12'345'678);
    SecondSample sample = makeSample(3'723'000, 100);
    sample.activeWorkers = 3;
    backend.setMetricsSeries({sample}); // uptime 1 h 2 min 3 s
    window.refresh();
    QVERIFY2(panel->storeSizeText().contains(u"MiB"_s), qPrintable(panel->storeSizeText()));
    QVERIFY2(panel->storeSizeText().startsWith(u"11"_s), qPrintable(panel->storeSizeText()));
    QCOMPARE(panel->uptimeText(), u"1:02:03"_s);
    QCOMPARE(panel->workersText(), u"3"_s);
    QCOMPARE(CountersPanel::formatUptime(100'000'000), u"27:46:40"_s);
    QCOMPARE(CountersPanel::formatUptime(59'999), u"0:00:59"_s);
}

void TestMainWindow::shortcutsDriveTheWindow()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    QVERIFY(showActive(window));
    // The keys work from the start: nothing that swallows them has the focus.
    QVERIFY2(!ShortcutGuard::isTextField(QApplication::focusWidget()),
             QApplication::focusWidget()->metaObject()->className());

    pressKey(window, Qt::Key_F5);
    QCOMPARE(backend.openCalls, 1);
    QCOMPARE(backend.windowStatus().state, WindowState::Open);
    pressKey(window, Qt::Key_F6);
    QCOMPARE(backend.extendCalls, QList<int>{30});
    pressKey(window, Qt::Key_F7);
    QCOMPARE(backend.extendCalls, (QList<int>{30, 60}));

    bool asked = false;
    onNextMessageBox([&asked](QMessageBox *box) {
        asked = box->objectName() == u"confirmCloseBox"_s;
        box->reject();
    });
    pressKey(window, Qt::Key_F12);
    QVERIFY(asked);
    QCOMPARE(backend.closeCalls, 0);
    // The window manager hands the focus back after a dialog; offscreen, the test does.
    QVERIFY(showActive(window));

    onNextMessageBox([](QMessageBox *box) {
        auto *confirm = box->findChild<QPushButton *>(u"confirmCloseButton"_s);
        QTRY_VERIFY(confirm->isEnabled());
        confirm->click();
    });
    pressKey(window, Qt::Key_F12);
    QCOMPARE(backend.closeCalls, 1);
    QCOMPARE(backend.windowStatus().state, WindowState::Closing);
}

void TestMainWindow::shortcutsFollowTheState()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    QVERIFY(showActive(window));
    auto *controls = window.findChild<WindowControls *>();
    QVERIFY(controls);

    // Ready: only Open; the extend and close keys do nothing (no box, no call).
    QVERIFY(!controls->extendLongAction()->isEnabled());
    QVERIFY(!controls->extendCustomAction()->isEnabled());
    pressKey(window, Qt::Key_F6);
    pressKey(window, Qt::Key_F7);
    pressKey(window, Qt::Key_F8);
    pressKey(window, Qt::Key_F12);
    QVERIFY(!QApplication::activeModalWidget());
    QVERIFY(backend.extendCalls.isEmpty());
    QCOMPARE(backend.closeCalls, 0);

    // Closing: nothing at all, Open included.
    backend.setState(WindowState::Closing);
    window.refresh();
    for (QAction *action : controls->windowActions()) {
        if (action)
            QVERIFY2(!action->isEnabled(), qPrintable(action->text()));
    }
    pressKey(window, Qt::Key_F5);
    QCOMPARE(backend.openCalls, 0);
}

void TestMainWindow::shortcutsIgnoredWhileTypingInAField()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    QVERIFY(showActive(window));
    backend.setState(WindowState::Open);
    window.refresh();

    auto *url = window.findChild<QLineEdit *>(u"ingestUrlField"_s);
    QVERIFY(url);
    // Only a click puts the keyboard there (never the start-up focus, see above).
    QCOMPARE(url->focusPolicy(), Qt::ClickFocus);
    QTest::mouseClick(url, Qt::LeftButton);
    QTRY_VERIFY(url->hasFocus());
    // The operator selects the address with the keyboard and presses keys that are also
    // shortcuts: the field gets them, the window does nothing.
    QTest::keyClick(url, Qt::Key_End, Qt::ShiftModifier);
    for (const Qt::Key key : {Qt::Key_F6, Qt::Key_F7, Qt::Key_F8, Qt::Key_F12, Qt::Key_F5})
        QTest::keyClick(url, key);
    QVERIFY(!QApplication::activeModalWidget());
    QVERIFY(backend.extendCalls.isEmpty());
    QCOMPARE(backend.closeCalls, 0);
    QCOMPARE(backend.windowStatus().state, WindowState::Open);
    // Other shortcuts of the window still reach it from the field (the guard is for ours).
    QVERIFY(url->hasFocus());

    // Escape hands the keyboard back to the window: the same key works again.
    QTest::keyClick(url, Qt::Key_Escape);
    QVERIFY(!url->hasFocus());
    pressKey(window, Qt::Key_F6);
    QCOMPARE(backend.extendCalls, QList<int>{30});
}

void TestMainWindow::shortcutsShownInMenuAndTooltips()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    auto *controls = window.findChild<WindowControls *>();
    QVERIFY(controls);

    QMenu *lines = nullptr;
    const QList<QAction *> menus = window.menuBar()->actions();
    for (QAction *menu : menus) {
        if (menu->text().remove(u'&') == u"Lines"_s)
            lines = menu->menu();
    }
    QVERIFY2(lines, "no Lines menu in the menu bar");

    const QList<QPair<QAction *, QKeySequence>> expected = {
        {controls->openAction(), QKeySequence(Qt::Key_F5)},
        {controls->extendAction(), QKeySequence(Qt::Key_F6)},
        {controls->extendLongAction(), QKeySequence(Qt::Key_F7)},
        {controls->extendCustomAction(), QKeySequence(Qt::Key_F8)},
        {controls->closeAction(), QKeySequence(Qt::Key_F12)},
    };
    for (const auto &[action, key] : expected) {
        QCOMPARE(action->shortcut(), key);
        QVERIFY2(lines->actions().contains(action), qPrintable(action->text()));
        // The tooltip of the button names the key.
        QVERIFY2(action->toolTip().contains(key.toString(QKeySequence::NativeText)),
                 qPrintable(action->toolTip()));
    }
    // The buttons show the same actions, so menu, key and button share one enabled state.
    QCOMPARE(window.findChild<QToolButton *>(u"extendLinesLongButton"_s)->defaultAction(),
             controls->extendLongAction());
    QCOMPARE(window.findChild<QToolButton *>(u"extendLinesCustomButton"_s)->defaultAction(),
             controls->extendCustomAction());
}

void TestMainWindow::customExtendAsksForSeconds()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    backend.setState(WindowState::Open);
    window.refresh();
    auto *controls = window.findChild<WindowControls *>();

    // Cancel: nothing.
    onNextModal<QInputDialog>([](QInputDialog *dialog) { dialog->reject(); });
    controls->extendCustomAction()->trigger();
    QVERIFY(backend.extendCalls.isEmpty());

    int maximum = 0;
    onNextModal<QInputDialog>([&maximum](QInputDialog *dialog) {
        maximum = dialog->intMaximum();
        dialog->setIntValue(45);
        dialog->accept();
    });
    window.findChild<QToolButton *>(u"extendLinesCustomButton"_s)->click();
    QCOMPARE(backend.extendCalls, QList<int>{45});
    QCOMPARE(maximum, WindowControls::CustomExtendMaxSeconds);

    // The dialog proposes what was used last time; Enter takes it (extending is not
    // destructive, unlike closing).
    int proposed = 0;
    onNextModal<QInputDialog>([&proposed](QInputDialog *dialog) {
        proposed = dialog->intValue();
        QTest::keyClick(dialog->findChild<QSpinBox *>(), Qt::Key_Return);
    });
    controls->extendCustomAction()->trigger();
    QCOMPARE(proposed, 45);
    QCOMPARE(backend.extendCalls, (QList<int>{45, 45}));
}

void TestMainWindow::closeConfirmationIgnoresEarlyConfirm()
{
    FakeBackend backend(makeSession());
    MainWindow window(backend);
    window.show();
    backend.setState(WindowState::Open);
    window.refresh();

    bool ignoredEarly = false;
    qint64 armedAfterMs = 0;
    onNextMessageBox([&](QMessageBox *box) {
        QElapsedTimer shown;
        shown.start();
        auto *confirm = box->findChild<QPushButton *>(u"confirmCloseButton"_s);
        if (!confirm) {
            box->reject();
            return;
        }
        // The second click of a double-click lands a few ms after the box appeared: both a
        // real mouse click and a programmatic one are ignored.
        QTest::mouseClick(confirm, Qt::LeftButton);
        confirm->click();
        ignoredEarly = box->isVisible() && !confirm->isEnabled() && shown.elapsed() < 300;
        QTRY_VERIFY_WITH_TIMEOUT(confirm->isEnabled(), 2000);
        armedAfterMs = shown.elapsed();
        QTest::mouseClick(confirm, Qt::LeftButton);
    });
    window.findChild<QToolButton *>(u"closeLinesButton"_s)->click();

    QVERIFY(ignoredEarly);
    // About ConfirmArmDelayMs after it appeared (the poll found it up to 10 ms late).
    QVERIFY2(armedAfterMs >= WindowControls::ConfirmArmDelayMs - 60,
             qPrintable(QString::number(armedAfterMs)));
    QCOMPARE(backend.closeCalls, 1);
    QCOMPARE(backend.windowStatus().state, WindowState::Closing);
}

void TestMainWindow::closingEstimate_data()
{
    QTest::addColumn<qint64>("depth");
    QTest::addColumn<double>("drainPerSecond");
    QTest::addColumn<QString>("expected");
    QTest::newRow("three seconds") << qint64(5'000) << 2'000.0 << u"exact result in ~3 s"_s;
    QTest::newRow("rounds up") << qint64(2'001) << 2'000.0 << u"exact result in ~2 s"_s;
    QTest::newRow("under a second") << qint64(10) << 50'000.0 << u"exact result in ~1 s"_s;
    QTest::newRow("empty queue") << qint64(0) << 0.0 << u"exact result any moment"_s;
    QTest::newRow("stalled store") << qint64(40) << 0.0 << u"exact result delayed: store not committing"_s;
}

void TestMainWindow::closingEstimate()
{
    QFETCH(qint64, depth);
    QFETCH(double, drainPerSecond);
    QFETCH(QString, expected);
    QCOMPARE(ClosingEstimate::text(depth, drainPerSecond), expected);
}

void TestMainWindow::closingEstimateFromTheSeries()
{
    FakeBackend backend(makeSession());
    // Three seconds of commits at 1,000, 2,000 and 3,000 votes/s (older seconds do not count).
    QList<SecondSample> series = makeSeries(6);
    const qint64 persisted[] = {90'000, 90'000, 90'000, 1'000, 2'000, 3'000};
    for (int i = 0; i < 6; ++i)
        series[i].persisted = persisted[i];
    backend.setMetricsSeries(series);
    QCOMPARE(ClosingEstimate::drainRate(series), 2'000.0);
    SessionCounters counters;
    counters.queueDepth = 9'000;
    backend.setCounters(counters);

    MainWindow window(backend);
    auto *countdown = window.findChild<CountdownWidget *>();
    QVERIFY(countdown);
    auto *estimate = window.findChild<QLabel *>(u"closingEstimateLabel"_s);
    QVERIFY(estimate);
    // Open: no estimate, but its line is kept (nothing moves when it appears).
    backend.setState(WindowState::Open);
    window.refresh();
    QCOMPARE(countdown->closingEstimateText(), QString());
    const int lineHeight = estimate->height();
    QVERIFY(estimate->minimumHeight() > 0);

    backend.setState(WindowState::Closing);
    window.refresh();
    QCOMPARE(countdown->closingEstimateText(), u"exact result in ~5 s"_s);
    QCOMPARE(estimate->height(), lineHeight);

    // The queue drains (the depth is live, the rate per second): the estimate follows.
    counters.queueDepth = 3'000;
    backend.setCounters(counters);
    QTRY_COMPARE_WITH_TIMEOUT(countdown->closingEstimateText(), u"exact result in ~2 s"_s, 1000);
    counters.queueDepth = 0;
    backend.setCounters(counters);
    QTRY_COMPARE_WITH_TIMEOUT(countdown->closingEstimateText(), u"exact result any moment"_s, 1000);

    backend.setState(WindowState::Closed);
    window.refresh();
    QCOMPARE(countdown->closingEstimateText(), u"exact result ready"_s);
    backend.setState(WindowState::Final);
    window.refresh();
    QCOMPARE(countdown->closingEstimateText(), QString());
}

void TestMainWindow::copyButtonPutsTheUrlOnTheClipboard()
{
    FakeBackend backend(makeSession());
    backend.setIngestUrl(u"http://10.0.0.7:8080/v1/votes"_s);
    MainWindow window(backend);
    QGuiApplication::clipboard()->setText(u"something else"_s);

    auto *copy = window.findChild<QPushButton *>(u"copyIngestUrlButton"_s);
    QVERIFY(copy);
    QVERIFY(!copy->toolTip().isEmpty());
    copy->click();
    QCOMPARE(QGuiApplication::clipboard()->text(), u"http://10.0.0.7:8080/v1/votes"_s);
    QVERIFY(window.statusBar()->currentMessage().contains(u"http://10.0.0.7:8080/v1/votes"_s));
}

void TestMainWindow::nothingClippedOnSmallScreens_data()
{
    QTest::addColumn<QSize>("screen");
    QTest::newRow("1280x800") << QSize(1280, 800);
    QTest::newRow("1600x1000") << QSize(1600, 1000);
}

void TestMainWindow::nothingClippedOnSmallScreens()
{
    QFETCH(QSize, screen);
    // A window manager takes a title bar and maybe a panel from the screen.
    const QSize available(screen.width(), screen.height() - 60);

    FakeBackend backend(makeSession());
    backend.setQueueCapacity(100'000);
    backend.setStoreSizeBytes(123'456'789'012);
    backend.setIngestUrl(u"http://192.168.100.200:65535/v1/votes"_s);
    // The widest figures of a big show: eight-digit totals, a slow, deep pipeline.
    backend.publishTally(1, {12'345'678, 11'111'111, 10'000'000, 9'999'999});
    SessionCounters counters;
    counters.rejected = 1'234'567;
    counters.late = 123'456;
    counters.queueDepth = 100'000;
    for (int reason = 1; reason <= kRejectReasonCount; ++reason)
        counters.rejectedByReason.insert(QString::fromLatin1(rejectCode(RejectReason(reason))), 1'234'567);
    backend.setCounters(counters);
    QList<SecondSample> series;
    for (int i = 0; i < 600; ++i) {
        SecondSample s = makeSample(1001 + i * 1000, 150'000);
        s.latencyP99Ms = 2'345.6;
        series.append(s);
    }
    backend.setMetricsSeries(series);

    MainWindow window(backend);
    window.setWindowState(Qt::WindowNoState);
    window.resize(available);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    const QSize minimum = window.minimumSizeHint();
    QVERIFY2(minimum.width() <= available.width() && minimum.height() <= available.height(),
             qPrintable(u"the window needs %1x%2"_s.arg(minimum.width()).arg(minimum.height())));
    QCOMPARE(window.size(), available);

    // Every state the clock can show, with its longest texts.
    const qint64 closesAt = QDateTime(QDate(2024, 5, 18), QTime(20, 41, 7)).toMSecsSinceEpoch();
    const WindowState states[] = {WindowState::Ready,   WindowState::Open,   WindowState::Open,
                                  WindowState::Closing, WindowState::Closed, WindowState::Final};
    for (int step = 0; step < int(std::size(states)); ++step) {
        WindowStatus status;
        status.state = states[step];
        status.nowMs = closesAt - 9'400;
        status.remainingMs = step == 1 ? 3'599'000 : 9'400; // 59:59, then the tenths
        status.closesAtMs = closesAt;
        status.closedAtMs = closesAt;
        backend.setWindowStatus(status);
        window.refresh();
        QCoreApplication::processEvents();

        const QRect inside = window.centralWidget()->rect();
        const QList<QWidget *> widgets = window.centralWidget()->findChildren<QWidget *>();
        for (QWidget *widget : widgets) {
            if (!widget->isVisible() || widget->objectName() == u"qt_scrollarea_viewport"_s)
                continue;
            const QString name =
                QString::fromLatin1(widget->metaObject()->className()) % u' ' % widget->objectName();
            const QRect placed(widget->mapTo(window.centralWidget(), QPoint(0, 0)), widget->size());
            // Nothing sticks out of the window...
            if (qobject_cast<QLabel *>(widget) || qobject_cast<QAbstractButton *>(widget) ||
                qobject_cast<QLineEdit *>(widget)) {
                QVERIFY2(inside.contains(placed), qPrintable(name + u" is outside the window"_s));
            }
            // ...and no text is cut: each label and button is as wide as its text needs.
            auto *label = qobject_cast<QLabel *>(widget);
            const bool elides = label && label->sizePolicy().horizontalPolicy() == QSizePolicy::Ignored;
            if ((label && !elides) || qobject_cast<QAbstractButton *>(widget) ||
                qobject_cast<QLineEdit *>(widget)) {
                QVERIFY2(
                    widget->width() >= widget->minimumSizeHint().width(),
                    qPrintable(name + u" (%1) is %2 wide, needs %3"_s.arg(label ? label->text() : QString())
                                          .arg(widget->width())
                                          .arg(widget->minimumSizeHint().width())));
                if (label && !label->wordWrap()) {
                    QVERIFY2(widget->width() >= label->sizeHint().width(),
                             qPrintable(name + u" '%1' is %2 wide, its text %3"_s.arg(label->text())
                                                   .arg(widget->width())
                                                   .arg(label->sizeHint().width())));
                }
                QVERIFY2(widget->height() >= widget->minimumSizeHint().height(),
                         qPrintable(name + u" is too short"_s));
            }
        }
    }
    // The graphs get a real share of the height, not a strip.
    for (const QString &name : {u"throughputGraph"_s, u"queueGraph"_s, u"latencyGraph"_s}) {
        auto *view = window.findChild<QWidget *>(name);
        QVERIFY(view);
        QVERIFY2(view->height() >= 170, qPrintable(name + u": "_s + QString::number(view->height())));
    }
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

void TestMainWindow::finalShowsAndExportsTheCertifiedCount()
{
    // The operator excluded 30 votes for B: the live tally keeps counting them, the certified
    // picture (recounted with the exclusion) does not. Once final, the console's bars and the
    // exported CSV are the certified figures, not the live ones.
    FakeBackend backend(makeSession());
    backend.publishTally(5, {30, 80, 20, 0});
    MainWindow window(backend);
    window.show();
    auto *chart = window.findChild<ResultsChart *>();
    QVERIFY(chart);
    QTRY_COMPARE_WITH_TIMEOUT(chart->barValue(1), 80, 1000);

    auto certified = std::make_shared<PublishedResults>();
    certified->session = backend.session();
    certified->tally.sessionId = backend.session().id;
    certified->tally.version = 1; // the picture's own count of changes: lower than the live one
    certified->tally.exact = {30, 50, 20, 0};
    certified->tally.raw = {30, 50, 20, 0};
    certified->final = true;
    backend.setPublished(certified);
    backend.setState(WindowState::Final);
    QTRY_COMPARE_WITH_TIMEOUT(chart->barValue(1), 50, 1000);
    QCOMPARE(chart->barValue(0), 30);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"certified.csv"_s);
    QString error;
    QVERIFY2(window.exportCsv(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY2(file.readAll().contains("1,B,Bravo,50,50.0\r\n"), "the export is not the certified count");

    // A published picture that is not final (a take during the window) leaves the live tally.
    auto provisional = std::make_shared<PublishedResults>(*certified);
    provisional->final = false;
    backend.setPublished(provisional);
    backend.setState(WindowState::Closed);
    QTRY_COMPARE_WITH_TIMEOUT(chart->barValue(1), 80, 1000);
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
