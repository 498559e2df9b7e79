#pragma once

#include <array>

#include <QWidget>

#include "engine/consolebackend.h"
#include "metrics/metricssampler.h"
#include "tally/tallysnapshot.h"

class QLabel;

// The session's running totals as large numbers: accepted, unique voters, rejected, late and
// the ingest queue depth; and the last second's rate and latency, so the operator sees at a
// glance whether votes are flowing.
class TotalsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TotalsPanel)

public:
    enum class Field
    {
        Accepted = 0,
        UniqueVoters,
        Rejected,
        Late,
        QueueDepth,
        VotesPerSecond,
        LatencyP99
    };
    static constexpr int FieldCount = 7;

    explicit TotalsPanel(QWidget *parent = nullptr);

    void setTotals(const TallySnapshot &tally, const SessionCounters &counters);
    // The pipeline's last second: votes/s acknowledged and the end-to-end p99.
    void setRates(const SecondSample &latest);

    QString text(Field field) const;

private:
    void setValue(Field field, qint64 value);

    std::array<QLabel *, FieldCount> m_values{};
    QMap<QString, qint64> m_shownReasons;
};
