#pragma once

#include <QDialog>
#include <QList>

#include "engine/consoleevent.h"
#include "export/publishedresults.h"

class ConsoleBackend;
class QLabel;
class QTableWidget;

// The session's event log as stored (the audit log): who opened, extended, closed, published,
// finalized, replayed, and every alert, with time and severity, oldest first. Read from the
// store through the backend (auditLogReady, never blocking the console) when shown and again
// whenever the console sees a new line.
class EventLogDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLogDialog)

public:
    explicit EventLogDialog(ConsoleBackend &backend, QWidget *parent = nullptr);

    // Asks the store for the log again (the answer fills the table when it comes).
    void reload();
    QTableWidget *table() const { return m_table; }

protected:
    void showEvent(QShowEvent *event) override;

private:
    void fill(const QList<AuditEntry> &entries);

    ConsoleBackend &m_backend;
    QLabel *m_summary = nullptr;
    QTableWidget *m_table = nullptr;
};
