#include "pipelinegraphs.h"

#include <algorithm>
#include <cmath>

#include <QAreaSeries>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QHBoxLayout>
#include <QLegend>
#include <QLineSeries>
#include <QValueAxis>

#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Five grid lines (four steps) on every value axis: the grid stays put, only its labels change.
constexpr int ValueTicks = 5;
// The smallest scales: 0-8 votes/s (or queued votes) in steps of 2, 0-1 ms, 0-4 workers.
constexpr qreal MinRateScale = 8;

// Signal colours that read on the dark theme, the same family as the countdown's states.
const QColor AcceptedColour(0x2f, 0xbf, 0x4a);
const QColor RejectedColour(0xff, 0x5a, 0x4f);
const QColor PersistedColour(0x3d, 0x8b, 0xfd);
const QColor QueueColour(0xe0, 0xa8, 0x00);
const QColor CapacityColour(0xe5, 0x48, 0x3a);
const QColor WorkersColour(0xc3, 0x9b, 0xf0);
const QColor P50Colour(0x5f, 0xd3, 0xf3);
const QColor P99Colour(0xff, 0x8c, 0x1a);

// The smallest "round" step not below `rough`: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power
// of ten. Finer than Wireshark's 1-2-5, so a peak fills 55-90 % of the graph rather than
// 40-90 %; every label is still a number one reads at a glance (0, 1.5k, 3k, 4.5k, 6k).
// Counts (votes, workers) have whole steps only: a grid line at 2.5 votes/s would read "3".
qreal niceStep(qreal rough, bool whole)
{
    const qreal magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    for (const qreal factor : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}) {
        const qreal step = factor * magnitude;
        if (whole && step != std::floor(step))
            continue;
        if (step >= rough * (1 - 1e-9))
            return step;
    }
    return 10.0 * magnitude;
}

// The axis maximum for data up to `peak`: 10 % headroom, never below `floor`, four round steps.
qreal roundedMax(qreal peak, qreal floor, bool whole)
{
    const qreal wanted = std::max(floor, peak * 1.1);
    return (ValueTicks - 1) * niceStep(wanted / (ValueTicks - 1), whole);
}

// Grows at once to show a new peak; shrinks only once the data would fit in half the scale
// (a peak scrolled out of the window), so a rate hovering near a step does not flip the
// scale back and forth every second. Returns whether the scale changed.
bool rescale(qreal &shownMax, qreal peak, qreal floor, bool whole)
{
    const qreal wanted = roundedMax(peak, floor, whole);
    if (wanted > shownMax || wanted * 2 <= shownMax) {
        shownMax = wanted;
        return true;
    }
    return false;
}

// Axis labels as short as they can be read: "8,000", "25k", "1.5M". A graph a third of a
// 1280-pixel screen wide has no room for "100,000" beside a second axis (Qt Charts elides it).
QString compactCount(qreal value)
{
    const QLocale locale = displayLocale();
    QChar unit;
    if (value >= 1e6) {
        value /= 1e6;
        unit = u'M';
    } else if (value >= 1e4) {
        value /= 1e3;
        unit = u'k';
    } else {
        return locale.toString(qint64(std::llround(value)));
    }
    const bool whole = std::abs(value - std::round(value)) < 1e-9;
    QString text = locale.toString(value, 'f', whole ? 0 : 1);
    text.append(unit);
    return text;
}

size_t index(PipelineGraphs::Graph graph)
{
    return static_cast<size_t>(graph);
}

size_t index(PipelineGraphs::Line line)
{
    return static_cast<size_t>(line);
}
} // namespace

