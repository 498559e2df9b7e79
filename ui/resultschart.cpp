#include "resultschart.h"

#include <algorithm>
#include <cmath>

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QButtonGroup>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGraphicsSimpleTextItem>
#include <QHBoxLayout>
#include <QHorizontalStackedBarSeries>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include "export/resulttable.h"
#include "numberformat.h"
#include "theme.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr qreal LabelGap = 8;
constexpr auto LeaderMark = u" \u2605";

// The smallest "round" step (1, 2 or 5 times a power of ten) not below `rough`.
qreal niceStep(qreal rough)
{
    const qreal magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    for (const qreal factor : {1.0, 2.0, 5.0}) {
        if (factor * magnitude >= rough)
            return factor * magnitude;
    }
    return 10.0 * magnitude;
}

// Above this many options the category axis has no room for its labels (Qt Charts elides
// them to "..."), so the option key moves into the value label instead.
constexpr int CompactAbove = 24;

// Fewer, larger labels for few options; up to 64 must still fit on one screen.
int labelPointSize(int optionCount)
{
    if (optionCount <= 8)
        return 16;
    if (optionCount <= 16)
        return 12;
    if (optionCount <= CompactAbove)
        return 9;
    return 7;
}

QString categoryText(const VoteOption &option)
{
    if (option.label.isEmpty() || option.label == option.key)
        return option.key;
    return option.key % u" \u00b7 "_s % option.label;
}
} // namespace

ResultsChart::ResultsChart(QWidget *parent)
    : QWidget(parent)
{
    auto *title = new QLabel(tr("Results"), this);
    QFont titleFont = title->font();
    titleFont.setPointSize(14);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_totalLabel = new QLabel(this);
    m_totalLabel->setObjectName(u"resultsTotalLabel"_s);
    QFont totalFont = m_totalLabel->font();
    totalFont.setPointSize(14);
    m_totalLabel->setFont(totalFont);

    m_exactButton = new QToolButton(this);
    m_exactButton->setObjectName(u"exactTallyButton"_s);
    m_exactButton->setText(tr("Exact"));
    m_exactButton->setToolTip(tr("Votes as counted by the session's vote policy: the result to announce"));
    m_rawButton = new QToolButton(this);
    m_rawButton->setObjectName(u"rawTallyButton"_s);
    m_rawButton->setText(tr("Raw"));
    m_rawButton->setToolTip(tr("Every accepted vote, before the vote policy"));
    auto *kindGroup = new QButtonGroup(this);
    for (QToolButton *button : {m_exactButton, m_rawButton}) {
        button->setCheckable(true);
        button->setMinimumSize(80, 32);
        button->setFont(totalFont);
        kindGroup->addButton(button);
    }
    m_exactButton->setChecked(true);
    connect(m_exactButton, &QToolButton::toggled, this, [this](bool checked) {
        if (checked)
            setTallyKind(TallyKind::Exact);
    });
    connect(m_rawButton, &QToolButton::toggled, this, [this](bool checked) {
        if (checked)
            setTallyKind(TallyKind::Raw);
    });

    auto *header = new QHBoxLayout;
    header->addWidget(title);
    header->addSpacing(16);
    header->addWidget(m_totalLabel);
    header->addStretch();
    header->addWidget(m_exactButton);
    header->addWidget(m_rawButton);

    m_chart = new QChart;
    m_chart->legend()->hide();
    // The numbers must be current, not on their way there: no animation.
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->setBackgroundRoundness(0);
    m_chart->setMargins(QMargins(4, 4, 16, 4));
    m_chart->setLocalizeNumbers(true);
    m_chart->setLocale(displayLocale());

    m_valueAxis = new QValueAxis(m_chart);
    m_valueAxis->setLabelFormat(u"%.0f"_s);
    m_valueAxis->setMinorTickCount(0);
    m_categoryAxis = new QBarCategoryAxis(m_chart);
    m_categoryAxis->setGridLineVisible(false);
    m_chart->addAxis(m_valueAxis, Qt::AlignBottom);
    m_chart->addAxis(m_categoryAxis, Qt::AlignLeft);
    // Resizing moves the bars; the value labels are our own items and must follow.
    connect(m_chart, &QChart::plotAreaChanged, this, &ResultsChart::layoutLabels);

    m_view = new QChartView(m_chart, this);
    m_view->setObjectName(u"resultsChartView"_s);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setFrameShape(QFrame::NoFrame);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(header);
    layout->addWidget(m_view, 1);

    applyPalette();
    rebuildSeries();
}

