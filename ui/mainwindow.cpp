#include "mainwindow.h"

#include <cstdlib>

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QResizeEvent>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

#include "alertsstrip.h"
#include "audiencepanel.h"
#include "closingestimate.h"
#include "countdownwidget.h"
#include "counterspanel.h"
#include "engine/consolebackend.h"
#include "engine/consolesettings.h"
#include "eventlogdialog.h"
#include "export/csvwriter.h"
#include "export/resulttable.h"
#include "framestats.h"
#include "fraudpanel.h"
#include "pipelinegraphs.h"
#include "replaydialog.h"
#include "resultschart.h"
#include "resultscontrols.h"
#include "sessionheader.h"
#include "settingsdialog.h"
#include "shortcutguard.h"
#include "totalspanel.h"
#include "windowcontrols.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QFrame *makeSeparator(QWidget *parent)
{
    auto *line = new QFrame(parent);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Plain);
    line->setForegroundRole(QPalette::Mid);
    return line;
}
} // namespace

MainWindow::MainWindow(ConsoleBackend &backend, QWidget *parent)
    : QMainWindow(parent)
    , m_backend(backend)
    , m_frameStats(FrameStats::fromEnvironment())
{
    auto *central = new QWidget(this);
    central->setObjectName(u"consoleCentralWidget"_s);

    m_header = new SessionHeader(central);
    m_header->setObjectName(u"sessionHeader"_s);
    connect(m_header, &SessionHeader::ingestUrlCopied, this, [this](const QString &url) {
        statusBar()->showMessage(tr("Copied %1 to the clipboard").arg(url), 5'000);
    });

    m_chart = new ResultsChart(central);
    m_chart->setObjectName(u"resultsChart"_s);
    m_counters = new CountersPanel(central);
    m_counters->setObjectName(u"countersPanel"_s);
    m_graphs = new PipelineGraphs(central);
    m_graphs->setObjectName(u"pipelineGraphs"_s);
    m_graphs->setQueueCapacity(backend.queueCapacity());

    // Top right: what goes on air, and beside it why votes were refused. Bottom right: the
    // pipeline over ten minutes. The operator may trade one for the other with the splitter.
    auto *top = new QWidget(central);
    auto *topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(20);
    topLayout->addWidget(m_chart, 1);
    // Beside the results: why votes were refused, and under it where the studio audience
    // votes (the QR code for the floor screen).
    m_audience = new AudiencePanel(top);
    m_audience->setObjectName(u"audiencePanel"_s);
    connect(m_audience, &AudiencePanel::audienceUrlCopied, this, [this](const QString &url) {
        statusBar()->showMessage(tr("Copied %1 to the clipboard").arg(url), 5'000);
    });
    auto *side = new QWidget(top);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->setSpacing(6);
    sideLayout->addWidget(m_counters, 1);
    sideLayout->addWidget(m_audience, 0);
    topLayout->addWidget(side, 0);
    // Narrower on a small screen (the captions elide, the counts never), never wider than
    // its content needs on a large one: the results get the rest.
    side->setMinimumWidth(230);
    side->setMaximumWidth(320);

    auto *right = new QSplitter(Qt::Vertical, central);
    right->setObjectName(u"consoleSplitter"_s);
    right->setChildrenCollapsible(false);
    right->addWidget(top);
    right->addWidget(m_graphs);
    right->setStretchFactor(0, 1);
    right->setStretchFactor(1, 1);

    auto *body = new QHBoxLayout;
    body->setSpacing(24);
    body->addWidget(buildLeftColumn(central), 0);
    body->addWidget(right, 1);

    m_storageAlert = new QLabel(central);
    m_storageAlert->setObjectName(u"storageAlert"_s);
    m_storageAlert->setWordWrap(true);
    m_storageAlert->setStyleSheet(
        u"QLabel { background: #b00020; color: white; font-weight: bold; padding: 8px 12px; }"_s);
    m_storageAlert->hide();
    m_feedAlert = new QLabel(central);
    m_feedAlert->setObjectName(u"feedAlert"_s);
    m_feedAlert->setWordWrap(true);
    m_feedAlert->setStyleSheet(
        u"QLabel { background: #b36b00; color: white; font-weight: bold; padding: 8px 12px; }"_s);
    m_feedAlert->hide();

    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(20, 12, 20, 8);
    layout->setSpacing(8);
    layout->addWidget(m_storageAlert);
    layout->addWidget(m_feedAlert);
    layout->addWidget(m_header);
    layout->addWidget(makeSeparator(central));
    layout->addLayout(body, 1);
    setCentralWidget(central);

    // Export sits in the status bar, bottom right: always in reach, and the control column
    // keeps its height for the clock and the buttons on a 1280 x 800 screen.
    m_exportButton = new QPushButton(tr("Export CSV…"), this);
    m_exportButton->setObjectName(u"exportCsvButton"_s);
    m_exportButton->setFocusPolicy(Qt::NoFocus);
    connect(m_exportButton, &QPushButton::clicked, this, &MainWindow::exportCsvInteractively);
    // What is on air, beside it: like a recorder's status, always there, never in the way.
    statusBar()->addPermanentWidget(m_results->statusLabel());
    statusBar()->addPermanentWidget(m_exportButton);
    buildMenus();
    // The alerts strip in the menu bar's empty right half: seen at a glance at the top of the
    // screen, and not a pixel of height taken from the clock, the chart or the graphs.
    m_alerts = new AlertsStrip(this);
    m_alerts->setObjectName(u"alertsStrip"_s);
    connect(m_alerts, &AlertsStrip::eventLogRequested, this, &MainWindow::showEventLog);
    menuBar()->setCornerWidget(m_alerts, Qt::TopRightCorner);
    // The menu bar gives its corner widget only its size hint: the strip is sized to the
    // room right of the menus whenever the bar is resized.
    menuBar()->installEventFilter(this);

    // One-key shortcuts must not fire while the operator types in a field of this window.
    QList<QAction *> guarded = m_controls->windowActions() + m_results->actions();
    guarded.removeAll(nullptr);
    m_shortcutGuard = new ShortcutGuard(this, guarded, this);

    m_header->setIngestUrl(backend.ingestUrl());
    reloadSession();

    connect(&backend, &ConsoleBackend::sessionChanged, this, &MainWindow::reloadSession);
    // State changes show at once rather than up to one tick later (the button just pressed
    // must not stay enabled).
    connect(&backend, &ConsoleBackend::windowChanged, this, &MainWindow::refresh);

    m_refreshTimer = new QTimer(this);
    m_refreshTimer->setInterval(RefreshIntervalMs);
    // Precise: a coarse timer drifts by up to 5 %, and the tenths of the last ten seconds
    // would now and then skip a digit or show one twice.
    m_refreshTimer->setTimerType(Qt::PreciseTimer);
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refresh);
    m_refreshTimer->start();

    // A console is run full screen in a gallery; without a window manager (kiosk, Xvfb) the
    // size is what counts, with one the maximised state.
    if (const QScreen *screen = QGuiApplication::primaryScreen())
        resize(screen->availableSize());
    setWindowState(windowState() | Qt::WindowMaximized);
}

MainWindow::~MainWindow() = default;

QWidget *MainWindow::buildLeftColumn(QWidget *parent)
{
    auto *column = new QWidget(parent);
    column->setObjectName(u"controlColumn"_s);
    m_countdown = new CountdownWidget(column);
    m_countdown->setObjectName(u"countdownWidget"_s);
    m_controls = new WindowControls(m_backend, column);
    m_controls->setObjectName(u"windowControls"_s);
    m_results = new ResultsControls(m_backend, column);
    m_results->setObjectName(u"resultsControls"_s);
    m_totals = new TotalsPanel(column);
    m_totals->setObjectName(u"totalsPanel"_s);

    // What the operator acts on: clock, buttons, totals. Tight spacing and no rule above the
    // totals (their captions set them apart): all of it fits a 1280 x 800 screen.
    auto *layout = new QVBoxLayout(column);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);
    layout->addWidget(m_countdown);
    layout->addWidget(m_controls);
    layout->addWidget(m_results);
    layout->addSpacing(4);
    layout->addWidget(m_totals);
    layout->addStretch(1);
    // A fixed width, from the widest clock ("00:00.0"): the column must not widen when the
    // last ten seconds add tenths or a total gains a digit, or everything right of it jumps.
    column->setFixedWidth(column->sizeHint().width());
    return column;
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_settingsAction = file->addAction(tr("Settings…"));
    m_settingsAction->setObjectName(u"settingsAction"_s);
    m_settingsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::openSettings);
    file->addSeparator();
    m_exportAction = file->addAction(tr("Export results as CSV…"));
    m_exportAction->setObjectName(u"exportCsvAction"_s);
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::exportCsvInteractively);
    m_exportButton->setToolTip(tr("Save the exact results as the broadcast CSV (%1)")
                                   .arg(m_exportAction->shortcut().toString(QKeySequence::NativeText)));

    QMenu *lines = menuBar()->addMenu(tr("&Lines"));
    lines->setObjectName(u"linesMenu"_s);
    // Menus do not show tooltips by default; the entries show their keys instead.
    for (QAction *action : m_controls->windowActions()) {
        if (action)
            lines->addAction(action);
        else
            lines->addSeparator();
    }

    QMenu *results = menuBar()->addMenu(tr("&Results"));
    results->setObjectName(u"resultsMenu"_s);
    results->addActions(m_results->actions());
    m_autoPublishAction = results->addAction(tr("Auto-publish (the air follows the tally)"));
    m_autoPublishAction->setObjectName(u"autoPublishAction"_s);
    m_autoPublishAction->setCheckable(true);
    m_autoPublishAction->setToolTip(
        tr("Once the session's visibility allows it, every change of the tally goes on "
           "air by itself (kept with the session)"));
    connect(m_autoPublishAction, &QAction::triggered, this, [this](bool on) {
        QString error;
        if (!m_backend.setAutoPublish(on, &error)) {
            const QSignalBlocker blocker(m_autoPublishAction);
            m_autoPublishAction->setChecked(m_backend.autoPublish());
            QMessageBox::warning(this, tr("Auto-publish not changed"), error);
        }
    });
    results->addSeparator();
    m_replayAction = results->addAction(tr("Replay under another policy…"));
    m_replayAction->setObjectName(u"replayAction"_s);
    m_replayAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    connect(m_replayAction, &QAction::triggered, this, &MainWindow::showReplay);
    m_eventLogAction = results->addAction(tr("Event log…"));
    m_eventLogAction->setObjectName(u"eventLogAction"_s);
    // Ctrl+J (journal): Ctrl+L is the session list's.
    m_eventLogAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_J));
    connect(m_eventLogAction, &QAction::triggered, this, &MainWindow::showEventLog);
    QAction *fraud = results->addAction(tr("Fraud panel…"));
    fraud->setObjectName(u"fraudPanelAction"_s);
    // Ctrl+Shift+F: Ctrl+F is left to a future find; the panel is wanted mid-window, fast.
    fraud->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    connect(fraud, &QAction::triggered, this, [this] {
        if (!m_fraudPanel)
            m_fraudPanel = new FraudPanel(m_backend, this);
        m_fraudPanel->show();
        m_fraudPanel->raise();
    });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *audience = view->addAction(tr("Audience QR code on the second screen"));
    audience->setObjectName(u"audienceScreenAction"_s);
    audience->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(audience, &QAction::triggered, this, [this] { m_audience->showAudienceScreen(-1); });
}

