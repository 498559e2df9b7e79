#pragma once

#include <vector>

#include <QList>
#include <QWidget>

#include "session/sessiondefinition.h"
#include "tally/tallysnapshot.h"

class QBarCategoryAxis;
class QBarSet;
class QChart;
class QChartView;
class QGraphicsSimpleTextItem;
class QHorizontalStackedBarSeries;
class QLabel;
class QToolButton;
class QValueAxis;

// The live results: one horizontal bar per option in the option's colour, labelled with votes
// and share, the leader marked. Shows the exact tally (per vote policy) or the raw one.
//
// Built once per session and then only fed numbers: the series and its bar sets live as long
// as the session, and each update replaces the changed values in place, so a 10 Hz refresh
// costs a few repaints and no allocation.
class ResultsChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResultsChart)

public:
    enum class TallyKind
    {
        Exact = 1, // per the session's vote policy: what gets announced
        Raw        // every accepted vote
    };

    explicit ResultsChart(QWidget *parent = nullptr);

    // Rebuilds bars, colours and categories; the bars start at zero until the next snapshot.
    void setSession(const SessionDefinition &session);
    // Shows the counts of the snapshot (the caller decides when it changed). Counts missing
    // from the snapshot show as zero; a snapshot of another session is ignored.
    void setSnapshot(TallySnapshotPtr snapshot);

    void setTallyKind(TallyKind kind);
    TallyKind tallyKind() const { return m_kind; }

    int barCount() const;
    // The value the bar of an option currently shows (0 for an index out of range).
    qint64 barValue(int optionIndex) const;
    // The text next to the bar, e.g. "1,234 · 42.5 % ★" (★ marks the leader).
    QString barLabel(int optionIndex) const;
    bool isLeader(int optionIndex) const;
    QColor barColour(int optionIndex) const;

    QChart *chart() const { return m_chart; }

Q_SIGNALS:
    void tallyKindChanged(ResultsChart::TallyKind kind);

protected:
    void changeEvent(QEvent *event) override;

private:
    void rebuildSeries();
    void updateBars();
    void growValueAxis(qint64 maxValue);
    void layoutLabels();
    void applyPalette();
    // Option i sits at category count-1-i, so the first option is drawn on top.
    int categoryOf(int optionIndex) const { return barCount() - 1 - optionIndex; }

    SessionDefinition m_session;
    TallySnapshotPtr m_snapshot;
    TallyKind m_kind = TallyKind::Exact;

    QChartView *m_view = nullptr;
    QChart *m_chart = nullptr;
    QBarCategoryAxis *m_categoryAxis = nullptr;
    QValueAxis *m_valueAxis = nullptr;
    QHorizontalStackedBarSeries *m_series = nullptr;
    QList<QBarSet *> m_sets;
    QList<QGraphicsSimpleTextItem *> m_labels;
    std::vector<qint64> m_shownValues;
    std::vector<bool> m_leaders;
    qint64 m_axisMax = 0;

    QLabel *m_totalLabel = nullptr;
    QToolButton *m_exactButton = nullptr;
    QToolButton *m_rawButton = nullptr;
};
