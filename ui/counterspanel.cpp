#include "counterspanel.h"

#include <algorithm>

#include <QApplication>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QVBoxLayout>

#include "metrics/rejectreason.h"
#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// The order of the table is fixed (the order of DESIGN.md §4), never by count: rows that
// swap places as counts change are a jumping layout, and the operator learns where to look.
int sortKey(const QString &code)
{
    RejectReason reason{};
    if (parseRejectCode(code.toLatin1(), &reason))
        return int(reason);
    return kRejectReasonCount + 1;
}

QLabel *makeCaption(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    QFont font = label->font();
    font.setPointSize(10);
    font.setCapitalization(QFont::AllUppercase);
    label->setFont(font);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

QLabel *makeValue(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(u"\u2014"_s, parent);
    label->setObjectName(objectName);
    QFont font = label->font();
    font.setPointSize(13);
    font.setBold(true);
    label->setFont(font);
    label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return label;
}

// Paints a reason as two lines: the caption for the producer, the code (small, fixed pitch,
// dim) for whoever talks to the web/app team. Two columns instead of three keep the table
// narrow enough to sit beside the results on a 1280-pixel screen.
class ReasonDelegate final : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QStyleOptionViewItem background = option;
        initStyleOption(&background, index);
        background.text.clear();
        QStyle *style = background.widget ? background.widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &background, painter, background.widget);

        const QRect area = option.rect.adjusted(6, 3, -4, -3);
        const QFont captionFont = option.font;
        const QFont code = codeFont(option.font);
        const int captionHeight = QFontMetrics(captionFont).height();
        painter->save();
        painter->setFont(captionFont);
        painter->setPen(option.palette.color(QPalette::Text));
        painter->drawText(
            QRect(area.left(), area.top(), area.width(), captionHeight), Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetrics(captionFont).elidedText(index.data().toString(), Qt::ElideRight, area.width()));
        painter->setFont(code);
        painter->setPen(option.palette.color(QPalette::PlaceholderText).lighter(130));
        painter->drawText(
            QRect(area.left(), area.top() + captionHeight, area.width(), area.height() - captionHeight),
            Qt::AlignLeft | Qt::AlignTop,
            QFontMetrics(code).elidedText(index.data(CountersPanel::CodeRole).toString(), Qt::ElideRight,
                                          area.width()));
        painter->restore();
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const QFontMetrics caption(option.font);
        const QFontMetrics code(codeFont(option.font));
        const int width = std::max(caption.horizontalAdvance(index.data().toString()),
                                   code.horizontalAdvance(index.data(CountersPanel::CodeRole).toString()));
        return {width + 10, rowHeight(option.font)};
    }

    static QFont codeFont(const QFont &base)
    {
        QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
        font.setPointSize(std::max(base.pointSize() - 2, 7));
        return font;
    }

    static int rowHeight(const QFont &base)
    {
        return QFontMetrics(base).height() + QFontMetrics(codeFont(base)).height() + 6;
    }
};
} // namespace

CountersPanel::CountersPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *title = makeCaption(tr("Rejected by reason"), this);

    m_table = new QTableWidget(0, 2, this);
    m_table->setObjectName(u"rejectedByReasonTable"_s);
    m_table->setHorizontalHeaderLabels({tr("Reason"), tr("Votes")});
    m_table->setItemDelegateForColumn(int(Column::Reason), new ReasonDelegate(m_table));
    m_table->verticalHeader()->hide();
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    // A figure display, not a control: it never takes the keyboard from the window's shortcuts.
    m_table->setFocusPolicy(Qt::NoFocus);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionResizeMode(int(Column::Reason), QHeaderView::Stretch);
    header->setSectionResizeMode(int(Column::Votes), QHeaderView::ResizeToContents);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    // The caption above says what the rows are; without the header row a 1280 x 800 screen
    // shows every reason a show usually sees, with the audience QR code under them.
    header->hide();
    QFont tableFont = m_table->font();
    tableFont.setPointSize(11);
    m_table->setFont(tableFont);
    const int rowHeight = ReasonDelegate::rowHeight(tableFont);
    m_table->verticalHeader()->setDefaultSectionSize(rowHeight);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    // Room for three reasons without a scroll bar (more than a normal show sees at once); the
    // table takes whatever height the window has beyond that.
    m_table->setMinimumHeight(3 * rowHeight + 2 * m_table->frameWidth());
    m_table->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);

    m_noneLabel = new QLabel(tr("No vote refused so far"), m_table->viewport());
    m_noneLabel->setObjectName(u"noRejectionsLabel"_s);
    m_noneLabel->setForegroundRole(QPalette::PlaceholderText);
    m_noneLabel->move(8, 6);

    m_storeValue = makeValue(u"storeSizeValue"_s, this);
    m_storeValue->setToolTip(tr("The database and its write-ahead log on disk"));
    m_uptimeValue = makeValue(u"uptimeValue"_s, this);
    m_uptimeValue->setToolTip(tr("Since the ingest server started"));
    m_workersValue = makeValue(u"activeWorkersValue"_s, this);
    m_workersValue->setToolTip(tr("Ingest workers the orchestrator keeps active for the current load"));

    auto *figures = new QGridLayout;
    figures->setContentsMargins(0, 0, 0, 0);
    figures->setHorizontalSpacing(12);
    figures->setVerticalSpacing(4);
    const std::pair<QString, QLabel *> rows[] = {{tr("Store size"), m_storeValue},
                                                 {tr("Uptime"), m_uptimeValue},
                                                 {tr("Active workers"), m_workersValue}};
    int row = 0;
    for (const auto &[caption, value] : rows) {
        QLabel *captionLabel = makeCaption(caption, this);
        captionLabel->setToolTip(value->toolTip());
        figures->addWidget(captionLabel, row, 0);
        figures->addWidget(value, row, 1);
        ++row;
    }
    figures->setColumnStretch(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(title);
    layout->addWidget(m_table, 1);
    layout->addSpacing(6);
    layout->addLayout(figures);
}

