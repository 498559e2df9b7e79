#include "fraudpanel.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "burststrip.h"
#include "engine/consolebackend.h"
#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

namespace {

QTableWidget *makeTable(const QString &name, const QStringList &headers, QWidget *parent)
{
    auto *table = new QTableWidget(0, int(headers.size()), parent);
    table->setObjectName(name);
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setWordWrap(false);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    return table;
}

QTableWidgetItem *numberItem(qint64 value)
{
    auto *item = new QTableWidgetItem(formatCount(value));
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

FraudPanel::FraudPanel(ConsoleBackend &backend, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_backend(backend)
{
    setObjectName(u"fraudPanel"_s);
    setWindowTitle(tr("Fraud panel"));

    m_summary = new QLabel(this);
    m_summary->setObjectName(u"fraudSummary"_s);
    m_bursts = new BurstStrip(this);
    m_voters = makeTable(u"fraudVotersTable"_s, {tr("Voter id"), tr("Votes"), tr("Refused")}, this);
    m_addresses =
        makeTable(u"fraudAddressesTable"_s, {tr("Client address"), tr("Votes"), tr("Refused")}, this);
    m_exclusions = makeTable(u"fraudExclusionsTable"_s,
                             {tr("Excluded"), tr("Kind"), tr("Reason"), tr("By"), tr("When")}, this);
    // The reason is the long text the operator wrote: it gets the room, not the value.
    m_exclusions->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_exclusions->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_exclusions->setSelectionMode(QAbstractItemView::NoSelection);
    m_lastFocused = m_voters;
    // The selection of the table the operator last clicked is what "Exclude…" takes.
    connect(m_voters, &QTableWidget::itemSelectionChanged, this, [this] { m_lastFocused = m_voters; });
    connect(m_addresses, &QTableWidget::itemSelectionChanged, this, [this] { m_lastFocused = m_addresses; });

    m_excludeButton = new QPushButton(tr("Exclude…"), this);
    m_excludeButton->setObjectName(u"fraudExcludeButton"_s);
    m_excludeButton->setToolTip(tr("Leave the selected voter or address out of the count, with a reason. "
                                   "Replay shows the effect; finalize applies it."));
    connect(m_excludeButton, &QPushButton::clicked, this, &FraudPanel::askAndExclude);

    auto *tables = new QHBoxLayout;
    tables->addWidget(m_voters, 1);
    tables->addWidget(m_addresses, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_excludeButton);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_bursts);
    layout->addLayout(tables, 3);
    layout->addLayout(buttons);
    layout->addWidget(
        new QLabel(tr("Left out of the count (stored with the session, in the report):"), this));
    layout->addWidget(m_exclusions, 1);
    resize(900, 620);

    m_pollTimer.setInterval(kPollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &FraudPanel::refresh);
    connect(&m_backend, &ConsoleBackend::exclusionsChanged, this, &FraudPanel::fillExclusions);
    connect(&m_backend, &ConsoleBackend::sessionChanged, this, &FraudPanel::refresh);
}

void FraudPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_pollTimer.start();
}

void FraudPanel::hideEvent(QHideEvent *event)
{
    // Nobody looks: no polling.
    m_pollTimer.stop();
    QWidget::hideEvent(event);
}

void FraudPanel::refresh()
{
    const FraudSnapshot snapshot = m_backend.fraud(kRowsShown);
    const qint64 lastSecond = snapshot.perSecond.isEmpty() ? 0 : snapshot.perSecond.constLast();
    m_summary->setText(tr("%1 vote requests, %2 refused (%3 %). Busiest second of the last minute: %4; "
                          "this second so far: %5.")
                           .arg(formatCount(snapshot.total), formatCount(snapshot.rejected),
                                QLocale().toString(snapshot.rejectedShare() * 100.0, 'f', 1),
                                formatCount(snapshot.peakPerSecond), formatCount(lastSecond)));
    m_bursts->setCounts(snapshot.perSecond);
    fillRows(m_voters, snapshot.topVoters);
    fillRows(m_addresses, snapshot.topAddresses);
    fillExclusions();
}

void FraudPanel::fillRows(QTableWidget *table, const QList<FraudSnapshot::Row> &rows)
{
    // Keep the operator's selection across a refresh: rows are matched by key.
    const QList<QTableWidgetItem *> selected = table->selectedItems();
    const QString selectedKey =
        selected.isEmpty() ? QString() : table->item(selected.first()->row(), 0)->text();
    const QSignalBlocker blocker(table);
    table->setRowCount(int(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        const FraudSnapshot::Row &row = rows[i];
        auto *key = new QTableWidgetItem(row.key);
        if (row.error > 0)
            key->setToolTip(tr("between %1 and %2 votes (approximate count)")
                                .arg(formatCount(row.count - row.error), formatCount(row.count)));
        table->setItem(i, 0, key);
        table->setItem(i, 1, numberItem(row.count));
        table->setItem(i, 2, numberItem(row.rejected));
        if (row.key == selectedKey)
            table->selectRow(i);
    }
}

void FraudPanel::fillExclusions()
{
    const CountExclusions exclusions = m_backend.exclusions();
    m_exclusions->setRowCount(int(exclusions.size()));
    for (int i = 0; i < exclusions.size(); ++i) {
        const CountExclusion &exclusion = exclusions[i];
        m_exclusions->setItem(i, 0, new QTableWidgetItem(exclusion.value));
        m_exclusions->setItem(i, 1,
                              new QTableWidgetItem(exclusion.kind == CountExclusion::Kind::Voter
                                                       ? tr("voter id")
                                                       : tr("addresses")));
        m_exclusions->setItem(i, 2, new QTableWidgetItem(exclusion.reason));
        m_exclusions->setItem(i, 3, new QTableWidgetItem(exclusion.actor));
        m_exclusions->setItem(
            i, 4,
            new QTableWidgetItem(QDateTime::fromMSecsSinceEpoch(exclusion.atMs).toString(u"HH:mm:ss"_s)));
    }
}

CountExclusion FraudPanel::selectedExclusion() const
{
    CountExclusion exclusion;
    const QList<QTableWidgetItem *> selected = m_lastFocused->selectedItems();
    if (selected.isEmpty())
        return exclusion;
    const QString key = m_lastFocused->item(selected.first()->row(), 0)->text();
    if (m_lastFocused == m_voters) {
        exclusion.kind = CountExclusion::Kind::Voter;
        exclusion.value = key;
    } else {
        exclusion.kind = CountExclusion::Kind::AddressRange;
        exclusion.value = key + (key.contains(u':') ? u"/128"_s : u"/32"_s);
    }
    return exclusion;
}

bool FraudPanel::excludeSelected(const QString &reason, QString *error)
{
    const CountExclusion exclusion = selectedExclusion();
    if (exclusion.value.isEmpty()) {
        *error = tr("Select a voter id or an address first.");
        return false;
    }
    return m_backend.excludeFromCount(exclusion.kind, exclusion.value, reason.trimmed(), error);
}

void FraudPanel::askAndExclude()
{
    CountExclusion exclusion = selectedExclusion();
    if (exclusion.value.isEmpty()) {
        QMessageBox::information(this, tr("Exclude"), tr("Select a voter id or an address first."));
        return;
    }
    bool ok = false;
    if (exclusion.kind == CountExclusion::Kind::AddressRange) {
        // The operator may widen one address to its network (a /24 of a botnet, say).
        exclusion.value = QInputDialog::getText(this, tr("Exclude addresses"),
                                                tr("Address range to leave out of the count:"),
                                                QLineEdit::Normal, exclusion.value, &ok);
        if (!ok)
            return;
    }
    const QString reason = QInputDialog::getMultiLineText(
        this, tr("Exclude from the count"),
        tr("Why is %1 left out? (stored with the session, in the audit log and the report)")
            .arg(exclusion.value),
        QString(), &ok);
    if (!ok)
        return;
    QString error;
    if (!m_backend.excludeFromCount(exclusion.kind, exclusion.value, reason.trimmed(), &error))
        QMessageBox::warning(this, tr("Not excluded"), error);
}
