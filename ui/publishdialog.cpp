#include "publishdialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

namespace {
qint64 countAt(const std::vector<qint64> &counts, int index)
{
    return index >= 0 && size_t(index) < counts.size() ? counts[size_t(index)] : 0;
}

qint64 sum(const std::vector<qint64> &counts)
{
    qint64 total = 0;
    for (const qint64 votes : counts)
        total += votes;
    return total;
}

QString votesAndPercent(qint64 votes, qint64 total)
{
    const int tenths = total > 0 ? int((1000 * votes + total / 2) / total) : 0;
    return u"%1 · %2"_s.arg(formatCount(votes), formatPercentTenths(tenths));
}

QString signedDelta(qint64 delta)
{
    if (delta == 0)
        return u"—"_s;
    return (delta > 0 ? u"+"_s : u"−"_s) + formatCount(delta > 0 ? delta : -delta);
}
} // namespace

PublishDialog::PublishDialog(const SessionDefinition &session, const PublishedResultsPtr &onAir,
                             const TallySnapshot &live, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(u"publishDialog"_s);
    setWindowTitle(tr("Publish results"));

    QString nowText;
    if (!onAir) {
        nowText = tr("Nothing is on air yet: the graphics and the public results show no numbers.");
    } else {
        nowText = tr("On air now: version %1, taken at %2 (lines %3)%4.")
                      .arg(onAir->publishVersion)
                      .arg(QDateTime::fromMSecsSinceEpoch(onAir->publishedAtMs).toString(u"HH:mm:ss"_s))
                      .arg(windowStateName(onAir->window.state))
                      .arg(onAir->final ? tr(", final") : QString());
    }
    auto *intro = new QLabel(nowText + u'\n' +
                                 tr("Take puts the live exact counts on air as version %1.")
                                     .arg(onAir ? onAir->publishVersion + 1 : 1),
                             this);
    intro->setObjectName(u"publishIntro"_s);
    intro->setWordWrap(true);

    const std::vector<qint64> before = onAir ? onAir->tally.exact : std::vector<qint64>{};
    const qint64 beforeTotal = sum(before);
    const qint64 afterTotal = sum(live.exact);
    m_table = new QTableWidget(int(session.options.size()) + 1, 4, this);
    m_table->setObjectName(u"publishPreviewTable"_s);
    m_table->setHorizontalHeaderLabels({tr("Option"), tr("On air now"), tr("After take"), tr("Change")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setFocusPolicy(Qt::NoFocus);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);

    auto setRow = [this](int row, const QString &label, const QString &now, const QString &after,
                         qint64 delta) {
        const QStringList cells{label, now, after, signedDelta(delta)};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells.at(column));
            if (column > 0)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (column == 3 && delta != 0) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
            }
            m_table->setItem(row, column, item);
        }
        m_changes = m_changes || delta != 0;
    };
    for (int i = 0; i < session.options.size(); ++i) {
        const VoteOption &option = session.options.at(i);
        const qint64 was = countAt(before, i);
        const qint64 will = countAt(live.exact, i);
        setRow(i, u"%1 · %2"_s.arg(option.key, option.label),
               onAir ? votesAndPercent(was, beforeTotal) : u"—"_s, votesAndPercent(will, afterTotal),
               will - was);
    }
    setRow(int(session.options.size()), tr("Votes counted"), onAir ? formatCount(beforeTotal) : u"—"_s,
           formatCount(afterTotal), afterTotal - beforeTotal);
    m_table->resizeColumnsToContents();

    auto *buttons = new QDialogButtonBox(this);
    m_take = buttons->addButton(tr("Take"), QDialogButtonBox::AcceptRole);
    m_take->setObjectName(u"takeButton"_s);
    m_take->setDefault(true);
    buttons->addButton(QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    const int rowsHeight = m_table->verticalHeader()->length() + m_table->horizontalHeader()->height() + 4;
    m_table->setMinimumHeight(qMin(rowsHeight, 600));
    resize(qMax(560, m_table->horizontalHeader()->length() + 40), sizeHint().height());
}