void CountersPanel::setCounters(const SessionCounters &counters)
{
    QList<QPair<QString, qint64>> rows;
    for (auto it = counters.rejectedByReason.cbegin(); it != counters.rejectedByReason.cend(); ++it) {
        if (it.value() != 0)
            rows.append({it.key(), it.value()});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
        const int ka = sortKey(a.first);
        const int kb = sortKey(b.first);
        return ka != kb ? ka < kb : a.first < b.first;
    });
    if (rows == m_rows)
        return;

    const bool sameReasons = rows.size() == m_rows.size() &&
                             std::equal(rows.cbegin(), rows.cend(), m_rows.cbegin(),
                                        [](const auto &a, const auto &b) { return a.first == b.first; });
    m_rows = rows;
    if (!sameReasons) {
        rebuildRows();
        return;
    }
    // The usual tick: same reasons, new counts. Only the changed cells repaint.
    for (int i = 0; i < m_rows.size(); ++i) {
        QTableWidgetItem *item = m_table->item(i, int(Column::Votes));
        const QString text = formatCount(m_rows.at(i).second);
        if (item->text() != text)
            item->setText(text);
    }
}

void CountersPanel::rebuildRows()
{
    m_table->setRowCount(int(m_rows.size()));
    QFont bold = m_table->font();
    bold.setBold(true);
    for (int i = 0; i < m_rows.size(); ++i) {
        const QString &code = m_rows.at(i).first;
        RejectReason reason{};
        const bool known = parseRejectCode(code.toLatin1(), &reason);

        auto *caption = new QTableWidgetItem(reasonCaption(code));
        const QString codeText = known ? QString::number(rejectHttpStatus(reason)) % u' ' % code : code;
        caption->setData(CodeRole, codeText);
        caption->setToolTip(codeText);
        auto *votes = new QTableWidgetItem(formatCount(m_rows.at(i).second));
        votes->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        votes->setFont(bold);
        // Votes refused because the store or the queue failed are the ones to act on.
        if (known && rejectHttpStatus(reason) >= 500)
            votes->setForeground(QColor(0xff, 0x5a, 0x4f));
        m_table->setItem(i, int(Column::Reason), caption);
        m_table->setItem(i, int(Column::Votes), votes);
    }
    m_noneLabel->setVisible(m_rows.isEmpty());
}

void CountersPanel::setStoreSize(qint64 bytes)
{
    setText(m_storeValue, bytes < 0 ? u"\u2014"_s : displayLocale().formattedDataSize(bytes, 1));
}

void CountersPanel::setUptime(qint64 ms)
{
    setText(m_uptimeValue, ms <= 0 ? u"\u2014"_s : formatUptime(ms));
}

void CountersPanel::setActiveWorkers(qint64 workers, bool known)
{
    setText(m_workersValue, known ? formatCount(workers) : u"\u2014"_s);
}

QString CountersPanel::storeSizeText() const
{
    return m_storeValue->text();
}

QString CountersPanel::uptimeText() const
{
    return m_uptimeValue->text();
}

QString CountersPanel::workersText() const
{
    return m_workersValue->text();
}

void CountersPanel::setText(QLabel *label, const QString &text)
{
    if (label->text() != text)
        label->setText(text);
}

QString CountersPanel::reasonCaption(const QString &code)
{
    RejectReason reason{};
    if (!parseRejectCode(code.toLatin1(), &reason))
        return code;
    switch (reason) {
    case RejectReason::InvalidJson:
        return tr("Malformed JSON");
    case RejectReason::MissingField:
        return tr("Voter or option missing");
    case RejectReason::InvalidVoter:
        return tr("Invalid voter id");
    case RejectReason::UnknownOption:
        return tr("Not an option of this vote");
    case RejectReason::BadRequest:
        return tr("Malformed request");
    case RejectReason::InvalidToken:
        return tr("Bad voter token");
    case RejectReason::WindowNotOpen:
        return tr("Before the lines opened");
    case RejectReason::WindowClosed:
        return tr("Late: after the close");
    case RejectReason::LengthRequired:
        return tr("No body length");
    case RejectReason::PayloadTooLarge:
        return tr("Body too large");
    case RejectReason::UnsupportedMediaType:
        return tr("Not JSON or a form");
    case RejectReason::RateLimited:
        return tr("Rate limited");
    case RejectReason::HeadersTooLarge:
        return tr("Headers too large");
    case RejectReason::Overloaded:
        return tr("Queue full, client to retry");
    case RejectReason::StorageUnavailable:
        return tr("Store failed, client to retry");
    }
    return code;
}

QString CountersPanel::formatUptime(qint64 ms)
{
    const qint64 seconds = std::max<qint64>(ms, 0) / 1000;
    const auto two = [](qint64 value) {
        return QString::number(value).rightJustified(2, u'0');
    };
    return QString::number(seconds / 3600) % u':' % two((seconds / 60) % 60) % u':' % two(seconds % 60);
}