void ResultsChart::setSession(const SessionDefinition &session)
{
    m_session = session;
    m_snapshot.reset();
    rebuildSeries();
}

void ResultsChart::setSnapshot(TallySnapshotPtr snapshot)
{
    m_snapshot = std::move(snapshot);
    updateBars();
}

void ResultsChart::setTallyKind(TallyKind kind)
{
    if (kind == m_kind)
        return;
    m_kind = kind;
    // Keeps the buttons right when the kind is set from code; no loop, the kind is already set.
    (kind == TallyKind::Exact ? m_exactButton : m_rawButton)->setChecked(true);
    updateBars();
    Q_EMIT tallyKindChanged(kind);
}

int ResultsChart::barCount() const
{
    return static_cast<int>(m_sets.size());
}

qint64 ResultsChart::barValue(int optionIndex) const
{
    if (optionIndex < 0 || optionIndex >= barCount())
        return 0;
    return qRound64(m_sets.at(optionIndex)->at(categoryOf(optionIndex)));
}

QString ResultsChart::barLabel(int optionIndex) const
{
    if (optionIndex < 0 || optionIndex >= barCount())
        return {};
    return m_labels.at(optionIndex)->text();
}

bool ResultsChart::isLeader(int optionIndex) const
{
    if (optionIndex < 0 || optionIndex >= barCount())
        return false;
    return m_leaders[static_cast<size_t>(optionIndex)];
}

QColor ResultsChart::barColour(int optionIndex) const
{
    if (optionIndex < 0 || optionIndex >= barCount())
        return {};
    return m_sets.at(optionIndex)->color();
}

void ResultsChart::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
}

void ResultsChart::rebuildSeries()
{
    qDeleteAll(m_labels);
    m_labels.clear();
    m_sets.clear();
    if (m_series) {
        m_chart->removeSeries(m_series);
        delete m_series; // owns its bar sets
        m_series = nullptr;
    }

    const int count = static_cast<int>(m_session.options.size());
    m_shownValues.assign(static_cast<size_t>(count), 0);
    m_leaders.assign(static_cast<size_t>(count), false);
    m_axisMax = 0;

    QStringList categories;
    categories.reserve(count);
    for (int category = 0; category < count; ++category)
        categories.append(categoryText(m_session.options.at(count - 1 - category)));
    m_categoryAxis->setCategories(categories);
    m_categoryAxis->setLabelsVisible(count <= CompactAbove);

    QFont categoryFont = font();
    categoryFont.setPointSize(labelPointSize(count));
    m_categoryAxis->setLabelsFont(categoryFont);
    // Bold is reserved for the leader (see layoutLabels()).
    QFont labelFont = categoryFont;
    labelFont.setBold(false);

    // A stacked series with one set per option, each non-zero only at its own category: the
    // one bar chart layout in Qt Charts where every bar can have its own colour.
    m_series = new QHorizontalStackedBarSeries;
    m_series->setBarWidth(0.72);
    for (int option = 0; option < count; ++option) {
        const VoteOption &vote = m_session.options.at(option);
        auto *set = new QBarSet(vote.key);
        for (int category = 0; category < count; ++category)
            set->append(0);
        QColor colour(vote.colour);
        if (!colour.isValid())
            colour = QColor(SessionDefinition::defaultColour(option));
        set->setColor(colour);
        // Zero-width segments of the other options would otherwise leave hairlines at zero.
        set->setPen(Qt::NoPen);
        m_sets.append(set);

        auto *label = new QGraphicsSimpleTextItem(m_chart);
        label->setFont(labelFont);
        label->setZValue(100);
        m_labels.append(label);
    }
    m_series->append(m_sets);
    m_chart->addSeries(m_series);
    m_series->attachAxis(m_valueAxis);
    m_series->attachAxis(m_categoryAxis);

    growValueAxis(0);
    updateBars();
}

