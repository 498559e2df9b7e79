#include "eventlogdialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "alertsstrip.h"
#include "engine/consolebackend.h"
#include "theme.h"

using namespace Qt::Literals::StringLiterals;

EventLogDialog::EventLogDialog(ConsoleBackend &backend, QWidget *parent)
    : QDialog(parent)
    , m_backend(backend)
{
    setObjectName(u"eventLogDialog"_s);
    setWindowTitle(tr("Event log"));
    m_summary = new QLabel(tr("Reading the log from the store…"), this);
    m_summary->setObjectName(u"eventLogSummary"_s);

    m_table = new QTableWidget(0, 5, this);
    m_table->setObjectName(u"eventLogTable"_s);
    m_table->setHorizontalHeaderLabels({tr("Time"), tr("Severity"), tr("Event"), tr("Detail"), tr("By")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *reloadButton = buttons->addButton(tr("Reload"), QDialogButtonBox::ActionRole);
    connect(reloadButton, &QPushButton::clicked, this, &EventLogDialog::reload);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(1000, 520);

    connect(&m_backend, &ConsoleBackend::auditLogReady, this, &EventLogDialog::fill);
}

void EventLogDialog::showEvent(QShowEvent *event)
{
    QDialog::showEvent(event);
    reload();
}

void EventLogDialog::reload()
{
    m_backend.requestAuditLog();
}

void EventLogDialog::fill(const QList<AuditEntry> &entries)
{
    m_table->setRowCount(int(entries.size()));
    int warnings = 0;
    int criticals = 0;
    for (int row = 0; row < entries.size(); ++row) {
        const AuditEntry &entry = entries.at(row);
        const Severity severity = eventSeverity(entry.kind);
        warnings += severity == Severity::Warning;
        criticals += severity == Severity::Critical;
        const QStringList cells{
            QDateTime::fromMSecsSinceEpoch(entry.atMs).toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s),
            severityName(severity), AlertsStrip::kindTitle(entry.kind), entry.detail, entry.actor};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells.at(column));
            item->setToolTip(column == 3 ? entry.detail : QString());
            if (severity != Severity::Info && column == 1) {
                const QColor colour = AlertsStrip::severityColour(severity);
                item->setBackground(colour);
                item->setForeground(textColourOn(colour));
            }
            m_table->setItem(row, column, item);
        }
    }
    m_table->scrollToBottom();
    QString summary = entries.size() == 1 ? tr("1 line stored with this session")
                                          : tr("%1 lines stored with this session").arg(entries.size());
    if (warnings + criticals > 0)
        summary += tr(" · %1 warnings, %2 critical").arg(warnings).arg(criticals);
    m_summary->setText(summary);
}
