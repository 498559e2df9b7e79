#include "alertsstrip.h"

#include <QDateTime>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

#include "theme.h"

using namespace Qt::Literals::StringLiterals;

AlertsStrip::AlertsStrip(QWidget *parent)
    : QFrame(parent)
{
    setObjectName(u"alertsStrip"_s);
    setAutoFillBackground(true);
    setFrameShape(QFrame::NoFrame);

    m_badge = new QLabel(this);
    m_badge->setObjectName(u"alertSeverityBadge"_s);
    QFont badgeFont = m_badge->font();
    badgeFont.setBold(true);
    m_badge->setFont(badgeFont);
    // The widest word, so the text after it does not move when the severity changes.
    m_badge->setMinimumWidth(m_badge->fontMetrics().horizontalAdvance(u"CRITICAL"_s) + 4);

    m_text = new QLabel(this);
    m_text->setObjectName(u"alertText"_s);
    m_text->setTextFormat(Qt::PlainText);
    // One line, whatever the detail: elided by the layout, the whole line in the tooltip.
    m_text->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_text->installEventFilter(this);
    QFont textFont = m_text->font();
    textFont.setPointSize(textFont.pointSize() + 1);
    m_text->setFont(textFont);

    m_counts = new QLabel(this);
    m_counts->setObjectName(u"alertCounts"_s);

    m_logButton = new QPushButton(tr("Event log…"), this);
    m_logButton->setObjectName(u"eventLogButton"_s);
    m_logButton->setFocusPolicy(Qt::NoFocus);
    m_logButton->setToolTip(tr("Every operator action and alert of this session, as stored (Ctrl+J)"));
    connect(m_logButton, &QPushButton::clicked, this, &AlertsStrip::eventLogRequested);

    auto *layout = new QHBoxLayout(this);
    // As tall as a menu bar's line: it sits in the menu bar's corner and must not make it taller.
    layout->setContentsMargins(10, 0, 2, 0);
    m_logButton->setFlat(true);
    m_logButton->setFixedHeight(fontMetrics().height() + 6);
    layout->setSpacing(12);
    layout->addWidget(m_badge);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_counts);
    layout->addWidget(m_logButton);
    setFixedHeight(sizeHint().height());

    ConsoleEvent none;
    none.kind = u"none"_s;
    display(none);
}

void AlertsStrip::addEvents(const QList<ConsoleEvent> &events)
{
    if (events.isEmpty())
        return;
    for (const ConsoleEvent &event : events) {
        if (event.severity == Severity::Warning)
            ++m_warnings;
        else if (event.severity == Severity::Critical)
            ++m_criticals;
    }
    display(events.constLast());
}

void AlertsStrip::display(const ConsoleEvent &event)
{
    m_shown = event;
    const bool none = event.seq == 0;
    const QColor background = none || event.severity == Severity::Info
                                  ? palette().color(QPalette::AlternateBase)
                                  : severityColour(event.severity);
    const QColor foreground =
        none || event.severity == Severity::Info ? QColor(0xe6, 0xe8, 0xeb) : textColourOn(background);
    QPalette palette = this->palette();
    palette.setColor(QPalette::Window, background);
    palette.setColor(QPalette::WindowText, foreground);
    setPalette(palette);

    m_badge->setText(none ? QString() : severityName(event.severity).toUpper());
    m_line = none ? tr("No events yet in this run") : describe(event);
    m_text->setToolTip(m_line);
    elideText();
    QStringList counts;
    if (m_criticals > 0)
        counts.append(tr("%1 critical").arg(m_criticals));
    if (m_warnings > 0)
        counts.append(m_warnings == 1 ? tr("1 warning") : tr("%1 warnings").arg(m_warnings));
    m_counts->setText(counts.join(u" · "_s));
}

void AlertsStrip::setPreferredWidth(int width)
{
    if (width == m_preferredWidth)
        return;
    m_preferredWidth = width;
    updateGeometry();
}

QSize AlertsStrip::sizeHint() const
{
    const QSize natural = QFrame::sizeHint();
    return {m_preferredWidth > 0 ? m_preferredWidth : natural.width(), natural.height()};
}

QString AlertsStrip::text() const
{
    return m_line;
}

bool AlertsStrip::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_text && event->type() == QEvent::Resize)
        elideText();
    return QFrame::eventFilter(watched, event);
}

void AlertsStrip::elideText()
{
    // Ends in "…" rather than cut mid-letter; the whole line is in the tooltip and the log.
    m_text->setText(m_text->fontMetrics().elidedText(m_line, Qt::ElideRight, m_text->width()));
}

QColor AlertsStrip::severityColour(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return QColor(0x3a, 0x3f, 0x47);
    case Severity::Warning:
        return QColor(0xff, 0xb0, 0x20); // amber: black text on it
    case Severity::Critical:
        return QColor(0xb0, 0x00, 0x20); // the storage strip's red: white text on it
    }
    return QColor(0x3a, 0x3f, 0x47);
}

QString AlertsStrip::kindTitle(const QString &kind)
{
    static const QHash<QString, QString> titles{
        {u"lines_opened"_s, tr("Lines opened")},
        {u"lines_extended"_s, tr("Lines extended")},
        {u"lines_closed"_s, tr("Lines closed")},
        {u"results_frozen"_s, tr("Results exact")},
        {u"results_published"_s, tr("Results published")},
        {u"finalized"_s, tr("Finalized")},
        {u"finalize_refused"_s, tr("Finalize refused")},
        {u"policy_replayed"_s, tr("Policy replayed")},
        {u"auto_publish_on"_s, tr("Auto-publish on")},
        {u"auto_publish_off"_s, tr("Auto-publish off")},
        {u"queue_high"_s, tr("Queue filling")},
        {u"queue_normal"_s, tr("Queue normal")},
        {u"overloaded"_s, tr("Refusing votes (503)")},
        {u"overload_ended"_s, tr("503s over")},
        {u"storage_error"_s, tr("Cannot store votes")},
        {u"storage_recovered"_s, tr("Store recovered")},
        {u"canary_missing"_s, tr("Canary vote not stored")},
        {u"canary_recovered"_s, tr("Canary vote stored again")},
        {u"port_in_use"_s, tr("Port in use")},
        {u"clock_jump"_s, tr("Clock jumped")},
        {u"session_created"_s, tr("Session created")},
        {u"drain_resumed"_s, tr("Drain resumed")},
    };
    const QString title = titles.value(kind);
    if (!title.isEmpty())
        return title;
    QString words = kind;
    words.replace(u'_', u' ');
    if (!words.isEmpty())
        words[0] = words[0].toUpper();
    return words;
}

QString AlertsStrip::describe(const ConsoleEvent &event)
{
    const QString time = QDateTime::fromMSecsSinceEpoch(event.atMs).toString(u"HH:mm:ss"_s);
    return u"%1   %2: %3  (%4)"_s.arg(time, kindTitle(event.kind), event.detail, event.actor);
}
