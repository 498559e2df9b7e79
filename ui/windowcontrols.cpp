#include "windowcontrols.h"

#include <QAction>
#include <QGridLayout>
#include <QInputDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QToolButton>

#include "engine/consolebackend.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QToolButton *makeButton(QAction *action, const QString &objectName, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setObjectName(objectName);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    button->setMinimumHeight(52);
    // Buttons are for the mouse; the keyboard has the shortcuts. A button with focus would
    // also turn Space into "press it again".
    button->setFocusPolicy(Qt::NoFocus);
    QFont font = button->font();
    font.setPointSize(14);
    font.setBold(true);
    button->setFont(font);
    return button;
}

// Text for the menu, shorter text for the button, the key in the tooltip and the menu.
QAction *makeAction(const QString &text, const QString &buttonText, const QString &tip, Qt::Key key,
                    const QString &objectName, QObject *parent)
{
    auto *action = new QAction(text, parent);
    action->setObjectName(objectName);
    action->setIconText(buttonText);
    action->setShortcut(QKeySequence(key));
    action->setToolTip(tip % u" ("_s % action->shortcut().toString(QKeySequence::NativeText) % u')');
    return action;
}
} // namespace

WindowControls::WindowControls(ConsoleBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    m_openAction = makeAction(tr("Open lines"), tr("Open lines"),
                              tr("Open the lines: start the countdown and accept votes"), Qt::Key_F5,
                              u"openLinesAction"_s, this);
    m_extendAction = makeAction(tr("Extend +%1 s").arg(ExtendSeconds), tr("+%1 s").arg(ExtendSeconds),
                                tr("Move the close time %1 seconds later").arg(ExtendSeconds), Qt::Key_F6,
                                u"extendLinesAction"_s, this);
    m_extendLongAction =
        makeAction(tr("Extend +1 min"), tr("+1 min"), tr("Move the close time one minute later"), Qt::Key_F7,
                   u"extendLinesLongAction"_s, this);
    m_extendCustomAction = makeAction(tr("Extend by…"), tr("Extend…"),
                                      tr("Move the close time later by a number of seconds you type"),
                                      Qt::Key_F8, u"extendLinesCustomAction"_s, this);
    // F12, apart from the others: no slip from an extend key reaches it, and it still asks.
    m_closeAction = makeAction(tr("Close lines now…"), tr("Close lines…"),
                               tr("Close the lines now (asks for confirmation)"), Qt::Key_F12,
                               u"closeLinesAction"_s, this);

    connect(m_openAction, &QAction::triggered, this, &WindowControls::openLines);
    connect(m_extendAction, &QAction::triggered, this, [this] { extendLines(ExtendSeconds); });
    connect(m_extendLongAction, &QAction::triggered, this, [this] { extendLines(ExtendLongSeconds); });
    connect(m_extendCustomAction, &QAction::triggered, this, &WindowControls::extendLinesCustom);
    connect(m_closeAction, &QAction::triggered, this, &WindowControls::closeLines);

    // Open and Close, the two decisions, on the first row; the extends under them.
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(makeButton(m_openAction, u"openLinesButton"_s, this), 0, 0, 1, 3);
    layout->addWidget(makeButton(m_closeAction, u"closeLinesButton"_s, this), 0, 3, 1, 3);
    layout->addWidget(makeButton(m_extendAction, u"extendLinesButton"_s, this), 1, 0, 1, 2);
    layout->addWidget(makeButton(m_extendLongAction, u"extendLinesLongButton"_s, this), 1, 2, 1, 2);
    layout->addWidget(makeButton(m_extendCustomAction, u"extendLinesCustomButton"_s, this), 1, 4, 1, 2);

    setState(WindowState::Draft);
}

QList<QAction *> WindowControls::windowActions() const
{
    return {m_openAction,         nullptr, m_extendAction, m_extendLongAction,
            m_extendCustomAction, nullptr, m_closeAction};
}

void WindowControls::setState(WindowState state)
{
    const bool open = (state == WindowState::Open);
    m_openAction->setEnabled(state == WindowState::Ready);
    m_extendAction->setEnabled(open);
    m_extendLongAction->setEnabled(open);
    m_extendCustomAction->setEnabled(open);
    m_closeAction->setEnabled(open);
}

void WindowControls::openLines()
{
    QString error;
    if (!m_backend.openLines(&error))
        reportFailure(tr("Open lines"), error);
}

void WindowControls::extendLines(int seconds)
{
    QString error;
    if (!m_backend.extendLines(seconds, &error))
        reportFailure(tr("Extend"), error);
}

void WindowControls::extendLinesCustom()
{
    QInputDialog dialog(this);
    dialog.setObjectName(u"extendDialog"_s);
    dialog.setWindowTitle(tr("Extend the lines"));
    dialog.setLabelText(tr("Seconds to add to the voting window:"));
    dialog.setInputMode(QInputDialog::IntInput);
    dialog.setIntRange(1, CustomExtendMaxSeconds);
    dialog.setIntStep(5);
    dialog.setIntValue(m_lastCustomSeconds);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_lastCustomSeconds = dialog.intValue();
    // The window may have closed while the dialog was open: the backend refuses and says so.
    extendLines(m_lastCustomSeconds);
}

void WindowControls::closeLines()
{
    if (!confirmClose())
        return;
    QString error;
    if (!m_backend.closeLines(&error))
        reportFailure(tr("Close lines"), error);
}

bool WindowControls::confirmClose()
{
    QMessageBox box(QMessageBox::Warning, tr("Close lines"), tr("Close the lines now?"),
                    QMessageBox::NoButton, this);
    box.setObjectName(u"confirmCloseBox"_s);
    box.setInformativeText(tr("Votes arriving from now on are rejected as late. This cannot be undone."));
    QPushButton *closeButton = box.addButton(tr("Close lines"), QMessageBox::DestructiveRole);
    closeButton->setObjectName(u"confirmCloseButton"_s);
    QPushButton *cancelButton = box.addButton(QMessageBox::Cancel);
    // Cancel is both the default and the escape button: Enter, Escape or the second click of
    // an accidental double-click all leave the lines open. Closing takes a deliberate click
    // (or Tab to it and Space), and not in the first ConfirmArmDelayMs.
    box.setDefaultButton(cancelButton);
    box.setEscapeButton(cancelButton);
    closeButton->setAutoDefault(false);
    closeButton->setEnabled(false);
    // The box owns the button: the timer dies with it if the box goes first.
    QTimer::singleShot(ConfirmArmDelayMs, closeButton, [closeButton] { closeButton->setEnabled(true); });
    box.exec();
    return box.clickedButton() == closeButton;
}

void WindowControls::reportFailure(const QString &title, const QString &error)
{
    QMessageBox::warning(this, title, error.isEmpty() ? tr("The request was refused.") : error);
}
