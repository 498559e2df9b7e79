#include "totalspanel.h"

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>

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
    captionFont.setPointSize(10);
    captionFont.setCapitalization(QFont::AllUppercase);
    // The audience and flow figures large, two to a row: room for "12,345,678" each. The
    // trouble figures (rejected, late, queue) smaller, three to a row: usually small numbers,
    // and the table beside the results says more about them.
    QFont largeFont = font();
    largeFont.setPointSize(24);
    largeFont.setBold(true);
    QFont smallFont = largeFont;
    smallFont.setPointSize(18);

    // Two grids rather than one with spans: each column of each grid is exactly as wide as
    // its widest figure needs.
    auto *large = new QGridLayout;
    auto *small = new QGridLayout;
    for (QGridLayout *grid : {large, small}) {
        grid->setContentsMargins(0, 0, 0, 0);
        grid->setHorizontalSpacing(16);
        grid->setVerticalSpacing(0);
    }
    for (int i = 0; i < FieldCount; ++i) {
        const Caption &caption = captions[i];
        auto *captionLabel = new QLabel(caption.text, this);
        captionLabel->setFont(captionFont);
        captionLabel->setForegroundRole(QPalette::PlaceholderText);
        auto *valueLabel = new QLabel(formatCount(0), this);
        valueLabel->setObjectName(caption.objectName);
        valueLabel->setToolTip(caption.toolTip);
        captionLabel->setToolTip(caption.toolTip);
        m_values[static_cast<size_t>(caption.field)] = valueLabel;

        // Large: audience (row 0) and flow (row 2), two to a row. Small: the trouble figures.
        static constexpr int rows[FieldCount] = {0, 0, 0, 0, 0, 3, 3};
        static constexpr int columns[FieldCount] = {0, 1, 0, 1, 2, 0, 1};
        const bool isLarge = (caption.field == Field::Accepted || caption.field == Field::UniqueVoters ||
                              caption.field == Field::VotesPerSecond || caption.field == Field::LatencyP99);
        valueLabel->setFont(isLarge ? largeFont : smallFont);
        // Room reserved for the largest figure of a big show from the start (eight digits
        // large, seven small), so the column never widens mid-show and nothing is cut.
        // (+4: digits differ in width by a pixel in some faces.)
        valueLabel->setMinimumWidth(QFontMetrics(valueLabel->font())
                                        .horizontalAdvance(formatCount(isLarge ? 88'888'888 : 8'888'888)) +
                                    4);
        QGridLayout *grid = isLarge ? large : small;
        grid->addWidget(captionLabel, rows[i], columns[i]);
        grid->addWidget(valueLabel, rows[i] + 1, columns[i]);
    }
    large->setRowMinimumHeight(2, 6);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(8);
    layout->addLayout(large);
    layout->addLayout(small);
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
