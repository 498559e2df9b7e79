#pragma once

#include <QList>
#include <QWidget>

// Vote requests per second over the last minute as a row of bars, oldest left, the
// current (still counting) second right: a burst shows as a spike the operator can see
// at a glance, where a number alone ("busiest second: 843") says nothing about its shape.
// A bar above kBurstFactor times the median of the minute is drawn in the alert colour.
// Painted by hand (a QChart for 60 bars is heavy in a panel refreshed every second).
class BurstStrip final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BurstStrip)

public:
    static constexpr double kBurstFactor = 3.0;

    explicit BurstStrip(QWidget *parent = nullptr);

    // One count per second, oldest first (FraudSnapshot::perSecond).
    void setCounts(const QList<qint64> &perSecond);
    // The seconds drawn as bursts: above kBurstFactor x the median of the non-empty seconds,
    // and at least kMinBurstVotes. Indexes into the counts.
    QList<int> burstSeconds() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    static constexpr qint64 kMinBurstVotes = 10;

    QList<qint64> m_counts;
};
