#pragma once

#include <QObject>

class ConsoleBackend;
class QAction;
class QMainWindow;
class RehearsalBar;

// Puts the session features on a console window without the window knowing them: a
// "Sessions" menu (list, new, duplicate the current one) and the rehearsal strip. The main
// window stays a composition of widgets; this is one more, installed from outside.
class SessionsMenu final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsMenu)

public:
    SessionsMenu(ConsoleBackend &backend, QMainWindow &window);

    QAction *listAction() const { return m_list; }
    QAction *newAction() const { return m_new; }
    QAction *duplicateAction() const { return m_duplicate; }
    RehearsalBar *rehearsalBar() const { return m_rehearsalBar; }

    void showSessionList();
    void newSession();
    void duplicateCurrent();

private:
    void markTitle();

    ConsoleBackend &m_backend;
    QMainWindow &m_window;
    QAction *m_list = nullptr;
    QAction *m_new = nullptr;
    QAction *m_duplicate = nullptr;
    RehearsalBar *m_rehearsalBar = nullptr;
};
