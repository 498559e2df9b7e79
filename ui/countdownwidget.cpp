#include "countdownwidget.h"

#include <algorithm>

#include <QDateTime>
#include <QFontDatabase>
#include <QLabel>
#include <QVBoxLayout>

#include "theme.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Below this the countdown shows tenths: the last seconds are when a presenter counts down
// on air and the operator needs to see the clock move.
constexpr qint64 TenthsBelowMs = 10'000;
// 72 pt digits are about 2 cm tall on a 24" full-HD monitor: readable from across the gallery
// (3 m; the usual legibility rule is 1 cm per 2-2.5 m). Larger would not fit a 1280 x 800
// console beside the results.
constexpr int DigitsPointSize = 72;
// "00:00.0": the longest text of any window under ten hours.
constexpr qsizetype DigitsReferenceLength = 7;

QString wallClock(qint64 msSinceEpoch)
{
    // 0 means "not known" (e.g. a status from before the instant was recorded), not 1970.
    if (msSinceEpoch <= 0)
        return u"--:--:--"_s;
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch).toString(u"HH:mm:ss"_s);
}
} // namespace

CountdownWidget::CountdownWidget(QWidget *parent)
    : QWidget(parent)
{
    m_stateLabel = new QLabel(this);
    m_stateLabel->setObjectName(u"windowStateLabel"_s);
    m_stateLabel->setAlignment(Qt::AlignCenter);
    m_stateLabel->setAutoFillBackground(true);
    m_stateLabel->setMargin(6);
    QFont stateFont = m_stateLabel->font();
    stateFont.setPointSize(22);
    stateFont.setBold(true);
    stateFont.setLetterSpacing(QFont::AbsoluteSpacing, 3);
    m_stateLabel->setFont(stateFont);

    m_digitsLabel = new QLabel(this);
    m_digitsLabel->setObjectName(u"countdownLabel"_s);
    m_digitsLabel->setAlignment(Qt::AlignCenter);
    // A fixed-pitch face keeps every digit the same width, so the clock does not jitter
    // sideways ten times a second.
    applyDigitsFont(DigitsReferenceLength);

    m_detailLabel = new QLabel(this);
    m_detailLabel->setObjectName(u"countdownDetailLabel"_s);
    m_detailLabel->setAlignment(Qt::AlignCenter);
    QFont detailFont = m_detailLabel->font();
    detailFont.setPointSize(16);
    m_detailLabel->setFont(detailFont);

    m_estimateLabel = new QLabel(this);
    m_estimateLabel->setObjectName(u"closingEstimateLabel"_s);
    m_estimateLabel->setAlignment(Qt::AlignCenter);
    QFont estimateFont = m_detailLabel->font();
    estimateFont.setBold(true);
    m_estimateLabel->setFont(estimateFont);
    // Its line is always there, empty or not: the buttons below must not move when the lines
    // start closing, just as the operator reaches for them.
    m_estimateLabel->setMinimumHeight(QFontMetrics(estimateFont).height());
    QPalette estimatePalette = m_estimateLabel->palette();
    estimatePalette.setColor(QPalette::WindowText, stateColour(WindowState::Closing));
    m_estimateLabel->setPalette(estimatePalette);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_stateLabel);
    layout->addWidget(m_digitsLabel);
    layout->addWidget(m_detailLabel);
    layout->addWidget(m_estimateLabel);

    setStatus(WindowStatus{});
}

void CountdownWidget::setStatus(const WindowStatus &status)
{
    const bool open = (status.state == WindowState::Open);
    const bool finalSeconds = open && (status.remainingMs < TenthsBelowMs);

    QString digits;
    QString detail;
    switch (status.state) {
    case WindowState::Draft:
        digits = formatRemaining(status.remainingMs, false);
        detail = tr("being set up");
        break;
    case WindowState::Ready:
        digits = formatRemaining(status.remainingMs, false);
        detail = tr("lines not open yet");
        break;
    case WindowState::Open:
        digits = formatRemaining(status.remainingMs, finalSeconds);
        detail = tr("closes at %1").arg(wallClock(status.closesAtMs));
        break;
    case WindowState::Closing:
        digits = formatRemaining(0, false);
        // The estimate line below says how long the queued votes take.
        detail = tr("closed at %1").arg(wallClock(status.closedAtMs));
        break;
    case WindowState::Closed:
        digits = formatRemaining(0, false);
        detail = tr("closed at %1").arg(wallClock(status.closedAtMs));
        break;
    case WindowState::Final:
        digits = formatRemaining(0, false);
        detail = tr("closed at %1 · results certified").arg(wallClock(status.closedAtMs));
        break;
    }

    // QLabel relayouts on every setText; skip it when nothing changed (most ticks when closed).
    if (m_digitsLabel->text() != digits) {
        applyDigitsFont(digits.size());
        m_digitsLabel->setText(digits);
    }
    if (m_detailLabel->text() != detail)
        m_detailLabel->setText(detail);
    if (status.state != m_shownState) {
        m_shownState = status.state;
        m_stateLabel->setText(windowStateName(status.state).toUpper());
        applyStateColour(status.state);
    }
    if (finalSeconds != m_finalSeconds) {
        m_finalSeconds = finalSeconds;
        applyDigitsColour(finalSeconds);
    }
}