void ResultsChart::updateBars()
{
    const int count = barCount();
    std::vector<qint64> votes(static_cast<size_t>(count), 0);
    const bool sameSession = m_snapshot && (m_snapshot->sessionId == 0 || m_session.id == 0 ||
                                            m_snapshot->sessionId == m_session.id);
    if (sameSession) {
        const std::vector<qint64> &counts =
            (m_kind == TallyKind::Exact) ? m_snapshot->exact : m_snapshot->raw;
        std::copy_n(counts.cbegin(), std::min(counts.size(), votes.size()), votes.begin());
    }

    // Percent and rank exactly as the exported CSV has them, so the console and the on-air
    // graphics never disagree by a rounding.
    const ResultTable table = ResultTable::compute(m_session, votes);
    std::vector<int> tenths(votes.size(), 0);
    std::vector<bool> leaders(votes.size(), false);
    for (const ResultRow &row : table.rows) {
        const int option = m_session.indexOf(row.key);
        if (option < 0 || option >= count)
            continue;
        tenths[static_cast<size_t>(option)] = row.percentTenths;
        leaders[static_cast<size_t>(option)] = (row.rank == 1) && (table.total > 0);
    }

    qint64 maxValue = 0;
    for (int option = 0; option < count; ++option) {
        const auto index = static_cast<size_t>(option);
        const qint64 value = votes[index];
        maxValue = std::max(maxValue, value);
        if (value != m_shownValues[index]) {
            m_sets.at(option)->replace(categoryOf(option), static_cast<qreal>(value));
            m_shownValues[index] = value;
        }
        QString text = formatCount(value) % u" \u00b7 "_s % formatPercentTenths(tenths[index]);
        if (count > CompactAbove)
            text = m_session.options.at(option).key % u"  "_s % text;
        if (leaders[index])
            text += LeaderMark;
        QGraphicsSimpleTextItem *label = m_labels.at(option);
        if (label->text() != text)
            label->setText(text);
    }
    m_leaders = std::move(leaders);

    const QString total =
        tr("%1 votes · %2")
            .arg(formatCount(table.total), m_kind == TallyKind::Exact ? tr("exact") : tr("raw"));
    if (m_totalLabel->text() != total)
        m_totalLabel->setText(total);

    growValueAxis(maxValue);
    layoutLabels();
}

void ResultsChart::growValueAxis(qint64 maxValue)
{
    // Room for the label right of the longest bar, and never a scale below 10 votes.
    const qreal wanted = std::max<qreal>(10.0, static_cast<qreal>(maxValue) * 1.2);
    // The axis only grows within a session: a scale that jumps back and forth makes every
    // bar jump with it and hides the real movement.
    if (wanted <= static_cast<qreal>(m_axisMax))
        return;
    const qreal step = niceStep(wanted / 5.0);
    const qreal max = std::ceil(wanted / step) * step;
    m_axisMax = qRound64(max);
    m_valueAxis->setRange(0, max);
    m_valueAxis->setTickCount(static_cast<int>(std::lround(max / step)) + 1);
}

void ResultsChart::layoutLabels()
{
    if (!m_series)
        return;
    const QRectF plot = m_chart->plotArea();
    const QColor textColour = palette().color(QPalette::WindowText);
    for (int option = 0; option < barCount(); ++option) {
        QGraphicsSimpleTextItem *label = m_labels.at(option);
        // The font first: the placement below depends on the label's width.
        const bool leader = m_leaders[static_cast<size_t>(option)];
        if (label->font().bold() != leader) {
            QFont font = label->font();
            font.setBold(leader);
            label->setFont(font);
        }
        const qreal category = categoryOf(option);
        const QPointF end = m_chart->mapToPosition(QPointF(barValue(option), category), m_series);
        const QRectF bounds = label->boundingRect();
        QPointF position(end.x() + LabelGap, end.y() - bounds.height() / 2);
        QColor colour = textColour;
        // A label that would leave the plot goes inside the bar's end, in a colour that
        // reads on the bar.
        if (position.x() + bounds.width() > plot.right()) {
            position.setX(std::max(plot.left(), end.x() - LabelGap - bounds.width()));
            colour = textColourOn(m_sets.at(option)->color());
        }
        label->setBrush(colour);
        label->setPos(position);
    }
}

void ResultsChart::applyPalette()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    QColor grid = text;
    grid.setAlphaF(0.15);

    m_chart->setBackgroundBrush(pal.window());
    m_chart->setBackgroundPen(Qt::NoPen);
    m_chart->setPlotAreaBackgroundVisible(false);
    for (QAbstractAxis *axis :
         {static_cast<QAbstractAxis *>(m_valueAxis), static_cast<QAbstractAxis *>(m_categoryAxis)}) {
        axis->setLabelsColor(text);
        axis->setLinePenColor(grid);
        axis->setGridLineColor(grid);
    }
    layoutLabels();
}
