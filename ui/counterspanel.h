#pragma once

#include <QList>
#include <QPair>
#include <QWidget>

#include "engine/consolebackend.h"

class QLabel;
class QTableWidget;

// The pipeline's health in figures, for the operator and the engineer next to them: why
// votes were refused (a small table, one row per reason that occurred), how big the store has
// grown, how long the engine has run and how many ingest workers are active.
class CountersPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CountersPanel)

public:
    enum class Column
    {
        Reason = 0, // the human caption, and under it the code (CodeRole)
        Votes
    };
    // The reason cell's second line: HTTP status and error code, as clients see them.
    static constexpr int CodeRole = Qt::UserRole + 1;

    explicit CountersPanel(QWidget *parent = nullptr);

    void setCounters(const SessionCounters &counters);
    void setStoreSize(qint64 bytes); // -1 = unknown
    void setUptime(qint64 ms);       // 0 = not running
    void setActiveWorkers(qint64 workers, bool known);

    QTableWidget *reasonTable() const { return m_table; }
    // The table's rows as (code, count), in the order shown.
    QList<QPair<QString, qint64>> shownReasons() const { return m_rows; }
    QString storeSizeText() const;
    QString uptimeText() const;
    QString workersText() const;

    // "Late: after the close" for window_closed; the code itself for one this build does not know.
    static QString reasonCaption(const QString &code);
    // "0:02:03", "27:46:40" (hours keep counting: a show day is what matters, not days).
    static QString formatUptime(qint64 ms);

private:
    void rebuildRows();
    static void setText(QLabel *label, const QString &text);

    QTableWidget *m_table = nullptr;
    QLabel *m_noneLabel = nullptr;
    QLabel *m_storeValue = nullptr;
    QLabel *m_uptimeValue = nullptr;
    QLabel *m_workersValue = nullptr;
    QList<QPair<QString, qint64>> m_rows;
};
