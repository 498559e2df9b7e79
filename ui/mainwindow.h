#pragma once

#include <QMainWindow>

#include "session/sessiondefinition.h"

class ConsoleBackend;
class CountdownWidget;
class QLabel;
class QPushButton;
class QTimer;
class ResultsChart;
class SessionHeader;
class TotalsPanel;
class WindowControls;

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

private:
    void reloadSession();
    void exportCsvInteractively();

    ConsoleBackend &m_backend;
    SessionDefinition m_session;
    // The tally version on screen; a tick with the same version leaves the chart untouched.
    quint64 m_shownVersion = 0;
    bool m_chartStale = true;
    QString m_lastExportDir;

    QTimer *m_refreshTimer = nullptr;
    SessionHeader *m_header = nullptr;
    CountdownWidget *m_countdown = nullptr;
    WindowControls *m_controls = nullptr;
    TotalsPanel *m_totals = nullptr;
    ResultsChart *m_chart = nullptr;
    QPushButton *m_exportButton = nullptr;
    QLabel *m_storageAlert = nullptr;
    QLabel *m_feedAlert = nullptr;
};
