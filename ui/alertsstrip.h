#pragma once

#include <QFrame>
#include <QList>

#include "engine/consoleevent.h"

class QLabel;
class QPushButton;

// One line across the console: the newest line of the event log with its time, who and
// severity, coloured by severity (neutral for information, amber for a warning, red for a
// critical one), and how many warnings and critical alerts this run had. Always the same
// height, shown or empty, so the console never jumps when an alert arrives. "Event log…"
// opens the whole log.
class AlertsStrip final : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsStrip)

public:
    explicit AlertsStrip(QWidget *parent = nullptr);

    // New lines of the log, oldest first (ConsoleBackend::eventsSince).
    void addEvents(const QList<ConsoleEvent> &events);

    QString text() const;
    // The severity shown now (Info when nothing was logged yet).
    Severity severity() const { return m_shown.severity; }
    int warningCount() const { return m_warnings; }
    int criticalCount() const { return m_criticals; }

    static QColor severityColour(Severity severity);

    // The width the strip asks for (the menu bar places its corner widget at its size hint).
    void setPreferredWidth(int width);
    QSize sizeHint() const override;
    // "16:44:37  Lines closed: closed by the operator (console)"
    static QString describe(const ConsoleEvent &event);
    // "Lines closed" for lines_closed: a kind for people.
    static QString kindTitle(const QString &kind);

Q_SIGNALS:
    void eventLogRequested();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void display(const ConsoleEvent &event);
    void elideText();

    ConsoleEvent m_shown;
    QString m_line; // whole; the label shows it elided
    int m_preferredWidth = 0;
    int m_warnings = 0;
    int m_criticals = 0;
    QLabel *m_badge = nullptr;
    QLabel *m_text = nullptr;
    QLabel *m_counts = nullptr;
    QPushButton *m_logButton = nullptr;
};
