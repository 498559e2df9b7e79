// The session list, the read-only viewer and the rehearsal strip offscreen, against a fake
// backend: what each selection allows, a draft made current, a past session shown read-only
// with its window controls disabled, a draft deleted after confirmation, refusals shown,
// the rehearsal strip following the session. Saves a screenshot of each under the build
// folder (screenshots/) to look at.
#include <QApplication>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

#include "fakesessionbackend.h"
#include "ui/rehearsalbar.h"
#include "ui/sessioneditordialog.h"
#include "ui/sessionlistdialog.h"
#include "ui/sessionsmenu.h"
#include "ui/sessionviewerdialog.h"
#include "ui/theme.h"

using namespace Qt::Literals::StringLiterals;

namespace {
SessionDefinition definition(qint64 id, const QString &title, bool rehearsal = false)
{
    SessionDefinition def;
    def.id = id;
    def.title = title;
    def.question = u"Who goes through?"_s;
    def.options = {{u"A"_s, u"Anna"_s, u"#e6194b"_s},
                   {u"B"_s, u"Ben"_s, u"#3cb44b"_s},
                   {u"C"_s, u"Chloé"_s, u"#4363d8"_s}};
    def.rehearsal = rehearsal;
    return def;
}

void saveScreenshot(QWidget &widget, const QString &name)
{
    QDir().mkpath(QStringLiteral(SCREENSHOT_DIR));
    QVERIFY(widget.grab().save(QStringLiteral(SCREENSHOT_DIR) + u'/' + name));
}

// Clicks a button of the next modal dialog of type T once it is up.
template<typename T>
void answerNextDialog(const std::function<void(T *)> &answer)
{
    QTimer::singleShot(0, qApp, [answer] {
        QTRY_VERIFY(qobject_cast<T *>(QApplication::activeModalWidget()));
        answer(qobject_cast<T *>(QApplication::activeModalWidget()));
    });
}
} // namespace

class TestSessionListDialog final : public QObject
{
    Q_OBJECT

private:
    // A past vote with votes (closed), a draft never opened, and the current one.
    static void fill(FakeSessionBackend &backend)
    {
        WindowRecord closed;
        closed.state = WindowState::Closed;
        closed.openedAtMs = 1'700'000'000'000;
        closed.closedAtMs = 1'700'000'120'000;
        backend.sessions = {
            SessionSummary{SessionRecord{definition(1, u"Round one"_s), closed, 1'699'999'000'000}, true,
                           false},
            SessionSummary{
                SessionRecord{definition(2, u"Round two (prepared)"_s), WindowRecord{}, 1'699'999'500'000},
                false, false},
            SessionSummary{
                SessionRecord{definition(3, u"Dress run"_s, true), WindowRecord{}, 1'700'000'200'000}, false,
                true}};
        backend.pastTally.sessionId = 1;
        backend.pastTally.raw = {60, 30, 12};
        backend.pastTally.exact = {50, 30, 10};
        backend.pastTally.accepted = 102;
        backend.pastTally.uniqueVoters = 90;
        backend.pastAudit = {
            AuditEntry{1'700'000'000'000, u"lines_opened"_s, u"closes at 20:02"_s, u"console"_s},
            AuditEntry{1'700'000'120'000, u"lines_closed"_s, u"closed on time"_s, u"system"_s}};
    }

    static bool listed(SessionListDialog &dialog, int rows)
    {
        auto *table = dialog.findChild<QTableWidget *>(u"sessions"_s);
        return QTest::qWaitFor([table, rows] { return table->rowCount() == rows; }, 5000);
    }

    static QPushButton *button(QWidget &dialog, const QString &name)
    {
        return dialog.findChild<QPushButton *>(name);
    }

private Q_SLOTS:
    void initTestCase() { applyConsoleTheme(*qApp); }

