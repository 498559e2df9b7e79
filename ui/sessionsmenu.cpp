#include "sessionsmenu.h"

#include <QAction>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>

#include "engine/consolebackend.h"
#include "rehearsalbar.h"
#include "sessioneditordialog.h"
#include "sessionlistdialog.h"

using namespace Qt::Literals::StringLiterals;

SessionsMenu::SessionsMenu(ConsoleBackend &backend, QMainWindow &window)
    : QObject(&window)
    , m_backend(backend)
    , m_window(window)
{
    QMenu *menu = window.menuBar()->addMenu(tr("&Sessions"));
    menu->setObjectName(u"sessionsMenu"_s);
    m_list = menu->addAction(tr("&Sessions…"), this, &SessionsMenu::showSessionList);
    m_list->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_list->setToolTip(tr("Every vote of the show: create, duplicate, open, delete drafts (Ctrl+L)"));
    m_new = menu->addAction(tr("&New session…"), this, &SessionsMenu::newSession);
    m_new->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
    m_duplicate = menu->addAction(tr("&Duplicate current session…"), this, &SessionsMenu::duplicateCurrent);
    m_duplicate->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));

    m_rehearsalBar = new RehearsalBar(backend, &window);
    window.addToolBar(Qt::TopToolBarArea, m_rehearsalBar);
    m_rehearsalBar->setVisible(backend.session().rehearsal);
    // The title too (task bar, window switcher): connected after the window's own handler,
    // so this runs once the window has set its title for the new session.
    connect(&backend, &ConsoleBackend::sessionChanged, this, &SessionsMenu::markTitle);
    markTitle();
}

void SessionsMenu::markTitle()
{
    const QString mark = tr(" \u2014 REHEARSAL");
    QString title = m_window.windowTitle();
    if (title.endsWith(mark))
        title.chop(mark.size());
    m_window.setWindowTitle(m_backend.session().rehearsal ? title + mark : title);
}

void SessionsMenu::showSessionList()
{
    SessionListDialog dialog(m_backend, &m_window);
    dialog.exec();
}

void SessionsMenu::newSession()
{
    SessionEditorDialog editor(SessionEditorDialog::blank(), SessionEditorDialog::Purpose::Create, &m_window);
    if (editor.exec() != QDialog::Accepted)
        return;
    QString error;
    if (!m_backend.createSession(editor.definition(), &error))
        QMessageBox::warning(&m_window, tr("Cannot create the session"), error);
}

void SessionsMenu::duplicateCurrent()
{
    SessionEditorDialog editor(SessionEditorDialog::duplicateOf(m_backend.session()),
                               SessionEditorDialog::Purpose::Duplicate, &m_window);
    if (editor.exec() != QDialog::Accepted)
        return;
    QString error;
    if (!m_backend.createSession(editor.definition(), &error))
        QMessageBox::warning(&m_window, tr("Cannot create the session"), error);
}
