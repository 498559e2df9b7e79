#pragma once

#include <QList>
#include <QWidget>

#include "session/votingwindow.h"

class ConsoleBackend;
class QAction;
class QToolButton;

// Open lines / Extend (+30 s, +1 min, custom) / Close lines. Each is a QAction with a one-key
// shortcut (F5-F8, F12: broadcast-style, on every keyboard layout the same keys), shown as a
// big button here and as a menu entry by the main window, so both share one enabled state and
// one confirmation. Shortcuts and tooltips name each other.
class WindowControls final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WindowControls)

public:
    static constexpr int ExtendSeconds = 30;
    static constexpr int ExtendLongSeconds = 60;
    static constexpr int CustomExtendMaxSeconds = 3600;
    // The Close button of the confirmation stays disabled this long after the box appears:
    // the second click of a double-click on "Close lines…", or a slip on a button that just
    // appeared under the pointer, lands on nothing.
    static constexpr int ConfirmArmDelayMs = 400;

    explicit WindowControls(ConsoleBackend &backend, QWidget *parent = nullptr);

    // Enables exactly the actions the state allows: Open in Ready; Extend and Close in Open.
    void setState(WindowState state);

    QAction *openAction() const { return m_openAction; }
    QAction *extendAction() const { return m_extendAction; }
    QAction *extendLongAction() const { return m_extendLongAction; }
    QAction *extendCustomAction() const { return m_extendCustomAction; }
    QAction *closeAction() const { return m_closeAction; }
    // All of them, in menu order (nullptr marks where a separator goes).
    QList<QAction *> windowActions() const;

private:
    void openLines();
    void extendLines(int seconds);
    void extendLinesCustom();
    void closeLines();
    bool confirmClose();
    void reportFailure(const QString &title, const QString &error);

    ConsoleBackend &m_backend;
    QAction *m_openAction = nullptr;
    QAction *m_extendAction = nullptr;
    QAction *m_extendLongAction = nullptr;
    QAction *m_extendCustomAction = nullptr;
    QAction *m_closeAction = nullptr;
    int m_lastCustomSeconds = 120;
};
