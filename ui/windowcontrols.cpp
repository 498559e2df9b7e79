#include "windowcontrols.h"

#include <QAction>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QPushButton>
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
    button->setMinimumHeight(56);
    QFont font = button->font();
    font.setPointSize(14);
    font.setBold(true);
    button->setFont(font);
    return button;
}
} // namespace

WindowControls::WindowControls(ConsoleBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    m_openAction = new QAction(tr("Open lines"), this);
    m_openAction->setObjectName(u"openLinesAction"_s);
    m_openAction->setToolTip(tr("Open the lines: start the countdown and accept votes"));

    m_extendAction = new QAction(tr("Extend +%1 s").arg(ExtendSeconds), this);
    m_extendAction->setObjectName(u"extendLinesAction"_s);
    m_extendAction->setToolTip(tr("Move the close time %1 seconds later").arg(ExtendSeconds));

    m_closeAction = new QAction(tr("Close lines…"), this);
    m_closeAction->setObjectName(u"closeLinesAction"_s);
    m_closeAction->setToolTip(tr("Close the lines now (asks for confirmation)"));

    connect(m_openAction, &QAction::triggered, this, &WindowControls::openLines);
    connect(m_extendAction, &QAction::triggered, this, &WindowControls::extendLines);
    connect(m_closeAction, &QAction::triggered, this, &WindowControls::closeLines);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(makeButton(m_openAction, u"openLinesButton"_s, this));
    layout->addWidget(makeButton(m_extendAction, u"extendLinesButton"_s, this));
    layout->addWidget(makeButton(m_closeAction, u"closeLinesButton"_s, this));

    setState(WindowState::Draft);
}

void WindowControls::setState(WindowState state)
{
    m_openAction->setEnabled(state == WindowState::Ready);
    m_extendAction->setEnabled(state == WindowState::Open);
    m_closeAction->setEnabled(state == WindowState::Open);
}

void WindowControls::openLines()
{
    QString error;
    if (!m_backend.openLines(&error))
        reportFailure(tr("Open lines"), error);
}

void WindowControls::extendLines()
{
    QString error;
    if (!m_backend.extendLines(ExtendSeconds, &error))
        reportFailure(tr("Extend"), error);
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
    // an accidental double-click all leave the lines open. Closing takes a deliberate click.
    box.setDefaultButton(cancelButton);
    box.setEscapeButton(cancelButton);
    box.exec();
    return box.clickedButton() == closeButton;
}

void WindowControls::reportFailure(const QString &title, const QString &error)
{
    QMessageBox::warning(this, title, error.isEmpty() ? tr("The request was refused.") : error);
}
