#pragma once

#include <QDialog>
#include <QList>

#include "store/votestore.h"

class ConsoleBackend;
class QLabel;
class QPushButton;
class QTableWidget;
struct SessionView;

// The show's votes: every stored session with its state. New and Duplicate open the editor
// and make the result current; Open makes a draft current, or shows a past session
// read-only (its results and audit log; its lines are never reopened); Delete removes a draft
// (never opened, no votes, not current). Everything goes through ConsoleBackend and comes
// back as signals: the dialog never waits for the store.
class SessionListDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionListDialog)

public:
    explicit SessionListDialog(ConsoleBackend &backend, QWidget *parent = nullptr);

    // The rows as listed last (for tests and the selection).
    const QList<SessionSummary> &sessions() const { return m_sessions; }
    // Selects the row of a session; false when it is not listed.
    bool selectSession(qint64 sessionId);

    void refresh();
    void createSession();
    void duplicateSession();
    void openSelected();
    void deleteSelected();

Q_SIGNALS:
    // A read-only view was opened (the dialog shows it; tests look at it).
    void viewOpened(QDialog *viewer);

private:
    void showSessions(const QList<SessionSummary> &sessions);
    void showView(const SessionView &view);
    void showProblem(const QString &message);
    void updateButtons();
    // Runs the editor on `initial` and creates what it returns.
    void editAndCreate(const SessionDefinition &initial, bool duplicate);
    const SessionSummary *selected() const;

    ConsoleBackend &m_backend;
    QList<SessionSummary> m_sessions;
    qint64 m_pendingOpen = 0; // a draft asked to become current: close once it is
    QTableWidget *m_table = nullptr;
    QPushButton *m_new = nullptr;
    QPushButton *m_duplicate = nullptr;
    QPushButton *m_open = nullptr;
    QPushButton *m_delete = nullptr;
    QLabel *m_problem = nullptr;
};