QString CountdownWidget::countdownText() const
{
    return m_digitsLabel->text();
}

QString CountdownWidget::stateText() const
{
    return m_stateLabel->text();
}

QString CountdownWidget::detailText() const
{
    return m_detailLabel->text();
}

void CountdownWidget::setClosingEstimate(const QString &text)
{
    if (m_estimateLabel->text() != text)
        m_estimateLabel->setText(text);
}

QString CountdownWidget::closingEstimateText() const
{
    return m_estimateLabel->text();
}

QString CountdownWidget::formatRemaining(qint64 remainingMs, bool withTenths)
{
    const qint64 ms = qMax<qint64>(remainingMs, 0);
    const auto two = [](qint64 value) {
        return QString::number(value).rightJustified(2, u'0');
    };
    if (withTenths) {
        const qint64 tenths = (ms + 99) / 100;
        const qint64 seconds = tenths / 10;
        return two(seconds / 60) % u':' % two(seconds % 60) % u'.' % QString::number(tenths % 10);
    }
    const qint64 seconds = (ms + 999) / 1000;
    if (seconds >= 3600)
        return QString::number(seconds / 3600) % u':' % two((seconds / 60) % 60) % u':' % two(seconds % 60);
    return two(seconds / 60) % u':' % two(seconds % 60);
}

QColor CountdownWidget::stateColour(WindowState state)
{
    // Mid-tone signal colours that read on both dark and light palettes.
    switch (state) {
    case WindowState::Draft:
        return QColor(0x8a, 0x8f, 0x98);
    case WindowState::Ready:
        return QColor(0xe0, 0xa8, 0x00);
    case WindowState::Open:
        return QColor(0x2f, 0xbf, 0x4a);
    case WindowState::Closing:
        return QColor(0xff, 0x8c, 0x1a);
    case WindowState::Closed:
        return QColor(0xe5, 0x48, 0x3a);
    case WindowState::Final:
        return QColor(0x3d, 0x8b, 0xfd);
    }
    return QColor(0x8a, 0x8f, 0x98);
}

void CountdownWidget::applyStateColour(WindowState state)
{
    const QColor colour = stateColour(state);
    QPalette palette = m_stateLabel->palette();
    palette.setColor(QPalette::Window, colour);
    palette.setColor(QPalette::WindowText, textColourOn(colour));
    m_stateLabel->setPalette(palette);
}

void CountdownWidget::applyDigitsColour(bool finalSeconds)
{
    if (!finalSeconds) {
        // An empty palette resolves nothing, so the digits follow the theme again.
        m_digitsLabel->setPalette(QPalette());
        return;
    }
    QPalette palette = m_digitsLabel->palette();
    palette.setColor(QPalette::WindowText, QColor(0xff, 0x5a, 0x4f));
    m_digitsLabel->setPalette(palette);
}

void CountdownWidget::applyDigitsFont(qsizetype characters)
{
    // Full size up to "00:00.0" (the last ten seconds), so the clock never changes size in a
    // show; only a window of ten hours or more gets smaller digits to stay on screen.
    const qsizetype sizedFor = std::max(characters, DigitsReferenceLength);
    const auto pointSize = int(DigitsPointSize * DigitsReferenceLength / sizedFor);
    if (pointSize == m_digitsPointSize)
        return;
    m_digitsPointSize = pointSize;
    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setPointSize(pointSize);
    font.setBold(true);
    m_digitsLabel->setFont(font);
    // As wide as the widest clock from the start, so the tenths of the last ten seconds do
    // not widen the column (and move everything beside it) at the most watched moment.
    m_digitsLabel->setMinimumWidth(QFontMetrics(font).horizontalAdvance(QString(sizedFor, u'0')) + 8);
}
