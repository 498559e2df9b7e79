#pragma once

#include <QTimer>
#include <QWidget>

#include "access/fraudmonitor.h"
#include "session/countexclusion.h"

class BurstStrip;
class ConsoleBackend;
class QLabel;
class QPushButton;
class QTableWidget;

// The fraud panel: the heaviest voter ids and client addresses of the session, the busiest
// second of the last minute (and each second's bar) and the share of votes refused, polled from the backend
// once a second while it is shown (the figures are a snapshot; nothing is signalled per vote). The operator
// can leave the selected voter or address out of the count with a written reason; the exclusions made so far
// are listed under the tables.
class FraudPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FraudPanel)

public:
    static constexpr int kRowsShown = 20;
    static constexpr int kPollIntervalMs = 1000;

    explicit FraudPanel(ConsoleBackend &backend, QWidget *parent = nullptr);

    // Reads the figures and the exclusions now (the timer calls it while the panel is shown).
    void refresh();
    // What "Exclude…" would exclude: the selected voter id, or the selected address as a
    // one-address range; kind stays invalid with nothing selected.
    CountExclusion selectedExclusion() const;
    // Excludes the selection with `reason`; false with *error when nothing is selected or the
    // backend refuses. "Exclude…" asks for the reason and calls it.
    bool excludeSelected(const QString &reason, QString *error);

    QTableWidget *votersTable() const { return m_voters; }
    QTableWidget *addressesTable() const { return m_addresses; }
    QTableWidget *exclusionsTable() const { return m_exclusions; }
    QPushButton *excludeButton() const { return m_excludeButton; }
    BurstStrip *burstStrip() const { return m_bursts; }

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void askAndExclude();
    void fillExclusions();
    static void fillRows(QTableWidget *table, const QList<FraudSnapshot::Row> &rows);

    ConsoleBackend &m_backend;
    QLabel *m_summary = nullptr;
    BurstStrip *m_bursts = nullptr;
    QTableWidget *m_voters = nullptr;
    QTableWidget *m_addresses = nullptr;
    QTableWidget *m_exclusions = nullptr;
    QPushButton *m_excludeButton = nullptr;
    QTableWidget *m_lastFocused = nullptr; // which table "Exclude…" takes the selection from
    QTimer m_pollTimer;
};
