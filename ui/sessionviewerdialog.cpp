#include "sessionviewerdialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "export/resulttable.h"
#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QString localTime(qint64 epochMs)
{
    if (epochMs <= 0)
        return QStringLiteral("–");
    return QDateTime::fromMSecsSinceEpoch(epochMs).toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

QTableWidget *makeTable(const QStringList &headers, QWidget *parent)
{
    auto *table = new QTableWidget(0, int(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionMode(QAbstractItemView::NoSelection);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return table;
}
} // namespace

SessionViewerDialog::SessionViewerDialog(const SessionView &view, QWidget *parent)
    : QDialog(parent)
    , m_view(view)
{
    const SessionRecord &record = view.summary.record;
    const SessionDefinition &def = record.definition;
    setWindowTitle(tr("%1 (read-only)").arg(def.title));

    auto *banner = new QLabel(this);
    banner->setObjectName(u"readOnlyBanner"_s);
    banner->setText(tr("READ-ONLY · session %1 · %2%3")
                        .arg(def.id)
                        .arg(windowStateName(record.window.state).toUpper(),
                             def.rehearsal ? tr(" · REHEARSAL") : QString()));
    banner->setStyleSheet(def.rehearsal ? u"QLabel { background: #ffb300; color: black; font-weight: bold; "
                                          u"padding: 6px 10px; }"_s
                                        : u"QLabel { background: #3a3f47; color: #e6e8eb; font-weight: bold; "
                                          u"padding: 6px 10px; }"_s);

    auto *title = new QLabel(def.title, this);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 1.6);
    big.setBold(true);
    title->setFont(big);
    title->setWordWrap(true);
    auto *question = new QLabel(def.question, this);
    question->setWordWrap(true);
    auto *facts = new QLabel(tr("Opened %1 · closed %2 · policy %3 · %4 votes counted from %5 voters")
                                 .arg(localTime(record.window.openedAtMs),
                                      localTime(record.window.closedAtMs), def.rule().describe(),
                                      formatCount(view.tally.accepted), formatCount(view.tally.uniqueVoters)),
                             this);
    facts->setObjectName(u"facts"_s);
    facts->setWordWrap(true);
    facts->setForegroundRole(QPalette::PlaceholderText);

    // Results, recounted from the store under the session's own rule.
    const ResultTable table = ResultTable::compute(def, view.tally.exact);
    auto *results = makeTable({tr("Rank"), tr("Option"), tr("Votes"), tr("Percent"), tr("Raw")}, this);
    results->setObjectName(u"results"_s);
    results->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    results->setRowCount(int(table.rows.size()));
    for (int row = 0; row < table.rows.size(); ++row) {
        const ResultRow &r = table.rows[row];
        const int index = def.indexOf(r.key);
        const qint64 raw =
            index >= 0 && std::size_t(index) < view.tally.raw.size() ? view.tally.raw[index] : 0;
        auto *option = new QTableWidgetItem(u"%1  (%2)"_s.arg(r.label, r.key));
        // A swatch, not a filled cell: a full-width block of colour reads as a bar of votes.
        QPixmap swatch(14, 14);
        swatch.fill(QColor(r.colour));
        option->setIcon(QIcon(swatch));
        const QString cells[] = {QString::number(r.rank), QString(), formatCount(r.votes),
                                 formatPercentTenths(r.percentTenths), formatCount(raw)};
        for (int column = 0; column < 5; ++column) {
            auto *item = column == 1 ? option : new QTableWidgetItem(cells[column]);
            if (column != 1)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            results->setItem(row, column, item);
        }
    }

    QString publishedText = tr("Nothing was published.");
    if (view.published) {
        publishedText = tr("On air: version %1, published %2%3")
                            .arg(view.published->publishVersion)
                            .arg(localTime(view.published->publishedAtMs),
                                 view.published->final ? tr(" · FINAL (certified)") : QString());
    }
    auto *published = new QLabel(publishedText, this);
    published->setObjectName(u"published"_s);

    auto *audit = makeTable({tr("Time"), tr("What"), tr("Detail"), tr("Who")}, this);
    audit->setObjectName(u"audit"_s);
    audit->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    audit->setRowCount(int(view.audit.size()));
    for (int row = 0; row < view.audit.size(); ++row) {
        const AuditEntry &entry = view.audit[row];
        const QString cells[] = {localTime(entry.atMs), entry.kind, entry.detail, entry.actor};
        for (int column = 0; column < 4; ++column) {
            auto *item = new QTableWidgetItem(cells[column]);
            if (column == 2)
                item->setToolTip(entry.detail);
            audit->setItem(row, column, item);
        }
    }

    // The console's window controls, disabled: looking at a past vote never reopens it.
    auto *controls = new QHBoxLayout;
    const QString why = tr("Read-only: a past session's lines cannot be opened again");
    for (const QString &text : {tr("Open lines"), tr("Extend"), tr("Close lines"), tr("Finalize")}) {
        auto *button = new QPushButton(text, this);
        button->setEnabled(false);
        button->setToolTip(why);
        button->setObjectName(u"windowControl"_s);
        controls->addWidget(button);
    }
    controls->addStretch(1);

    auto *resultsBox = new QGroupBox(tr("Results (recounted from the store)"), this);
    auto *resultsLayout = new QVBoxLayout(resultsBox);
    resultsLayout->addWidget(results);
    resultsLayout->addWidget(published);
    auto *auditBox = new QGroupBox(tr("Audit log"), this);
    auto *auditLayout = new QVBoxLayout(auditBox);
    auditLayout->addWidget(audit);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(banner);
    layout->addWidget(title);
    layout->addWidget(question);
    layout->addWidget(facts);
    layout->addLayout(controls);
    layout->addWidget(resultsBox, 1);
    layout->addWidget(auditBox, 1);
    layout->addWidget(buttons);
    resize(900, 720);
}
