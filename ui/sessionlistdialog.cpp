#include "sessionlistdialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "engine/consolebackend.h"
#include "sessioneditordialog.h"
#include "sessionviewerdialog.h"

using namespace Qt::Literals::StringLiterals;

namespace {
enum Column
{
    IdColumn = 0,
    TitleColumn,
    StateColumn,
    CreatedColumn,
    VotesColumn,
    KindColumn,
    ColumnCount
};

QString localTime(qint64 epochMs)
{
    if (epochMs <= 0)
        return QStringLiteral("–");
    return QDateTime::fromMSecsSinceEpoch(epochMs).toString(u"yyyy-MM-dd HH:mm"_s);
}

QString stateText(const SessionSummary &summary)
{
    if (summary.current)
        return SessionListDialog::tr("%1 · on the console").arg(windowStateName(summary.record.window.state));
    if (summary.isDraft())
        return SessionListDialog::tr("draft");
    return windowStateName(summary.record.window.state);
}
} // namespace

SessionListDialog::SessionListDialog(ConsoleBackend &backend, QWidget *parent)
    : QDialog(parent)
    , m_backend(backend)
{
    setWindowTitle(tr("Sessions"));
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(u"sessions"_s);
    m_table->setHorizontalHeaderLabels(
        {tr("#"), tr("Title"), tr("State"), tr("Created"), tr("Votes"), tr("Kind")});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(TitleColumn, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);

    m_new = new QPushButton(tr("New…"), this);
    m_new->setObjectName(u"newSession"_s);
    m_new->setToolTip(tr("Set up a new vote and make it current (Ctrl+Shift+N)"));
    m_duplicate = new QPushButton(tr("Duplicate…"), this);
    m_duplicate->setObjectName(u"duplicateSession"_s);
    m_duplicate->setToolTip(tr("A new vote with the selected one's options and settings"));
    m_open = new QPushButton(tr("Open"), this);
    m_open->setObjectName(u"openSession"_s);
    m_open->setDefault(true);
    m_delete = new QPushButton(tr("Delete draft"), this);
    m_delete->setObjectName(u"deleteSession"_s);
    m_delete->setToolTip(tr("Only a draft (never opened, no votes, not current) can be deleted"));
    auto *buttons = new QHBoxLayout;
    for (QPushButton *button : {m_new, m_duplicate, m_open, m_delete})
        buttons->addWidget(button);
    buttons->addStretch(1);
    auto *close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addWidget(close);

    m_problem = new QLabel(this);
    m_problem->setObjectName(u"problem"_s);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(u"color: #ff6b6b; font-weight: bold;"_s);
    m_problem->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_problem);
    layout->addLayout(buttons);

    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_new, &QPushButton::clicked, this, &SessionListDialog::createSession);
    connect(m_duplicate, &QPushButton::clicked, this, &SessionListDialog::duplicateSession);
    connect(m_open, &QPushButton::clicked, this, &SessionListDialog::openSelected);
    connect(m_delete, &QPushButton::clicked, this, &SessionListDialog::deleteSelected);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &SessionListDialog::updateButtons);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, &SessionListDialog::openSelected);

    connect(&backend, &ConsoleBackend::sessionsListed, this, &SessionListDialog::showSessions);
    connect(&backend, &ConsoleBackend::sessionViewReady, this, &SessionListDialog::showView);
    connect(&backend, &ConsoleBackend::sessionActionFailed, this, [this](const QString &message) {
        m_pendingOpen = 0; // whatever was asked did not happen
        showProblem(message);
    });
    connect(&backend, &ConsoleBackend::sessionDeleted, this, &SessionListDialog::refresh);
    connect(&backend, &ConsoleBackend::sessionChanged, this, [this] {
        if (m_pendingOpen != 0 && m_backend.session().id == m_pendingOpen) {
            m_pendingOpen = 0;
            accept(); // the draft is on the console now: that is where the operator goes
            return;
        }
        refresh();
    });

    resize(900, 480);
    updateButtons();
    refresh();
}

void SessionListDialog::refresh()
{
    m_backend.requestSessions();
}

bool SessionListDialog::selectSession(qint64 sessionId)
{
    for (int row = 0; row < m_sessions.size(); ++row) {
        if (m_sessions[row].record.definition.id == sessionId) {
            m_table->selectRow(row);
            return true;
        }
    }
    return false;
}