    void eachSelectionAllowsWhatItMay()
    {
        FakeSessionBackend backend;
        fill(backend);
        SessionListDialog dialog(backend);
        dialog.show();
        QVERIFY(listed(dialog, 3));
        auto *table = dialog.findChild<QTableWidget *>(u"sessions"_s);
        // Newest first; the current one is selected and cannot be opened or deleted.
        QCOMPARE(table->item(0, 1)->text(), u"Dress run"_s);
        QVERIFY(table->item(0, 2)->text().contains(u"on the console"_s));
        QCOMPARE(table->item(0, 5)->text(), u"REHEARSAL"_s);
        QCOMPARE(table->item(1, 2)->text(), u"draft"_s);
        QCOMPARE(table->item(2, 2)->text(), u"closed"_s);
        QCOMPARE(table->item(2, 4)->text(), u"yes"_s);
        QCOMPARE(table->currentRow(), 0);
        QVERIFY(!button(dialog, u"openSession"_s)->isEnabled());
        QVERIFY(!button(dialog, u"deleteSession"_s)->isEnabled());
        QVERIFY(button(dialog, u"duplicateSession"_s)->isEnabled());
        saveScreenshot(dialog, u"session-list.png"_s);

        QVERIFY(dialog.selectSession(2));
        QCOMPARE(button(dialog, u"openSession"_s)->text(), u"Make current"_s);
        QVERIFY(button(dialog, u"deleteSession"_s)->isEnabled());
        QVERIFY(dialog.selectSession(1));
        QCOMPARE(button(dialog, u"openSession"_s)->text(), u"View (read-only)"_s);
        QVERIFY(button(dialog, u"openSession"_s)->isEnabled());
        QVERIFY(!button(dialog, u"deleteSession"_s)->isEnabled());
    }

    void aDraftBecomesCurrentAndTheListCloses()
    {
        FakeSessionBackend backend;
        fill(backend);
        SessionListDialog dialog(backend);
        dialog.show();
        QVERIFY(listed(dialog, 3));
        QVERIFY(dialog.selectSession(2));
        button(dialog, u"openSession"_s)->click();
        QTRY_VERIFY(!dialog.isVisible());
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(backend.session().id, 2);
    }

    void aPastSessionIsShownReadOnly()
    {
        FakeSessionBackend backend;
        fill(backend);
        SessionListDialog dialog(backend);
        dialog.show();
        QVERIFY(listed(dialog, 3));
        QSignalSpy opened(&dialog, &SessionListDialog::viewOpened);
        QVERIFY(dialog.selectSession(1));
        button(dialog, u"openSession"_s)->click();
        QVERIFY(opened.wait(5000));
        auto *viewer = qobject_cast<SessionViewerDialog *>(opened.first().first().value<QDialog *>());
        QVERIFY(viewer);
        QCOMPARE(backend.session().id, 3); // nothing was switched
        QVERIFY(viewer->findChild<QLabel *>(u"readOnlyBanner"_s)->text().contains(u"READ-ONLY"_s));
        const QList<QPushButton *> controls = viewer->findChildren<QPushButton *>(u"windowControl"_s);
        QCOMPARE(controls.size(), 4);
        for (QPushButton *control : controls)
            QVERIFY(!control->isEnabled());
        auto *results = viewer->findChild<QTableWidget *>(u"results"_s);
        QCOMPARE(results->rowCount(), 3);
        QVERIFY(results->item(0, 1)->text().startsWith(u"Anna"_s)); // the leader first
        QCOMPARE(results->item(0, 2)->text(), u"50"_s);
        QCOMPARE(results->item(0, 4)->text(), u"60"_s); // raw next to exact
        QCOMPARE(viewer->findChild<QTableWidget *>(u"audit"_s)->rowCount(), 2);
        QVERIFY(QTest::qWaitForWindowExposed(viewer));
        saveScreenshot(*viewer, u"session-viewer.png"_s);
        viewer->close();
    }

    void aDraftIsDeletedAfterConfirmation()
    {
        FakeSessionBackend backend;
        fill(backend);
        SessionListDialog dialog(backend);
        dialog.show();
        QVERIFY(listed(dialog, 3));
        QVERIFY(dialog.selectSession(2));
        answerNextDialog<QMessageBox>([](QMessageBox *box) { box->button(QMessageBox::Cancel)->click(); });
        button(dialog, u"deleteSession"_s)->click();
        QCOMPARE(backend.sessions.size(), 3);
        QSignalSpy deleted(&backend, &ConsoleBackend::sessionDeleted);
        answerNextDialog<QMessageBox>([](QMessageBox *box) { box->button(QMessageBox::Yes)->click(); });
        button(dialog, u"deleteSession"_s)->click();
        QVERIFY(deleted.wait(5000));
        QVERIFY(listed(dialog, 2));
        QVERIFY(!backend.find(2));
    }