PipelineGraphs::PipelineGraphs(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);

    makeChart(Graph::Throughput, tr("Votes per second"));
    makeChart(Graph::Queue, tr("Queue and workers"));
    makeChart(Graph::Latency, tr("Latency (ms)"));

    // Stored is drawn first and wide, accepted thin on top of it: in a healthy pipeline the
    // two coincide and read as one green line on a blue band; a gap between them is the store
    // falling behind.
    addLine(Graph::Throughput, Line::Persisted, tr("stored"), PersistedColour, 5);
    addLine(Graph::Throughput, Line::Accepted, tr("accepted"), AcceptedColour, 2);
    addLine(Graph::Throughput, Line::Rejected, tr("rejected"), RejectedColour, 2);

    // The queue as a filled level under its capacity: how full, at a glance.
    auto *depth = new QLineSeries(this);
    m_lines[index(Line::QueueDepth)] = depth;
    m_queueArea = new QAreaSeries(depth);
    m_queueArea->setName(tr("queued"));
    QColor fill = QueueColour;
    fill.setAlphaF(0.35);
    m_queueArea->setBrush(fill);
    m_queueArea->setPen(QPen(QueueColour, 2));
    QChart *queue = chart(Graph::Queue);
    queue->addSeries(m_queueArea);
    m_queueArea->attachAxis(timeAxis(Graph::Queue));
    m_queueArea->attachAxis(valueAxis(Graph::Queue));
    addLine(Graph::Queue, Line::QueueCapacity, tr("capacity"), CapacityColour, 2, Qt::DashLine);

    // Workers on their own axis (right): the orchestrator adds them as the queue grows, so
    // the two belong in one picture.
    m_workersAxis = new QValueAxis(queue);
    // "%.0f", not "%d": with localised numbers Qt Charts only understands a precision.
    m_workersAxis->setLabelFormat(u"%.0f"_s);
    m_workersAxis->setGridLineVisible(false);
    m_workersAxis->setMinorTickCount(0);
    m_workersAxis->setLabelsFont(m_valueAxes[0]->labelsFont());
    queue->addAxis(m_workersAxis, Qt::AlignRight);
    QLineSeries *workers = addLine(Graph::Queue, Line::Workers, tr("workers"), WorkersColour, 2);
    workers->detachAxis(valueAxis(Graph::Queue));
    workers->attachAxis(m_workersAxis);

    addLine(Graph::Latency, Line::LatencyP50, tr("p50"), P50Colour, 2);
    addLine(Graph::Latency, Line::LatencyP99, tr("p99"), P99Colour, 2);

    rescale(m_scales[index(Graph::Throughput)].max, 0, MinRateScale, true);
    rescale(m_scales[index(Graph::Queue)].max, 0, MinRateScale, true);
    rescale(m_scales[index(Graph::Latency)].max, 0, 1, false);
    rescale(m_workersMax, 0, ValueTicks - 1, true);
    for (int graph = 0; graph < GraphCount; ++graph)
        applyScale(Graph(graph));

    setTimeRange(QDateTime::currentMSecsSinceEpoch());
    applyPalette();
}

QChart *PipelineGraphs::makeChart(Graph graph, const QString &title)
{
    auto *chart = new QChart;
    // Current numbers, not numbers on their way: no animation (and no cost for one).
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setBackgroundRoundness(0);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->setLocalizeNumbers(true);
    chart->setLocale(displayLocale());
    chart->setTitle(title);
    QFont titleFont = font();
    titleFont.setPointSize(11);
    titleFont.setBold(true);
    chart->setTitleFont(titleFont);
    QLegend *legend = chart->legend();
    legend->setAlignment(Qt::AlignBottom);
    QFont legendFont = font();
    legendFont.setPointSize(8);
    legend->setFont(legendFont);

    auto *time = new QDateTimeAxis(chart);
    // Minutes are what a producer reads off a ten-minute graph; seconds would change the
    // labels every second under a grid that scrolls smoothly anyway.
    time->setFormat(u"HH:mm"_s);
    time->setTickCount(6);
    chart->addAxis(time, Qt::AlignBottom);
    // Counts get labels of our own ("25k"); latency keeps Qt's, in ms.
    QValueAxis *value = nullptr;
    if (graph == Graph::Latency) {
        value = new QValueAxis(chart);
        value->setLabelFormat(u"%.4g"_s);
    } else {
        auto *counts = new QCategoryAxis(chart);
        counts->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
        value = counts;
    }
    value->setTickCount(ValueTicks);
    value->setMinorTickCount(0);
    chart->addAxis(value, Qt::AlignLeft);
    QFont axisFont = font();
    axisFont.setPointSize(9);
    time->setLabelsFont(axisFont);
    value->setLabelsFont(axisFont);

    auto *view = new QChartView(chart, this);
    static const QString names[GraphCount] = {u"throughputGraph"_s, u"queueGraph"_s, u"latencyGraph"_s};
    view->setObjectName(names[index(graph)]);
    view->setRenderHint(QPainter::Antialiasing);
    view->setFrameShape(QFrame::NoFrame);
    view->setMinimumSize(200, 170);
    layout()->addWidget(view);
    // Labels need room: fewer of them on a small graph.
    connect(chart, &QChart::plotAreaChanged, this, &PipelineGraphs::fitTicks);

    m_charts[index(graph)] = chart;
    m_views[index(graph)] = view;
    m_timeAxes[index(graph)] = time;
    m_valueAxes[index(graph)] = value;
    return chart;
}