const SessionSummary *SessionListDialog::selected() const
{
    const int row = m_table->currentRow();
    if (row < 0 || row >= m_sessions.size() || m_table->selectedItems().isEmpty())
        return nullptr;
    return &m_sessions[row];
}

void SessionListDialog::showSessions(const QList<SessionSummary> &sessions)
{
    const qint64 keep = selected() ? selected()->record.definition.id : m_backend.session().id;
    // Newest first: the vote being prepared or just run is at the top.
    m_sessions.clear();
    for (auto it = sessions.crbegin(); it != sessions.crend(); ++it)
        m_sessions.append(*it);
    m_table->setRowCount(int(m_sessions.size()));
    for (int row = 0; row < m_sessions.size(); ++row) {
        const SessionSummary &summary = m_sessions[row];
        const SessionDefinition &def = summary.record.definition;
        const QString cells[ColumnCount] = {QString::number(def.id),
                                            def.title,
                                            stateText(summary),
                                            localTime(summary.record.createdAtMs),
                                            summary.hasVotes ? tr("yes") : tr("none"),
                                            def.rehearsal ? tr("REHEARSAL") : tr("live")};
        for (int column = 0; column < ColumnCount; ++column) {
            auto *item = new QTableWidgetItem(cells[column]);
            if (summary.current) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
            }
            if (column == KindColumn && def.rehearsal)
                item->setForeground(QColor(0xff, 0xb3, 0x00));
            if (column == TitleColumn && !def.question.isEmpty())
                item->setToolTip(def.question);
            m_table->setItem(row, column, item);
        }
    }
    if (!selectSession(keep))
        m_table->clearSelection();
    updateButtons();
}

void SessionListDialog::updateButtons()
{
    const SessionSummary *summary = selected();
    m_duplicate->setEnabled(summary != nullptr);
    m_open->setEnabled(summary != nullptr && !summary->current);
    m_delete->setEnabled(summary != nullptr && summary->isDraft() && !summary->current);
    if (!summary || summary->current)
        m_open->setText(tr("Open"));
    else if (summary->isDraft())
        m_open->setText(tr("Make current"));
    else
        m_open->setText(tr("View (read-only)"));
    m_open->setToolTip(summary && !summary->current && !summary->isDraft()
                           ? tr("Results and audit log of a past vote; its lines stay closed")
                           : tr("Put the draft on the console, ready to open its lines"));
}

void SessionListDialog::showProblem(const QString &message)
{
    m_problem->setText(message);
    m_problem->setVisible(!message.isEmpty());
}

void SessionListDialog::editAndCreate(const SessionDefinition &initial, bool duplicate)
{
    SessionEditorDialog editor(
        initial, duplicate ? SessionEditorDialog::Purpose::Duplicate : SessionEditorDialog::Purpose::Create,
        this);
    if (editor.exec() != QDialog::Accepted)
        return;
    QString error;
    if (!m_backend.createSession(editor.definition(), &error)) {
        showProblem(error);
        return;
    }
    showProblem({});
}

void SessionListDialog::createSession()
{
    editAndCreate(SessionEditorDialog::blank(), false);
}

void SessionListDialog::duplicateSession()
{
    if (const SessionSummary *summary = selected())
        editAndCreate(SessionEditorDialog::duplicateOf(summary->record.definition), true);
}

void SessionListDialog::openSelected()
{
    const SessionSummary *summary = selected();
    if (!summary || summary->current)
        return;
    QString error;
    const qint64 id = summary->record.definition.id;
    if (summary->isDraft())
        m_pendingOpen = id;
    if (!m_backend.openSession(id, &error)) {
        showProblem(error);
        return;
    }
    showProblem({});
}

void SessionListDialog::deleteSelected()
{
    const SessionSummary *summary = selected();
    if (!summary || !summary->isDraft() || summary->current)
        return;
    const qint64 id = summary->record.definition.id;
    const auto answer =
        QMessageBox::question(this, tr("Delete draft"),
                              tr("Delete the draft \u201c%1\u201d? It was never opened and has no votes.")
                                  .arg(summary->record.definition.title),
                              QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes)
        return;
    QString error;
    if (!m_backend.deleteDraft(id, &error))
        showProblem(error);
    else
        showProblem({});
}

void SessionListDialog::showView(const SessionView &view)
{
    auto *viewer = new SessionViewerDialog(view, this);
    viewer->setAttribute(Qt::WA_DeleteOnClose);
    viewer->show();
    Q_EMIT viewOpened(viewer);
}