void MainWindow::openSettings()
{
    QSettings stored(QSettings::IniFormat, QSettings::UserScope, u"votedesk"_s, u"votedesk"_s);
    ConsoleSettings current = ConsoleSettings::load(stored);
    if (!current.validate().isEmpty())
        current = ConsoleSettings(); // what this run uses for a broken file (see main.cpp)
    SettingsDialog dialog(current, m_backend.adminAccess(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const ConsoleSettings chosen = dialog.settings();
    chosen.save(stored);
    stored.sync();
    if (stored.status() != QSettings::NoError) {
        QMessageBox::warning(this, tr("Settings not saved"),
                             tr("The settings could not be written to\n%1").arg(stored.fileName()));
        return;
    }
    statusBar()->showMessage(chosen == current ? tr("Settings unchanged")
                                               : tr("Settings saved; they apply when votedesk next starts"),
                             10'000);
}

void MainWindow::showEventLog()
{
    if (!m_eventLog) {
        m_eventLog = new EventLogDialog(m_backend, this);
        m_eventLog->setModal(false);
    }
    m_eventLog->show();
    m_eventLog->raise();
    m_eventLog->activateWindow();
}

void MainWindow::showReplay()
{
    if (!m_replay) {
        m_replay = new ReplayDialog(m_backend, this);
        m_replay->setModal(false);
    }
    m_replay->show();
    m_replay->raise();
    m_replay->activateWindow();
}

void MainWindow::showStorageAlert(const QString &message)
{
    m_storageAlert->setText(tr("Votes cannot be stored: they are refused (503) until the store takes "
                               "writes again, which is checked every second.\n%1")
                                .arg(message));
    m_storageAlert->show();
}

void MainWindow::clearStorageAlert()
{
    m_storageAlert->hide();
    statusBar()->showMessage(tr("The store takes writes again; votes are accepted."), 15'000);
}

void MainWindow::showFeedAlert(const QString &message)
{
    m_feedAlert->setText(tr("The feed files cannot be written: the graphics keep the last good files, "
                            "which no longer follow a publish. Retried every check.\n%1")
                             .arg(message));
    m_feedAlert->show();
}

void MainWindow::clearFeedAlert()
{
    m_feedAlert->hide();
    statusBar()->showMessage(tr("The feed files are written again."), 15'000);
}

void MainWindow::refresh()
{
    const qint64 began = m_frameStats ? m_frameStats->begin() : 0;

    const WindowStatus status = m_backend.windowStatus();
    m_countdown->setStatus(status);
    m_controls->setState(status.state);
    m_results->setState(status.state);
    m_results->setPublished(m_backend.published());
    if (m_autoPublishAction->isChecked() != m_backend.autoPublish()) {
        const QSignalBlocker blocker(m_autoPublishAction); // a change from the API, not a click
        m_autoPublishAction->setChecked(m_backend.autoPublish());
    }
    const QList<ConsoleEvent> events = m_backend.eventsSince(m_lastEventSeq);
    if (!events.isEmpty()) {
        m_lastEventSeq = events.constLast().seq;
        m_alerts->addEvents(events);
        if (m_eventLog && m_eventLog->isVisible())
            m_eventLog->reload();
    }

    bool certified = false;
    const TallySnapshotPtr tally = shownTally(&certified);
    if (m_chartStale || tally->version != m_shownVersion || certified != m_shownCertified) {
        m_chart->setSnapshot(tally);
        m_shownVersion = tally->version;
        m_shownCertified = certified;
        m_chartStale = false;
    }
    // Counters (rejected, late, queue) change without a new tally version.
    const SessionCounters counters = m_backend.counters();
    // The tiles count what was received and acknowledged, excluded votes included: the live tally.
    m_totals->setTotals(*m_backend.tally(), counters);
    m_counters->setCounters(counters);
    refreshPipeline(status);

    QString estimate;
    if (status.state == WindowState::Closing)
        estimate = ClosingEstimate::text(counters.queueDepth, ClosingEstimate::drainRate(m_series));
    else if (status.state == WindowState::Closed)
        estimate = tr("exact result ready");
    m_countdown->setClosingEstimate(estimate);

    if (m_frameStats)
        m_frameStats->end(FrameStats::Kind::Tick, began);
}

void MainWindow::refreshPipeline(const WindowStatus &status)
{
    const SecondSample latest = m_backend.latestMetrics();
    m_totals->setRates(latest);
    m_counters->setStoreSize(m_backend.storeSizeBytes());
    m_counters->setUptime(m_backend.uptimeMs());
    m_counters->setActiveWorkers(latest.activeWorkers, latest.atMs != 0);
    if (latest.atMs == m_shownSampleAtMs)
        return;
    // A new second: the whole series in one batch (the sampler's ring is at most 600 samples).
    m_shownSampleAtMs = latest.atMs;
    m_series = m_backend.metricsSeries();
    m_graphs->setSamples(m_series, wallOffsetMs(status, latest));
}

qint64 MainWindow::wallOffsetMs(const WindowStatus &status, const SecondSample &latest)
{
    // atMs is the engine's monotonic time; uptimeMs() is the same clock now and status.nowMs
    // the wall clock now. Without an uptime the newest sample is taken to be "now".
    const qint64 uptime = m_backend.uptimeMs();
    const qint64 offset = status.nowMs - (uptime > 0 ? uptime : latest.atMs);
    // Re-read each second but adopted only when it moved by more than a second (an NTP step,
    // a suspend): two reads a few milliseconds apart must not make the graphs wobble.
    if (!m_wallOffsetKnown || std::abs(offset - m_wallOffsetMs) > 1000) {
        m_wallOffsetMs = offset;
        m_wallOffsetKnown = true;
    }
    return m_wallOffsetMs;
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == menuBar()) {
        if (event->type() == QEvent::Resize) {
            fitAlertsStrip();
        } else if (event->type() == QEvent::ActionAdded || event->type() == QEvent::ActionRemoved) {
            // A menu added from outside (SessionsMenu): re-measured once the bar has laid it out.
            QMetaObject::invokeMethod(this, &MainWindow::fitAlertsStrip, Qt::QueuedConnection);
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::fitAlertsStrip()
{
    const QList<QAction *> menus = menuBar()->actions();
    const int menusRight = menus.isEmpty() ? 0 : menuBar()->actionGeometry(menus.constLast()).right();
    const int room = menuBar()->width() - menusRight - 24;
    const int width = qMax(240, room);
    if (m_alerts->sizeHint().width() == width)
        return;
    m_alerts->setPreferredWidth(width);
    // The bar lays out its corner widget on resize only; a re-layout request is not enough.
    QResizeEvent relayout(menuBar()->size(), menuBar()->size());
    QCoreApplication::sendEvent(menuBar(), &relayout);
}

bool MainWindow::event(QEvent *event)
{
    // A frame: the top-level window repaints what changed and flushes it to the screen, all
    // within its UpdateRequest.
    if (m_frameStats && event->type() == QEvent::UpdateRequest) {
        const qint64 began = m_frameStats->begin();
        const bool handled = QMainWindow::event(event);
        m_frameStats->end(FrameStats::Kind::Frame, began);
        return handled;
    }
    return QMainWindow::event(event);
}

void MainWindow::reloadSession()
{
    m_session = m_backend.session();
    setWindowTitle(u"votedesk \u2014 "_s % m_session.title);
    m_header->setSession(m_session);
    m_header->setIngestUrl(m_backend.ingestUrl());
    m_audience->setAudience(m_backend.audienceUrl(),
                            m_session.question.isEmpty() ? m_session.title : m_session.question);
    m_chart->setSession(m_session);
    m_graphs->setQueueCapacity(m_backend.queueCapacity());
    m_chartStale = true;
    refresh();
}

TallySnapshotPtr MainWindow::shownTally(bool *certified) const
{
    const PublishedResultsPtr published = m_backend.published();
    const bool final = published && published->final && published->session.id == m_session.id;
    if (certified)
        *certified = final;
    if (!final)
        return m_backend.tally();
    // Shares the published picture's lifetime: no copy of the counts.
    return TallySnapshotPtr(published, &published->tally);
}

bool MainWindow::exportCsv(const QString &path, QString *error)
{
    const TallySnapshotPtr tally = shownTally();
    const auto optionCount = static_cast<size_t>(m_session.options.size());
    std::vector<qint64> votes = tally->exact;
    // Before the first vote the tally has no counts yet: that is all zeros, not an error.
    if (votes.empty())
        votes.assign(optionCount, 0);
    if (votes.size() != optionCount) {
        if (error)
            *error = tr("Could not export to %1: the tally has %2 counts for %3 options.")
                         .arg(QDir::toNativeSeparators(path))
                         .arg(votes.size())
                         .arg(optionCount);
        return false;
    }

    const QByteArray csv = CsvWriter::longForm(ResultTable::compute(m_session, votes), {});
    QString writeError;
    if (!CsvWriter::writeFile(path, csv, &writeError)) {
        if (error)
            *error = writeError;
        return false;
    }
    statusBar()->showMessage(tr("Exported results to %1").arg(QDir::toNativeSeparators(path)), 15'000);
    return true;
}

QString MainWindow::defaultExportPath() const
{
    QString dir = m_lastExportDir;
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (dir.isEmpty())
        dir = QDir::homePath();
    return QDir(dir).filePath(u"results-"_s % slugify(m_session.title) % u".csv"_s);
}

QString MainWindow::slugify(const QString &title)
{
    QString slug;
    slug.reserve(title.size());
    for (const QChar c : title.normalized(QString::NormalizationForm_KD)) {
        if (c.isLetterOrNumber() && c.unicode() < 0x80)
            slug += c.toLower();
        else if (c.isMark())
            continue; // the accent of a decomposed "é" goes, the "e" stays
        else if (!slug.isEmpty() && !slug.endsWith(u'-'))
            slug += u'-';
    }
    slug.truncate(48);
    while (slug.endsWith(u'-'))
        slug.chop(1);
    return slug.isEmpty() ? u"session"_s : slug;
}

void MainWindow::exportCsvInteractively()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export results as CSV"), defaultExportPath(),
                                                      tr("CSV files (*.csv);;All files (*)"));
    if (path.isEmpty())
        return;
    m_lastExportDir = QFileInfo(path).absolutePath();

    QString error;
    if (!exportCsv(path, &error)) {
        QMessageBox::warning(
            this, tr("Export failed"),
            tr("The results could not be written to\n%1\n\n%2").arg(QDir::toNativeSeparators(path), error));
    }
}
