#pragma once

#include <QList>
#include <QWidget>

#include "engine/finalization.h"
#include "session/votingwindow.h"

class ConsoleBackend;
class QAction;
class QLabel;
class QToolButton;

// What goes on air and when it is certified: Publish (F9) shows what the graphics would get
// against what they show now and takes it on the operator's word; Finalize (F10) asks, then
// has the engine recount the session from the store and freeze the results if the recount
// matches the live tally, or names the difference that blocks it. Under the buttons, one line
// says what is on air. Like WindowControls, each is an action shared with the menu.
class ResultsControls final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResultsControls)

public:
    explicit ResultsControls(ConsoleBackend &backend, QWidget *parent = nullptr);

    // Publish while there is a tally to take (open, closing, closed); Finalize only once the
    // lines are closed and drained, and not while a recount runs.
    void setState(WindowState state);
    // The picture on air, for the status line (null: nothing yet). Cheap when unchanged.
    void setPublished(const PublishedResultsPtr &published);

    QAction *publishAction() const { return m_publishAction; }
    QAction *finalizeAction() const { return m_finalizeAction; }
    QList<QAction *> actions() const { return {m_publishAction, m_finalizeAction}; }
    bool isFinalizing() const { return m_finalizing; }
    QString statusText() const;
    // "On air: version 3, taken 16:44:40" / "FINAL · recount matched: …": for the window to
    // place (it is not in this widget's layout) and show.
    QLabel *statusLabel() const { return m_status; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void elideStatus();
    void publish();
    void finalize();
    void onFinalized(const FinalizationInputs &inputs);
    void onFinalizeFailed(const QString &message);
    void updateEnabled();
    void showStatus(const QString &text, const QColor &colour);

    ConsoleBackend &m_backend;
    WindowState m_state = WindowState::Draft;
    bool m_finalizing = false;
    QString m_finalText; // the recount's result once final, or why it was refused
    quint64 m_shownVersion = 0;
    bool m_shownFinal = false;
    QAction *m_publishAction = nullptr;
    QAction *m_finalizeAction = nullptr;
    QLabel *m_status = nullptr;
    QString m_statusText; // whole; the label shows it elided
};