    void newAndDuplicateGoThroughTheEditorAndRefusalsAreShown()
    {
        FakeSessionBackend backend;
        fill(backend);
        SessionListDialog dialog(backend);
        dialog.show();
        QVERIFY(listed(dialog, 3));
        answerNextDialog<SessionEditorDialog>([](SessionEditorDialog *editor) {
            editor->findChild<QLineEdit *>(u"title"_s)->setText(u"Final"_s);
            saveScreenshot(*editor, u"session-editor.png"_s);
            editor->accept();
        });
        button(dialog, u"newSession"_s)->click();
        QCOMPARE(backend.session().title, u"Final"_s);
        QVERIFY(listed(dialog, 4));

        QVERIFY(dialog.selectSession(1));
        backend.refusal =
            u"the lines of \"Final\" are open; close them before switching to another session"_s;
        answerNextDialog<SessionEditorDialog>([](SessionEditorDialog *editor) {
            QCOMPARE(editor->definition().title, u"Round one (copy)"_s);
            editor->accept();
        });
        button(dialog, u"duplicateSession"_s)->click();
        auto *problem = dialog.findChild<QLabel *>(u"problem"_s);
        QVERIFY(problem->isVisible());
        QVERIFY(problem->text().contains(u"close them"_s));
    }

    void theRehearsalStripFollowsTheSession()
    {
        FakeSessionBackend backend;
        fill(backend); // the current session is a rehearsal
        QMainWindow window;
        window.setWindowTitle(u"votedesk \u2014 Dress run"_s);
        window.setCentralWidget(new QLabel(u"console"_s));
        auto *menu = new SessionsMenu(backend, window);
        window.resize(1200, 300);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        RehearsalBar *bar = menu->rehearsalBar();
        QVERIFY(bar->isVisible());
        QCOMPARE(window.windowTitle(), u"votedesk \u2014 Dress run \u2014 REHEARSAL"_s);
        QVERIFY(bar->findChild<QLabel *>(u"rehearsalBanner"_s)->text().contains(u"REHEARSAL"_s));
        bar->findChild<QSpinBox *>(u"rehearsalRate"_s)->setValue(800);
        auto *startStop = bar->findChild<QPushButton *>(u"rehearsalStartStop"_s);
        startStop->click();
        QVERIFY(backend.rehearsal.running);
        QCOMPARE(backend.rehearsal.plan.ratePerSecond, 800);
        QVERIFY(startStop->text().contains(u"Stop"_s));
        QVERIFY(!bar->findChild<QSpinBox *>(u"rehearsalRate"_s)->isEnabled());
        saveScreenshot(window, u"rehearsal-strip.png"_s);
        startStop->click();
        QVERIFY(!backend.rehearsal.running);

        // Started from automation: the strip shows that run's plan.
        QString error;
        QVERIFY(backend.startRehearsal(RehearsalPlan{RehearsalShape::Spike, 1200, 90}, &error));
        QCOMPARE(bar->findChild<QSpinBox *>(u"rehearsalRate"_s)->value(), 1200);
        QCOMPARE(bar->findChild<QSpinBox *>(u"rehearsalDuration"_s)->value(), 90);
        QVERIFY(bar->findChild<QLabel *>(u"rehearsalStatus"_s)->text().contains(u"spike"_s));
        backend.stopRehearsal();

        // A live session: no strip.
        QVERIFY(backend.createSession(definition(0, u"Live final"_s), &error));
        QTRY_VERIFY(!bar->isVisible());
        QCOMPARE(window.windowTitle(), u"votedesk \u2014 Dress run"_s);
    }
};

QTEST_MAIN(TestSessionListDialog)
#include "tst_sessionlistdialog.moc"
