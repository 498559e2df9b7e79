#pragma once

#include <array>

#include <QList>
#include <QWidget>

#include "metrics/metricssampler.h"

class QAbstractSeries;
class QAreaSeries;
class QChart;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;
class QXYSeries;

// The pipeline over the last ten minutes, Wireshark I/O graph style: votes per second
// (accepted, rejected, persisted), the queue against its capacity with the active workers,
// and the end-to-end latency (p50, p99). The time axis is the wall clock, newest on the right.
//
// Fed once per new second with the whole series: each line gets its points in one
// QXYSeries::replace(), never point by point, so a second costs one repaint per graph
// whatever the rate. The value axes keep five grid lines and only change scale when the data
// outgrows them or would fit in half, so the grid does not jump with every second.
class PipelineGraphs final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PipelineGraphs)

public:
    static constexpr qint64 SpanMs = 10 * 60 * 1000;

    enum class Graph
    {
        Throughput = 0,
        Queue,
        Latency
    };
    static constexpr int GraphCount = 3;

    enum class Line
    {
        Accepted = 0,
        Rejected,
        Persisted,
        QueueDepth,
        QueueCapacity,
        Workers,
        LatencyP50,
        LatencyP99
    };
    static constexpr int LineCount = 8;

    explicit PipelineGraphs(QWidget *parent = nullptr);

    // Where the queue refuses votes (503); 0 = unknown, no line and the scale follows the data.
    void setQueueCapacity(qint64 capacity);
    qint64 queueCapacity() const { return m_capacity; }

    // The whole series, oldest first; a sample is drawn at atMs + wallOffsetMs (ms since the
    // epoch). The caller calls this once per new second.
    void setSamples(const QList<SecondSample> &samples, qint64 wallOffsetMs);
    // How many times setSamples() has redrawn the graphs.
    int batchCount() const { return m_batchCount; }

    QXYSeries *series(Line line) const { return m_lines[static_cast<size_t>(line)]; }
    QChart *chart(Graph graph) const { return m_charts[static_cast<size_t>(graph)]; }
    QValueAxis *valueAxis(Graph graph) const { return m_valueAxes[static_cast<size_t>(graph)]; }
    QDateTimeAxis *timeAxis(Graph graph) const { return m_timeAxes[static_cast<size_t>(graph)]; }
    QValueAxis *workersAxis() const { return m_workersAxis; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QChart *makeChart(Graph graph, const QString &title);
    QLineSeries *addLine(Graph graph, Line line, const QString &name, const QColor &colour, qreal width,
                         Qt::PenStyle style = Qt::SolidLine);
    void setTimeRange(qint64 endMs);
    void applyScale(Graph graph);
    void fitTicks();
    void applyPalette();

    std::array<QChart *, GraphCount> m_charts{};
    std::array<QChartView *, GraphCount> m_views{};
    std::array<QDateTimeAxis *, GraphCount> m_timeAxes{};
    std::array<QValueAxis *, GraphCount> m_valueAxes{};
    struct Scale
    {
        qreal max = 0;     // the value axis runs from 0 to this
        bool roomy = true; // five labels fit (else three)
    };
    std::array<Scale, GraphCount> m_scales{};
    std::array<QXYSeries *, LineCount> m_lines{};
    QAreaSeries *m_queueArea = nullptr;
    QValueAxis *m_workersAxis = nullptr;
    qreal m_workersMax = 0;

    qint64 m_capacity = 0;
    qint64 m_endMs = 0;
    int m_batchCount = 0;
};
