#include "totalspanel.h"

#include <QGridLayout>
#include <QLabel>

#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

TotalsPanel::TotalsPanel(QWidget *parent)
    : QWidget(parent)
{
    struct Caption
    {
        Field field;
        QString text;
        QString objectName;
        QString toolTip;
    };
    const Caption captions[FieldCount] = {
        {Field::Accepted, tr("Accepted"), u"acceptedValue"_s, tr("Votes stored and counted (raw)")},
        {Field::UniqueVoters, tr("Unique voters"), u"uniqueVotersValue"_s,
         tr("Distinct voter ids among them")},
        {Field::Rejected, tr("Rejected"), u"rejectedValue"_s, tr("Votes answered with an error")},
        {Field::Late, tr("Late"), u"lateValue"_s, tr("Of the rejected: received after the close")},
        {Field::QueueDepth, tr("Queue"), u"queueDepthValue"_s, tr("Votes received and not yet committed")},
        {Field::VotesPerSecond, tr("Votes/s"), u"votesPerSecondValue"_s,
         tr("Votes acknowledged in the last second")},
        {Field::LatencyP99, tr("p99 latency"), u"latencyP99Value"_s,
         tr("99 % of the last second's votes were acknowledged within this time (receipt to stored)")},
    };

    QFont captionFont = font();
    captionFont.setPointSize(11);
    captionFont.setCapitalization(QFont::AllUppercase);
    QFont valueFont = font();
    valueFont.setPointSize(28);
    valueFont.setBold(true);

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setHorizontalSpacing(24);
    layout->setVerticalSpacing(2);
    // The audience figures on top, the trouble figures (rejected, late, queue) below them.
    for (int i = 0; i < FieldCount; ++i) {
        const Caption &caption = captions[i];
        auto *captionLabel = new QLabel(caption.text, this);
        captionLabel->setFont(captionFont);
        captionLabel->setForegroundRole(QPalette::PlaceholderText);
        auto *valueLabel = new QLabel(formatCount(0), this);
        valueLabel->setObjectName(caption.objectName);
        valueLabel->setFont(valueFont);
        valueLabel->setToolTip(caption.toolTip);
        captionLabel->setToolTip(caption.toolTip);
        m_values[static_cast<size_t>(caption.field)] = valueLabel;

        // Audience figures, trouble figures, flow figures: three rows of up to three.
        static constexpr int rows[FieldCount] = {0, 0, 3, 3, 3, 6, 6};
        static constexpr int columns[FieldCount] = {0, 1, 0, 1, 2, 0, 1};
        const int row = rows[i];
        const int column = columns[i];
        layout->addWidget(captionLabel, row, column);
        layout->addWidget(valueLabel, row + 1, column);
    }
    layout->setRowMinimumHeight(2, 12);
    layout->setRowMinimumHeight(5, 12);
    setRates({});
}

void TotalsPanel::setRates(const SecondSample &latest)
{
    QLabel *rate = m_values[static_cast<size_t>(Field::VotesPerSecond)];
    QLabel *latency = m_values[static_cast<size_t>(Field::LatencyP99)];
    const bool none = latest.atMs == 0;
    const QString rateText = none ? u"\u2014"_s : formatCount(latest.accepted);
    // No votes in the last second: no latency to speak of.
    const QString latencyText = (none || latest.accepted == 0)
                                    ? u"\u2014"_s
                                    : displayLocale().toString(latest.latencyP99Ms, 'f', 1) + u" ms"_s;
    if (rate->text() != rateText)
        rate->setText(rateText);
    if (latency->text() != latencyText)
        latency->setText(latencyText);
}

void TotalsPanel::setTotals(const TallySnapshot &tally, const SessionCounters &counters)
{
    setValue(Field::Accepted, tally.accepted);
    setValue(Field::UniqueVoters, tally.uniqueVoters);
    setValue(Field::Rejected, counters.rejected);
    setValue(Field::Late, counters.late);
    setValue(Field::QueueDepth, counters.queueDepth);

    if (counters.rejectedByReason != m_shownReasons) {
        m_shownReasons = counters.rejectedByReason;
        QString tip = tr("Votes answered with an error");
        for (auto it = m_shownReasons.cbegin(); it != m_shownReasons.cend(); ++it)
            tip += u'\n' % it.key() % u": "_s % formatCount(it.value());
        m_values[static_cast<size_t>(Field::Rejected)]->setToolTip(tip);
    }
}

QString TotalsPanel::text(Field field) const
{
    return m_values[static_cast<size_t>(field)]->text();
}

void TotalsPanel::setValue(Field field, qint64 value)
{
    QLabel *label = m_values[static_cast<size_t>(field)];
    const QString text = formatCount(value);
    if (label->text() != text)
        label->setText(text);
}
