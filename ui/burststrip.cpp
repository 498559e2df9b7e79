#include "burststrip.h"

#include <algorithm>

#include <QPainter>

#include "numberformat.h"

BurstStrip::BurstStrip(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("fraudBurstStrip"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void BurstStrip::setCounts(const QList<qint64> &perSecond)
{
    if (perSecond == m_counts)
        return; // nothing moved: no repaint
    m_counts = perSecond;
    update();
}

QList<int> BurstStrip::burstSeconds() const
{
    QList<qint64> busy;
    for (qint64 count : m_counts) {
        if (count > 0)
            busy.append(count);
    }
    QList<int> bursts;
    if (busy.isEmpty())
        return bursts;
    std::nth_element(busy.begin(), busy.begin() + busy.size() / 2, busy.end());
    const double threshold = std::max(double(kMinBurstVotes), kBurstFactor * double(busy[busy.size() / 2]));
    for (int i = 0; i < m_counts.size(); ++i) {
        if (double(m_counts[i]) > threshold)
            bursts.append(i);
    }
    return bursts;
}

QSize BurstStrip::sizeHint() const
{
    return {480, fontMetrics().height() * 4};
}

QSize BurstStrip::minimumSizeHint() const
{
    return {120, fontMetrics().height() * 3};
}

void BurstStrip::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QPalette pal = palette();
    painter.fillRect(rect(), pal.color(QPalette::Base));
    const int labelHeight = fontMetrics().height();
    const QRect plot = rect().adjusted(2, labelHeight + 2, -2, -2);
    const qint64 peak = m_counts.isEmpty() ? 0 : *std::max_element(m_counts.cbegin(), m_counts.cend());

    painter.setPen(pal.color(QPalette::PlaceholderText));
    painter.drawText(rect().adjusted(4, 0, -4, 0), Qt::AlignLeft | Qt::AlignTop,
                     tr("Votes per second, last minute"));
    painter.drawText(rect().adjusted(4, 0, -4, 0), Qt::AlignRight | Qt::AlignTop,
                     tr("peak %1/s").arg(formatCount(peak)));
    if (m_counts.isEmpty() || peak <= 0 || plot.height() <= 0)
        return;

    const QList<int> bursts = burstSeconds();
    const double slot = double(plot.width()) / double(m_counts.size());
    const double gap = slot >= 4.0 ? 1.0 : 0.0;
    for (int i = 0; i < m_counts.size(); ++i) {
        if (m_counts[i] <= 0)
            continue;
        const double height = std::max(1.0, double(plot.height()) * double(m_counts[i]) / double(peak));
        const QRectF bar(plot.left() + slot * i, plot.bottom() + 1 - height, slot - gap, height);
        painter.fillRect(bar, bursts.contains(i) ? QColor(0xe6, 0x3b, 0x2e) : pal.color(QPalette::Highlight));
    }
}