QLineSeries *PipelineGraphs::addLine(Graph graph, Line line, const QString &name, const QColor &colour,
                                     qreal width, Qt::PenStyle style)
{
    auto *series = new QLineSeries(this);
    series->setName(name);
    QPen pen(colour, width, style);
    if (line == Line::Persisted) {
        QColor band = colour;
        band.setAlphaF(0.6);
        pen.setColor(band);
    }
    series->setPen(pen);
    QChart *target = chart(graph);
    target->addSeries(series); // the chart owns it from here
    series->attachAxis(timeAxis(graph));
    series->attachAxis(valueAxis(graph));
    m_lines[index(line)] = series;
    return series;
}

void PipelineGraphs::setQueueCapacity(qint64 capacity)
{
    capacity = std::max<qint64>(capacity, 0);
    if (capacity == m_capacity)
        return;
    m_capacity = capacity;
    Scale &scale = m_scales[index(Graph::Queue)];
    scale.max = 0;
    // With a known capacity the queue reads as a fill level: a fixed scale up to the capacity
    // (the dashed line) and a little headroom above it, which no depth can use (the queue
    // refuses votes at capacity). Unknown, the scale follows the depth like the others.
    if (capacity > 0)
        scale.max = qreal(capacity) * 1.12;
    else
        rescale(scale.max, 0, MinRateScale, true);
    applyScale(Graph::Queue);
}

void PipelineGraphs::setSamples(const QList<SecondSample> &samples, qint64 wallOffsetMs)
{
    const qsizetype count = samples.size();
    std::array<QList<QPointF>, LineCount> points;
    for (QList<QPointF> &line : points)
        line.reserve(count);
    points[index(Line::Workers)].reserve(2 * count);

    qreal peakRate = 0;
    qreal peakQueue = 0;
    qreal peakLatency = 0;
    qreal peakWorkers = 0;
    for (qsizetype i = 0; i < count; ++i) {
        const SecondSample &s = samples.at(i);
        const auto x = qreal(s.atMs + wallOffsetMs);
        points[index(Line::Accepted)].append(QPointF(x, qreal(s.accepted)));
        points[index(Line::Rejected)].append(QPointF(x, qreal(s.rejected)));
        points[index(Line::Persisted)].append(QPointF(x, qreal(s.persisted)));
        points[index(Line::QueueDepth)].append(QPointF(x, qreal(s.queueDepth)));
        // A step: the worker count is a level that holds until the next sample changes it.
        if (i > 0)
            points[index(Line::Workers)].append(QPointF(x, qreal(samples.at(i - 1).activeWorkers)));
        points[index(Line::Workers)].append(QPointF(x, qreal(s.activeWorkers)));
        points[index(Line::LatencyP50)].append(QPointF(x, s.latencyP50Ms));
        points[index(Line::LatencyP99)].append(QPointF(x, s.latencyP99Ms));
        peakRate = std::max({peakRate, qreal(s.accepted), qreal(s.rejected), qreal(s.persisted)});
        peakQueue = std::max(peakQueue, qreal(s.queueDepth));
        peakLatency = std::max({peakLatency, s.latencyP50Ms, s.latencyP99Ms});
        peakWorkers = std::max(peakWorkers, qreal(s.activeWorkers));
    }

    const qint64 endMs = count > 0 ? samples.last().atMs + wallOffsetMs : m_endMs;
    if (m_capacity > 0) {
        points[index(Line::QueueCapacity)] = {QPointF(qreal(endMs - SpanMs), qreal(m_capacity)),
                                              QPointF(qreal(endMs), qreal(m_capacity))};
    }

    for (int line = 0; line < LineCount; ++line)
        m_lines[size_t(line)]->replace(points[size_t(line)]);

    setTimeRange(endMs);
    if (rescale(m_scales[index(Graph::Throughput)].max, peakRate, MinRateScale, true))
        applyScale(Graph::Throughput);
    if (m_capacity == 0 && rescale(m_scales[index(Graph::Queue)].max, peakQueue, MinRateScale, true))
        applyScale(Graph::Queue);
    if (rescale(m_scales[index(Graph::Latency)].max, peakLatency, 1, false))
        applyScale(Graph::Latency);
    // The worker count is shown as it is: no headroom.
    if (rescale(m_workersMax, peakWorkers / 1.1, ValueTicks - 1, true))
        applyScale(Graph::Queue);
    ++m_batchCount;
}

