#include "mainwindow.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

#include "countdownwidget.h"
#include "engine/consolebackend.h"
#include "export/csvwriter.h"
#include "export/resulttable.h"
#include "resultschart.h"
#include "sessionheader.h"
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
{
    auto *central = new QWidget(this);
    central->setObjectName(u"consoleCentralWidget"_s);

    m_header = new SessionHeader(central);
    m_header->setObjectName(u"sessionHeader"_s);
    m_countdown = new CountdownWidget(central);
    m_countdown->setObjectName(u"countdownWidget"_s);
    m_controls = new WindowControls(backend, central);
    m_controls->setObjectName(u"windowControls"_s);
    m_totals = new TotalsPanel(central);
    m_totals->setObjectName(u"totalsPanel"_s);
    m_chart = new ResultsChart(central);
    m_chart->setObjectName(u"resultsChart"_s);

    m_exportButton = new QPushButton(tr("Export CSV…"), central);
    m_exportButton->setObjectName(u"exportCsvButton"_s);
    m_exportButton->setToolTip(tr("Save the exact results as the broadcast CSV"));
    m_exportButton->setMinimumHeight(40);
    connect(m_exportButton, &QPushButton::clicked, this, &MainWindow::exportCsvInteractively);

    // Left: what the operator acts on (clock, buttons, totals). Right: what goes on air.
    auto *left = new QVBoxLayout;
    left->setSpacing(16);
    left->addWidget(m_countdown);
    left->addWidget(m_controls);
    left->addWidget(makeSeparator(central));
    left->addWidget(m_totals);
    left->addStretch(1);
    left->addWidget(m_exportButton);

    auto *body = new QHBoxLayout;
    body->setSpacing(24);
    body->addLayout(left, 0);
    body->addWidget(m_chart, 1);

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
    layout->setContentsMargins(20, 16, 20, 12);
    layout->setSpacing(12);
    layout->addWidget(m_storageAlert);
    layout->addWidget(m_feedAlert);
    layout->addWidget(m_header);
    layout->addWidget(makeSeparator(central));
    layout->addLayout(body, 1);
    setCentralWidget(central);
    statusBar();

    m_header->setIngestUrl(backend.ingestUrl());
    reloadSession();

    connect(&backend, &ConsoleBackend::sessionChanged, this, &MainWindow::reloadSession);
    // State changes show at once rather than up to one tick later (the button just pressed
    // must not stay enabled).
    connect(&backend, &ConsoleBackend::windowChanged, this, &MainWindow::refresh);

    m_refreshTimer = new QTimer(this);
    m_refreshTimer->setInterval(RefreshIntervalMs);
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refresh);
    m_refreshTimer->start();

    if (const QScreen *screen = QGuiApplication::primaryScreen())
        resize(screen->availableSize() * 0.85);
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
    const WindowStatus status = m_backend.windowStatus();
    m_countdown->setStatus(status);
    m_controls->setState(status.state);

    const TallySnapshotPtr tally = m_backend.tally();
    if (m_chartStale || tally->version != m_shownVersion) {
        m_chart->setSnapshot(tally);
        m_shownVersion = tally->version;
        m_chartStale = false;
    }
    // Counters (rejected, late, queue) change without a new tally version.
    m_totals->setTotals(*tally, m_backend.counters());
    m_totals->setRates(m_backend.latestMetrics());
}

void MainWindow::reloadSession()
{
    m_session = m_backend.session();
    setWindowTitle(u"votedesk \u2014 "_s % m_session.title);
    m_header->setSession(m_session);
    m_header->setIngestUrl(m_backend.ingestUrl());
    m_chart->setSession(m_session);
    m_chartStale = true;
    refresh();
}

bool MainWindow::exportCsv(const QString &path, QString *error)
{
    const TallySnapshotPtr tally = m_backend.tally();
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
