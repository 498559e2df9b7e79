#pragma once

#include <QList>
#include <QObject>
#include <QPointer>

class QAction;
class QWidget;

// Keeps the console's one-key shortcuts (F5…F12) away from text fields: while a line edit,
// spin box or text edit of `window` has the keyboard focus, a key that is one of the guarded
// shortcuts goes to the field as a plain key press instead of opening, extending or closing
// the lines. The operator typing a URL, a label or a number never touches the window.
//
// Works through Qt's own mechanism for it (a widget that accepts QEvent::ShortcutOverride
// gets the key), as an application-wide event filter, so fields added later (dialogs docked
// into the window, editors) are covered without being registered.
class ShortcutGuard final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ShortcutGuard)

public:
    ShortcutGuard(QWidget *window, QList<QAction *> guarded, QObject *parent = nullptr);
    ~ShortcutGuard() override;

    static bool isTextField(const QObject *object);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QPointer<QWidget> m_window;
    QList<QPointer<QAction>> m_guarded;
};
