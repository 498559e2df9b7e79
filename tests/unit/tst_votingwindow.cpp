#include <QTest>

#include "session/votingwindow.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(WindowState)
Q_DECLARE_METATYPE(VotingWindow::Admission)
Q_DECLARE_METATYPE(WindowRecord)

namespace {
// Plain integer times: the state machine never reads a clock.
constexpr qint64 kLength = 60'000;
constexpr qint64 kOpenAt = 1'000'000;
constexpr qint64 kClosesAt = kOpenAt + kLength;

enum class Action
{
    Arm,
    Open,
    Extend,
    CloseNow,
    MarkDrained,
    Finalize
};

bool perform(VotingWindow &window, const Action action, QString *error)
{
    const qint64 now = kOpenAt + 10'000; // inside the window, should it be open
    switch (action) {
    case Action::Arm:
        return window.arm(error);
    case Action::Open:
        return window.open(now, error);
    case Action::Extend:
        return window.extend(now, 5'000, error);
    case Action::CloseNow:
        return window.closeNow(now, error);
    case Action::MarkDrained:
        return window.markDrained(error);
    case Action::Finalize:
        return window.finalize(error);
    }
    return false;
}

// A window brought to `state` the way the engine would: draft only exists in a stored record
// (a fresh VotingWindow is already armed), every later state through the legal transitions.
VotingWindow windowIn(const WindowState state, const qint64 lateToleranceMs = 0)
{
    if (state == WindowState::Draft) {
        WindowRecord record;
        record.state = WindowState::Draft;
        record.lengthMs = kLength;
        return VotingWindow::resume(record, lateToleranceMs, kOpenAt);
    }
    VotingWindow window(kLength, lateToleranceMs);
    if (state == WindowState::Ready)
        return window;
    window.open(kOpenAt);
    if (state == WindowState::Open)
        return window;
    window.closeNow(kOpenAt + 30'000);
    if (state == WindowState::Closing)
        return window;
    window.markDrained();
    if (state == WindowState::Closed)
        return window;
    window.finalize();
    return window;
}

bool sameRecord(const WindowRecord &a, const WindowRecord &b)
{
    return a.state == b.state && a.lengthMs == b.lengthMs && a.openedAtMs == b.openedAtMs &&
           a.closesAtMs == b.closesAtMs && a.closedAtMs == b.closedAtMs;
}

WindowRecord openRecord(const qint64 openedAt, const qint64 closesAt)
{
    WindowRecord record;
    record.state = WindowState::Open;
    record.lengthMs = kLength;
    record.openedAtMs = openedAt;
    record.closesAtMs = closesAt;
    return record;
}
} // namespace

Q_DECLARE_METATYPE(Action)

class TestVotingWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stateNames();
    void freshWindowIsReady();
    void windowInHelper();
    void transitions_data();
    void transitions();
    void fullLifecycle();
    void openSetsClosesAt();
    void extend();
    void extendRefused_data();
    void extendRefused();
    void closeNow();
    void closeNowIgnoresTolerance();
    void expireIfDue_data();
    void expireIfDue();
    void expireIfDueOnlyWhenOpen();
    void admitWhileOpen_data();
    void admitWhileOpen();
    void admitInOtherStates_data();
    void admitInOtherStates();
    void remainingMs_data();
    void remainingMs();
    void deadlines();
    void resume_data();
    void resume();
};

void TestVotingWindow::stateNames()
{
    const QList<std::pair<WindowState, QString>> names = {
        {WindowState::Draft, u"draft"_s},   {WindowState::Ready, u"ready"_s},
        {WindowState::Open, u"open"_s},     {WindowState::Closing, u"closing"_s},
        {WindowState::Closed, u"closed"_s}, {WindowState::Final, u"final"_s}};
    for (const auto &[state, name] : names) {
        QCOMPARE(windowStateName(state), name);
        WindowState parsed = WindowState::Draft;
        QVERIFY(parseWindowState(name, &parsed));
        QCOMPARE(parsed, state);
    }
    WindowState untouched = WindowState::Open;
    QVERIFY(!parseWindowState(u"Open"_s, &untouched));
    QVERIFY(!parseWindowState(u"shut"_s, &untouched));
    QVERIFY(!parseWindowState(QString(), &untouched));
    QCOMPARE(untouched, WindowState::Open);
}

void TestVotingWindow::freshWindowIsReady()
{
    const VotingWindow window(kLength, 500);
    QCOMPARE(window.state(), WindowState::Ready);
    QCOMPARE(window.record().lengthMs, kLength);
    QCOMPARE(window.record().openedAtMs, 0);
    QCOMPARE(window.record().closesAtMs, 0);
    QCOMPARE(window.record().closedAtMs, 0);
    QCOMPARE(window.lateToleranceMs(), 500);
}

void TestVotingWindow::windowInHelper()
{
    for (WindowState state : {WindowState::Draft, WindowState::Ready, WindowState::Open, WindowState::Closing,
                              WindowState::Closed, WindowState::Final}) {
        QCOMPARE(windowIn(state).state(), state);
    }
}

void TestVotingWindow::transitions_data()
{
    QTest::addColumn<WindowState>("from");
    QTest::addColumn<Action>("action");
    QTest::addColumn<bool>("allowed");
    QTest::addColumn<WindowState>("to");

    const QList<std::pair<Action, const char *>> actions = {
        {Action::Arm, "arm"},           {Action::Open, "open"},         {Action::Extend, "extend"},
        {Action::CloseNow, "closeNow"}, {Action::MarkDrained, "drain"}, {Action::Finalize, "finalize"}};
    const QList<std::pair<WindowState, const char *>> states = {
        {WindowState::Draft, "draft"},     {WindowState::Ready, "ready"},   {WindowState::Open, "open"},
        {WindowState::Closing, "closing"}, {WindowState::Closed, "closed"}, {WindowState::Final, "final"}};
    // The only legal moves; every other (state, action) pair must be refused.
    const auto legal = [](WindowState from, Action action, WindowState *to) {
        if (from == WindowState::Draft && action == Action::Arm)
            *to = WindowState::Ready;
        else if (from == WindowState::Ready && action == Action::Open)
            *to = WindowState::Open;
        else if (from == WindowState::Open && action == Action::Extend)
            *to = WindowState::Open;
        else if (from == WindowState::Open && action == Action::CloseNow)
            *to = WindowState::Closing;
        else if (from == WindowState::Closing && action == Action::MarkDrained)
            *to = WindowState::Closed;
        else if (from == WindowState::Closed && action == Action::Finalize)
            *to = WindowState::Final;
        else
            return false;
        return true;
    };
    for (const auto &[state, stateName] : states) {
        for (const auto &[action, actionName] : actions) {
            WindowState to = state;
            const bool allowed = legal(state, action, &to);
            QTest::addRow("%s: %s", stateName, actionName) << state << action << allowed << to;
        }
    }
}

void TestVotingWindow::transitions()
{
    QFETCH(WindowState, from);
    QFETCH(Action, action);
    QFETCH(bool, allowed);
    QFETCH(WindowState, to);

    VotingWindow window = windowIn(from);
    const WindowRecord before = window.record();
    QString error;
    QCOMPARE(perform(window, action, &error), allowed);
    QCOMPARE(window.state(), to);
    if (allowed) {
        QVERIFY2(error.isEmpty(), qPrintable(error));
    } else {
        // Refused: a message naming the state the window is in, and nothing changed.
        QVERIFY(!error.isEmpty());
        QVERIFY2(error.contains(windowStateName(from)), qPrintable(error));
        QVERIFY(sameRecord(window.record(), before));
        // The error pointer is optional.
        QCOMPARE(perform(window, action, nullptr), false);
    }
}

void TestVotingWindow::fullLifecycle()
{
    VotingWindow window = windowIn(WindowState::Draft);
    QString error;
    QVERIFY(window.arm(&error));
    QVERIFY(window.open(kOpenAt, &error));
    QVERIFY(window.extend(kOpenAt + 1'000, 30'000, &error));
    QVERIFY(!window.expireIfDue(kClosesAt + 29'999));
    QVERIFY(window.expireIfDue(kClosesAt + 30'000));
    QCOMPARE(window.state(), WindowState::Closing);
    QVERIFY(window.markDrained(&error));
    QVERIFY(window.finalize(&error));
    QCOMPARE(window.state(), WindowState::Final);
    QCOMPARE(window.record().openedAtMs, kOpenAt);
    QCOMPARE(window.record().closesAtMs, kClosesAt + 30'000);
    QCOMPARE(window.record().closedAtMs, kClosesAt + 30'000);
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestVotingWindow::openSetsClosesAt()
{
    VotingWindow window(kLength);
    QVERIFY(window.open(kOpenAt));
    QCOMPARE(window.state(), WindowState::Open);
    QCOMPARE(window.record().openedAtMs, kOpenAt);
    QCOMPARE(window.record().closesAtMs, kOpenAt + kLength);
    QCOMPARE(window.record().closedAtMs, 0);
    QCOMPARE(window.remainingMs(kOpenAt), kLength);
}

void TestVotingWindow::extend()
{
    VotingWindow window(kLength);
    QVERIFY(window.open(kOpenAt));
    QVERIFY(window.extend(kOpenAt + 50'000, 15'000));
    QCOMPARE(window.record().closesAtMs, kClosesAt + 15'000);
    QCOMPARE(window.remainingMs(kOpenAt + 50'000), 25'000);
    QVERIFY(window.extend(kOpenAt + 51'000, 1));
    QCOMPARE(window.record().closesAtMs, kClosesAt + 15'001);
    // Extending moves the admission boundary with it.
    QCOMPARE(window.admit(kClosesAt + 15'000), VotingWindow::Admission::Accept);
    QCOMPARE(window.admit(kClosesAt + 15'001), VotingWindow::Admission::Closed);
    QCOMPARE(window.record().openedAtMs, kOpenAt);
    QCOMPARE(window.state(), WindowState::Open);
}

void TestVotingWindow::extendRefused_data()
{
    QTest::addColumn<WindowState>("state");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<qint64>("extraMs");

    QTest::newRow("zero") << WindowState::Open << kOpenAt + 1'000 << qint64(0);
    QTest::newRow("negative") << WindowState::Open << kOpenAt + 1'000 << qint64(-5'000);
    // Past the close instant the lines are closed, even before expireIfDue() noticed:
    // extending now would reopen them after the audience was told they closed.
    QTest::newRow("at the close instant") << WindowState::Open << kClosesAt << qint64(5'000);
    QTest::newRow("after the close instant") << WindowState::Open << kClosesAt + 1 << qint64(5'000);
    QTest::newRow("draft") << WindowState::Draft << kOpenAt << qint64(5'000);
    QTest::newRow("ready") << WindowState::Ready << kOpenAt << qint64(5'000);
    QTest::newRow("closing") << WindowState::Closing << kOpenAt + 31'000 << qint64(5'000);
    QTest::newRow("closed") << WindowState::Closed << kOpenAt + 31'000 << qint64(5'000);
    QTest::newRow("final") << WindowState::Final << kOpenAt + 31'000 << qint64(5'000);
}

void TestVotingWindow::extendRefused()
{
    QFETCH(WindowState, state);
    QFETCH(qint64, nowMs);
    QFETCH(qint64, extraMs);

    VotingWindow window = windowIn(state);
    const WindowRecord before = window.record();
    QString error;
    QVERIFY(!window.extend(nowMs, extraMs, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(sameRecord(window.record(), before));
}

void TestVotingWindow::closeNow()
{
    VotingWindow window(kLength);
    QVERIFY(window.open(kOpenAt));
    const qint64 now = kOpenAt + 20'000;
    QVERIFY(window.closeNow(now));
    QCOMPARE(window.state(), WindowState::Closing);
    QCOMPARE(window.record().closedAtMs, now);
    QCOMPARE(window.record().closesAtMs, kClosesAt); // the plan is kept for the report
    QCOMPARE(window.admit(now), VotingWindow::Admission::Closed);
    QCOMPARE(window.admit(now + 1), VotingWindow::Admission::Closed);
    QCOMPARE(window.admit(kClosesAt - 1), VotingWindow::Admission::Closed);
    QCOMPARE(window.remainingMs(now), 0);
    QCOMPARE(window.acceptUntilMs(), 0);
    QCOMPARE(window.nextDeadlineMs(), 0);
    QVERIFY(!window.expireIfDue(kClosesAt + 1)); // already closing: nothing to expire
    QCOMPARE(window.record().closedAtMs, now);
}

void TestVotingWindow::closeNowIgnoresTolerance()
{
    VotingWindow window(kLength, 5'000);
    QVERIFY(window.open(kOpenAt));
    const qint64 now = kOpenAt + 20'000;
    QVERIFY(window.closeNow(now));
    QCOMPARE(window.record().closedAtMs, now);
    QCOMPARE(window.admit(now + 1), VotingWindow::Admission::Closed);
}

void TestVotingWindow::expireIfDue_data()
{
    QTest::addColumn<qint64>("toleranceMs");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<bool>("expires");

    QTest::newRow("no tolerance, before") << qint64(0) << kClosesAt - 1 << false;
    QTest::newRow("no tolerance, at closesAt") << qint64(0) << kClosesAt << true;
    QTest::newRow("no tolerance, long after") << qint64(0) << kClosesAt + 3'600'000 << true;
    QTest::newRow("tolerance, at closesAt") << qint64(2'000) << kClosesAt << false;
    QTest::newRow("tolerance, just before its end") << qint64(2'000) << kClosesAt + 1'999 << false;
    QTest::newRow("tolerance, at its end") << qint64(2'000) << kClosesAt + 2'000 << true;
    QTest::newRow("tolerance, after") << qint64(2'000) << kClosesAt + 2'001 << true;
}

void TestVotingWindow::expireIfDue()
{
    QFETCH(qint64, toleranceMs);
    QFETCH(qint64, nowMs);
    QFETCH(bool, expires);

    VotingWindow window(kLength, toleranceMs);
    QVERIFY(window.open(kOpenAt));
    QCOMPARE(window.expireIfDue(nowMs), expires);
    if (expires) {
        QCOMPARE(window.state(), WindowState::Closing);
        // The announced instant, however late the check ran.
        QCOMPARE(window.record().closedAtMs, kClosesAt);
        QVERIFY(!window.expireIfDue(nowMs + 1)); // once
    } else {
        QCOMPARE(window.state(), WindowState::Open);
        QCOMPARE(window.record().closedAtMs, 0);
    }
}

void TestVotingWindow::expireIfDueOnlyWhenOpen()
{
    for (WindowState state : {WindowState::Draft, WindowState::Ready, WindowState::Closing,
                              WindowState::Closed, WindowState::Final}) {
        VotingWindow window = windowIn(state);
        const WindowRecord before = window.record();
        QVERIFY(!window.expireIfDue(kClosesAt + 3'600'000));
        QVERIFY(sameRecord(window.record(), before));
    }
}

void TestVotingWindow::admitWhileOpen_data()
{
    QTest::addColumn<qint64>("toleranceMs");
    QTest::addColumn<qint64>("receivedAtMs");
    QTest::addColumn<VotingWindow::Admission>("expected");

    using A = VotingWindow::Admission;
    for (const qint64 tolerance : {qint64(0), qint64(500)}) {
        const QByteArray t = tolerance ? "tolerance 500" : "no tolerance";
        QTest::addRow("%s: long before open", t.constData()) << tolerance << qint64(0) << A::NotOpen;
        QTest::addRow("%s: just before open", t.constData()) << tolerance << kOpenAt - 1 << A::NotOpen;
        QTest::addRow("%s: at open", t.constData()) << tolerance << kOpenAt << A::Accept;
        QTest::addRow("%s: during", t.constData()) << tolerance << kOpenAt + 30'000 << A::Accept;
        QTest::addRow("%s: last millisecond", t.constData()) << tolerance << kClosesAt - 1 << A::Accept;
        // The close instant itself is exclusive: a vote stamped at it is late.
        QTest::addRow("%s: at closesAt", t.constData())
            << tolerance << kClosesAt << (tolerance ? A::Accept : A::Closed);
        QTest::addRow("%s: within tolerance", t.constData())
            << tolerance << kClosesAt + 499 << (tolerance ? A::Accept : A::Closed);
        QTest::addRow("%s: at tolerance end", t.constData()) << tolerance << kClosesAt + 500 << A::Closed;
        QTest::addRow("%s: long after", t.constData()) << tolerance << kClosesAt + 3'600'000 << A::Closed;
    }
}

void TestVotingWindow::admitWhileOpen()
{
    QFETCH(qint64, toleranceMs);
    QFETCH(qint64, receivedAtMs);
    QFETCH(VotingWindow::Admission, expected);

    VotingWindow window(kLength, toleranceMs);
    QVERIFY(window.open(kOpenAt));
    QCOMPARE(window.admit(receivedAtMs), expected);
}

void TestVotingWindow::admitInOtherStates_data()
{
    QTest::addColumn<WindowState>("state");
    QTest::addColumn<VotingWindow::Admission>("expected");

    QTest::newRow("draft") << WindowState::Draft << VotingWindow::Admission::NotOpen;
    QTest::newRow("ready") << WindowState::Ready << VotingWindow::Admission::NotOpen;
    QTest::newRow("closing") << WindowState::Closing << VotingWindow::Admission::Closed;
    QTest::newRow("closed") << WindowState::Closed << VotingWindow::Admission::Closed;
    QTest::newRow("final") << WindowState::Final << VotingWindow::Admission::Closed;
}

void TestVotingWindow::admitInOtherStates()
{
    QFETCH(WindowState, state);
    QFETCH(VotingWindow::Admission, expected);

    const VotingWindow window = windowIn(state, 5'000);
    for (const qint64 at : {qint64(0), kOpenAt, kOpenAt + 40'000, kClosesAt, kClosesAt + 1'000'000})
        QCOMPARE(window.admit(at), expected);
}

void TestVotingWindow::remainingMs_data()
{
    QTest::addColumn<WindowState>("state");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<qint64>("expected");

    QTest::newRow("draft: full length") << WindowState::Draft << kOpenAt << kLength;
    QTest::newRow("ready: full length") << WindowState::Ready << kOpenAt + 999'999 << kLength;
    QTest::newRow("open: at open") << WindowState::Open << kOpenAt << kLength;
    QTest::newRow("open: midway") << WindowState::Open << kOpenAt + 12'345 << kLength - 12'345;
    QTest::newRow("open: last ms") << WindowState::Open << kClosesAt - 1 << qint64(1);
    QTest::newRow("open: at close, not yet expired") << WindowState::Open << kClosesAt << qint64(0);
    QTest::newRow("open: past close, never negative") << WindowState::Open << kClosesAt + 5'000 << qint64(0);
    QTest::newRow("closing") << WindowState::Closing << kOpenAt + 31'000 << qint64(0);
    QTest::newRow("closed") << WindowState::Closed << kOpenAt + 31'000 << qint64(0);
    QTest::newRow("final") << WindowState::Final << kOpenAt + 31'000 << qint64(0);
}

void TestVotingWindow::remainingMs()
{
    QFETCH(WindowState, state);
    QFETCH(qint64, nowMs);
    QFETCH(qint64, expected);

    QCOMPARE(windowIn(state).remainingMs(nowMs), expected);
}

void TestVotingWindow::deadlines()
{
    VotingWindow window(kLength, 750);
    QCOMPARE(window.acceptUntilMs(), 0);
    QCOMPARE(window.nextDeadlineMs(), 0);
    QVERIFY(window.open(kOpenAt));
    QCOMPARE(window.acceptUntilMs(), kClosesAt + 750);
    QCOMPARE(window.nextDeadlineMs(), kClosesAt + 750);
    QVERIFY(window.extend(kOpenAt + 1, 1'000));
    QCOMPARE(window.nextDeadlineMs(), kClosesAt + 1'750);
    QVERIFY(window.expireIfDue(window.nextDeadlineMs()));
    QCOMPARE(window.acceptUntilMs(), 0);
    QCOMPARE(window.nextDeadlineMs(), 0);
}

void TestVotingWindow::resume_data()
{
    QTest::addColumn<WindowRecord>("record");
    QTest::addColumn<qint64>("toleranceMs");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<WindowRecord>("expected");

    const WindowRecord open = openRecord(kOpenAt, kClosesAt + 10'000); // extended before the crash
    WindowRecord expired = open;
    expired.state = WindowState::Closing;
    expired.closedAtMs = open.closesAtMs;

    QTest::newRow("open, close still ahead") << open << qint64(0) << kOpenAt + 5'000 << open;
    QTest::newRow("open, 1 ms left") << open << qint64(0) << open.closesAtMs - 1 << open;
    QTest::newRow("open, down across the close instant")
        << open << qint64(0) << open.closesAtMs + 90'000 << expired;
    QTest::newRow("open, back exactly at close") << open << qint64(0) << open.closesAtMs << expired;
    // Back within the late tolerance: votes received now would still have counted.
    QTest::newRow("open, back within tolerance") << open << qint64(2'000) << open.closesAtMs + 1'999 << open;
    QTest::newRow("open, back after tolerance")
        << open << qint64(2'000) << open.closesAtMs + 2'000 << expired;

    WindowRecord closing = open;
    closing.state = WindowState::Closing;
    closing.closedAtMs = kOpenAt + 20'000;
    QTest::newRow("closing stays closing") << closing << qint64(0) << kClosesAt + 99'000 << closing;
    WindowRecord closed = closing;
    closed.state = WindowState::Closed;
    QTest::newRow("closed stays closed") << closed << qint64(0) << kClosesAt + 99'000 << closed;
    WindowRecord finalized = closed;
    finalized.state = WindowState::Final;
    QTest::newRow("final stays final") << finalized << qint64(0) << kClosesAt + 99'000 << finalized;
    WindowRecord ready;
    ready.state = WindowState::Ready;
    ready.lengthMs = kLength;
    QTest::newRow("ready stays ready") << ready << qint64(0) << kClosesAt + 99'000 << ready;
}

void TestVotingWindow::resume()
{
    QFETCH(WindowRecord, record);
    QFETCH(qint64, toleranceMs);
    QFETCH(qint64, nowMs);
    QFETCH(WindowRecord, expected);

    const VotingWindow window = VotingWindow::resume(record, toleranceMs, nowMs);
    const WindowRecord &got = window.record();
    QCOMPARE(got.state, expected.state);
    QCOMPARE(got.lengthMs, expected.lengthMs);
    QCOMPARE(got.openedAtMs, expected.openedAtMs);
    QCOMPARE(got.closesAtMs, expected.closesAtMs);
    QCOMPARE(got.closedAtMs, expected.closedAtMs);
    QCOMPARE(window.lateToleranceMs(), toleranceMs);
    if (got.state == WindowState::Open) {
        // Still counting down towards the same instant, and admitting as before.
        QCOMPARE(window.remainingMs(nowMs), qMax<qint64>(0, record.closesAtMs - nowMs));
        QCOMPARE(window.admit(nowMs), VotingWindow::Admission::Accept);
    }
}

QTEST_APPLESS_MAIN(TestVotingWindow)
#include "tst_votingwindow.moc"
