#pragma once

#include <QWidget>

#include "session/votingwindow.h"

class ConsoleBackend;
class QAction;
class QToolButton;

// Open lines / Extend / Close lines. Each is a QAction (shown as a big button here) so that
// menus, toolbars and keyboard shortcuts can reuse the same enabled state and confirmation.
class WindowControls final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WindowControls)

public:
    static constexpr int ExtendSeconds = 30;

    explicit WindowControls(ConsoleBackend &backend, QWidget *parent = nullptr);

    // Enables exactly the actions the state allows: Open in Ready; Extend and Close in Open.
    void setState(WindowState state);

    QAction *openAction() const { return m_openAction; }
    QAction *extendAction() const { return m_extendAction; }
    QAction *closeAction() const { return m_closeAction; }

private:
    void openLines();
    void extendLines();
    void closeLines();
    bool confirmClose();
    void reportFailure(const QString &title, const QString &error);

    ConsoleBackend &m_backend;
    QAction *m_openAction = nullptr;
    QAction *m_extendAction = nullptr;
    QAction *m_closeAction = nullptr;
};
