#include "rehearsalbar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>

#include "engine/consolebackend.h"
#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

RehearsalBar::RehearsalBar(ConsoleBackend &backend, QWidget *parent)
    : QToolBar(tr("Rehearsal"), parent)
    , m_backend(backend)
{
    setObjectName(u"rehearsalBar"_s);
    setMovable(false);
    setFloatable(false);
    // Not offered in the toolbar menu: it follows the session, not the operator's taste.
    toggleViewAction()->setVisible(false);

    auto *strip = new QWidget(this);
    strip->setObjectName(u"rehearsalStrip"_s);
    strip->setStyleSheet(
        u"#rehearsalStrip { background: #ffb300; } #rehearsalStrip QLabel { color: black; }"_s);
    m_banner = new QLabel(tr("REHEARSAL"), strip);
    m_banner->setObjectName(u"rehearsalBanner"_s);
    QFont big = m_banner->font();
    big.setPointSizeF(big.pointSizeF() * 1.8);
    big.setBold(true);
    m_banner->setFont(big);
    m_banner->setToolTip(
        tr("This session is a rehearsal: its results, feeds and files are all marked REHEARSAL"));

    m_shape = new QComboBox(strip);
    m_shape->setObjectName(u"rehearsalShape"_s);
    m_shape->addItem(tr("Steady"), int(RehearsalShape::Steady));
    m_shape->addItem(tr("Ramp up"), int(RehearsalShape::Ramp));
    m_shape->addItem(tr("Spike (\u201cvote now!\u201d)"), int(RehearsalShape::Spike));
    m_rate = new QSpinBox(strip);
    m_rate->setObjectName(u"rehearsalRate"_s);
    m_rate->setRange(1, RehearsalPlan::MaxRatePerSecond);
    m_rate->setValue(50);
    m_rate->setSuffix(tr(" votes/s"));
    m_rate->setToolTip(tr("The steady rate, or the peak of a ramp or a spike"));
    m_duration = new QSpinBox(strip);
    m_duration->setObjectName(u"rehearsalDuration"_s);
    m_duration->setRange(1, RehearsalPlan::MaxDurationSeconds);
    m_duration->setValue(300);
    m_duration->setSuffix(tr(" s"));
    m_startStop = new QPushButton(tr("Start simulated audience"), strip);
    m_startStop->setObjectName(u"rehearsalStartStop"_s);
    m_status = new QLabel(strip);
    m_status->setObjectName(u"rehearsalStatus"_s);

    auto *layout = new QHBoxLayout(strip);
    layout->setContentsMargins(12, 4, 12, 4);
    layout->setSpacing(10);
    layout->addWidget(m_banner);
    layout->addSpacing(16);
    layout->addWidget(m_shape);
    layout->addWidget(m_rate);
    layout->addWidget(m_duration);
    layout->addWidget(m_startStop);
    layout->addWidget(m_status, 1);
    addWidget(strip);

    connect(m_startStop, &QPushButton::clicked, this, &RehearsalBar::startOrStop);
    connect(&backend, &ConsoleBackend::sessionChanged, this, &RehearsalBar::sessionChanged);
    connect(&backend, &ConsoleBackend::rehearsalChanged, this, &RehearsalBar::refresh);
    m_timer = new QTimer(this);
    m_timer->setInterval(RefreshIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &RehearsalBar::refresh);
    sessionChanged();
}

void RehearsalBar::sessionChanged()
{
    const bool rehearsal = m_backend.session().rehearsal;
    setVisible(rehearsal);
    if (rehearsal)
        m_timer->start();
    else
        m_timer->stop();
    refresh();
}

void RehearsalBar::refresh()
{
    const RehearsalStatus status = m_backend.rehearsalStatus();
    m_startStop->setText(status.running ? tr("Stop simulated audience") : tr("Start simulated audience"));
    for (QWidget *w : {static_cast<QWidget *>(m_shape), static_cast<QWidget *>(m_rate),
                       static_cast<QWidget *>(m_duration)})
        w->setEnabled(!status.running);
    if (status.running) {
        // The run may have been started from automation: show its plan, not stale input.
        m_shape->setCurrentIndex(qMax(0, m_shape->findData(int(status.plan.shape))));
        m_rate->setValue(status.plan.ratePerSecond);
        m_duration->setValue(status.plan.durationSeconds);
    }
    if (!status.error.isEmpty()) {
        m_status->setText(status.error);
        return;
    }
    if (status.startedAtMs == 0) {
        m_status->setText(
            tr("Simulated votes go through the real ingest path (HTTP to this console's port)."));
        return;
    }
    m_status->setText(tr("%1 · sent %2 · accepted %3 · refused %4 · failed %5")
                          .arg(status.running ? status.plan.describe() : tr("stopped"),
                               formatCount(status.sent), formatCount(status.accepted),
                               formatCount(status.refused), formatCount(status.failed)));
}

void RehearsalBar::startOrStop()
{
    if (m_backend.rehearsalStatus().running) {
        m_backend.stopRehearsal();
        refresh();
        return;
    }
    RehearsalPlan plan;
    plan.shape = RehearsalShape(m_shape->currentData().toInt());
    plan.ratePerSecond = m_rate->value();
    plan.durationSeconds = m_duration->value();
    QString error;
    if (!m_backend.startRehearsal(plan, &error)) {
        m_status->setText(error);
        return;
    }
    refresh();
}
