#include "shortcutguard.h"

#include <QAbstractSpinBox>
#include <QAction>
#include <QCoreApplication>
#include <QKeyEvent>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTextEdit>

ShortcutGuard::ShortcutGuard(QWidget *window, QList<QAction *> guarded, QObject *parent)
    : QObject(parent)
    , m_window(window)
{
    for (QAction *action : guarded) {
        if (action)
            m_guarded.append(action);
    }
    QCoreApplication::instance()->installEventFilter(this);
}

ShortcutGuard::~ShortcutGuard()
{
    if (QCoreApplication *app = QCoreApplication::instance())
        app->removeEventFilter(this);
}

bool ShortcutGuard::isTextField(const QObject *object)
{
    return qobject_cast<const QLineEdit *>(object) || qobject_cast<const QAbstractSpinBox *>(object) ||
           qobject_cast<const QTextEdit *>(object) || qobject_cast<const QPlainTextEdit *>(object);
}

bool ShortcutGuard::eventFilter(QObject *watched, QEvent *event)
{
    // The cheap test first: this filter sees every event of the application.
    if (event->type() != QEvent::ShortcutOverride || !m_window)
        return false;
    auto *widget = qobject_cast<QWidget *>(watched);
    if (!widget || widget->window() != m_window.data() || !isTextField(widget))
        return false;
    auto *key = static_cast<QKeyEvent *>(event);
    const QKeySequence pressed(key->keyCombination());
    for (const QPointer<QAction> &action : std::as_const(m_guarded)) {
        if (action && !action->shortcut().isEmpty() &&
            action->shortcut().matches(pressed) == QKeySequence::ExactMatch) {
            // "The field wants this key": Qt then delivers it as a key press, not a shortcut.
            key->accept();
            return true;
        }
    }
    return false;
}