void PipelineGraphs::setTimeRange(qint64 endMs)
{
    m_endMs = endMs;
    const QDateTime from = QDateTime::fromMSecsSinceEpoch(endMs - SpanMs);
    const QDateTime to = QDateTime::fromMSecsSinceEpoch(endMs);
    for (QDateTimeAxis *axis : m_timeAxes)
        axis->setRange(from, to);
}

void PipelineGraphs::applyScale(Graph graph)
{
    const Scale &scale = m_scales[index(graph)];
    QValueAxis *axis = valueAxis(graph);
    axis->setRange(0, scale.max);
    // Four round steps of the scale (or of the capacity); two when the graph is too short
    // for five labels, which stay round numbers.
    const qreal quarter = (graph == Graph::Queue && m_capacity > 0)
                              ? niceStep(qreal(m_capacity) / (ValueTicks - 1), true)
                              : scale.max / (ValueTicks - 1);
    const qreal labelStep = scale.roomy ? quarter : 2 * quarter;
    if (auto *counts = qobject_cast<QCategoryAxis *>(axis)) {
        const QStringList old = counts->categoriesLabels();
        for (const QString &label : old)
            counts->remove(label);
        // The first boundary a hair below zero, so that "0" can be a label of its own.
        counts->setStartValue(-scale.max * 1e-6);
        for (qreal value = 0; value <= scale.max * (1 + 1e-9); value += labelStep)
            counts->append(compactCount(value), value);
    } else {
        axis->setTickCount(scale.roomy ? ValueTicks : 3);
    }
    if (graph == Graph::Queue) {
        m_workersAxis->setRange(0, m_workersMax);
        // One grid step per worker up to four, else the four round steps of the scale.
        const int steps = m_workersMax <= ValueTicks - 1 ? int(m_workersMax) : ValueTicks - 1;
        m_workersAxis->setTickCount((scale.roomy ? steps : 2) + 1);
    }
}

void PipelineGraphs::fitTicks()
{
    // Time: one label per 1, 2 or 5 minutes, whichever leaves each label its width and a gap.
    const QFontMetrics metrics(m_timeAxes[0]->labelsFont());
    const qreal labelWidth = metrics.horizontalAdvance(u"00:00"_s) + 16;
    // Values: five labels while each has room, else three. Qt Charts would elide them to "…".
    const qreal labelHeight = metrics.height() * 1.6;
    for (int graph = 0; graph < GraphCount; ++graph) {
        const QRectF plot = m_charts[size_t(graph)]->plotArea();
        int timeTicks = 3;
        if (plot.width() >= 10 * labelWidth)
            timeTicks = 11;
        else if (plot.width() >= 5 * labelWidth)
            timeTicks = 6;
        QDateTimeAxis *time = m_timeAxes[size_t(graph)];
        if (time->tickCount() != timeTicks)
            time->setTickCount(timeTicks);

        const bool roomy = plot.height() >= (ValueTicks - 1) * labelHeight;
        Scale &scale = m_scales[size_t(graph)];
        if (scale.roomy != roomy) {
            scale.roomy = roomy;
            applyScale(Graph(graph));
        }
    }
}

void PipelineGraphs::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
}

void PipelineGraphs::applyPalette()
{
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    const QColor dim = pal.color(QPalette::PlaceholderText);
    QColor grid = text;
    grid.setAlphaF(0.12);
    for (int graph = 0; graph < GraphCount; ++graph) {
        QChart *c = m_charts[size_t(graph)];
        c->setBackgroundBrush(pal.window());
        c->setBackgroundPen(Qt::NoPen);
        c->setPlotAreaBackgroundVisible(false);
        c->setTitleBrush(text);
        c->legend()->setLabelColor(text);
        for (QAbstractAxis *axis : c->axes()) {
            axis->setLabelsColor(dim.lighter(130));
            axis->setLinePenColor(grid);
            axis->setGridLineColor(grid);
        }
    }
    if (m_workersAxis)
        m_workersAxis->setLabelsColor(WorkersColour);
}
