#pragma once

#include <memory>

#include <QList>
#include <QMainWindow>

#include "metrics/metricssampler.h"
#include "session/sessiondefinition.h"
#include "tally/tallysnapshot.h"

class AlertsStrip;
class AudiencePanel;
class ConsoleBackend;
class EventLogDialog;
class FraudPanel;
class ReplayDialog;
class ResultsControls;
class CountdownWidget;
class CountersPanel;
class FrameStats;
class PipelineGraphs;
class QAction;
class QLabel;
class QPushButton;
class QTimer;
class ResultsChart;
class SessionHeader;
class ShortcutGuard;
class TotalsPanel;
class WindowControls;
struct WindowStatus;

// The operator console. Composes the widgets and feeds them: one timer pulls the backend's
// snapshots (never a per-vote signal, DESIGN.md §2) and hands each widget its part. The
// widgets own their looks and behaviour; this class only wires and schedules.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    static constexpr int RefreshIntervalMs = 100;

    explicit MainWindow(ConsoleBackend &backend, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Writes the exact results of the current tally as the broadcast CSV (atomically).
    // Returns false and sets *error (naming the path) on failure; shows no dialog.
    bool exportCsv(const QString &path, QString *error);
    // The file name the export dialog proposes: results-<title slug>.csv in Documents.
    QString defaultExportPath() const;
    // Lower-case ASCII letters, digits and single dashes, at most 48 characters.
    static QString slugify(const QString &title);

public Q_SLOTS:
    // Pulls the backend's state now instead of at the next tick.
    void refresh();
    // The red strip over the console while votes cannot be stored (Engine::storageError):
    // the operator must know at once that the audience is being turned away. Cleared when the
    // store takes writes again (Engine::storageRecovered).
    void showStorageAlert(const QString &message);
    void clearStorageAlert();
    // The amber strip while the export folder does not take the feed files (Engine::
    // exportFailed): the graphics keep the last good files, which no longer follow a publish.
    void showFeedAlert(const QString &message);
    void clearFeedAlert();

protected:
    bool event(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *buildLeftColumn(QWidget *parent);
    void buildMenus();
    void reloadSession();
    void exportCsvInteractively();
    void openSettings();
    void fitAlertsStrip();
    void showEventLog();
    void showReplay();
    void refreshPipeline(const WindowStatus &status);
    // What the bars and Export CSV show: once the session is final, the certified
    // picture (recounted from the store, the operator's exclusions applied), else the live tally.
    // The two differ when votes were excluded: the live tally keeps counting everything.
    TallySnapshotPtr shownTally(bool *certified = nullptr) const;
    // Where on the wall clock the series' monotonic atMs falls (wall = atMs + offset).
    qint64 wallOffsetMs(const WindowStatus &status, const SecondSample &latest);

    ConsoleBackend &m_backend;
    SessionDefinition m_session;
    // The tally version on screen; a tick with the same version leaves the chart untouched.
    quint64 m_shownVersion = 0;
    bool m_shownCertified = false; // the chart shows the certified picture (its own versions)
    bool m_chartStale = true;
    // The newest second on the graphs: the dirty flag of the series (one new sample a second
    // against ten ticks, so nine ticks in ten copy nothing).
    qint64 m_shownSampleAtMs = 0;
    QList<SecondSample> m_series;
    qint64 m_wallOffsetMs = 0;
    bool m_wallOffsetKnown = false;
    QString m_lastExportDir;

    std::unique_ptr<FrameStats> m_frameStats;
    QTimer *m_refreshTimer = nullptr;
    SessionHeader *m_header = nullptr;
    CountdownWidget *m_countdown = nullptr;
    WindowControls *m_controls = nullptr;
    TotalsPanel *m_totals = nullptr;
    ResultsChart *m_chart = nullptr;
    CountersPanel *m_counters = nullptr;
    PipelineGraphs *m_graphs = nullptr;
    QPushButton *m_exportButton = nullptr;
    QAction *m_exportAction = nullptr;
    ShortcutGuard *m_shortcutGuard = nullptr;
    QLabel *m_storageAlert = nullptr;
    ResultsControls *m_results = nullptr;
    AudiencePanel *m_audience = nullptr;
    AlertsStrip *m_alerts = nullptr;
    EventLogDialog *m_eventLog = nullptr;
    FraudPanel *m_fraudPanel = nullptr; // made on first use
    ReplayDialog *m_replay = nullptr;
    QAction *m_settingsAction = nullptr;
    QAction *m_replayAction = nullptr;
    QAction *m_autoPublishAction = nullptr;
    QAction *m_eventLogAction = nullptr;
    qint64 m_lastEventSeq = 0; // the newest line of the event log already on the strip
    QLabel *m_feedAlert = nullptr;
};
