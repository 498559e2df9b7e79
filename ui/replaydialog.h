#pragma once

#include <QDialog>

#include "engine/finalization.h"

class ConsoleBackend;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

// "What if the votes were counted another way?": re-tallies the stored vote log under a chosen
// policy (first wins, last wins, unlimited, capped:N, with an optional per-option cap) and shows
// it side by side with the live tally. Nothing is changed by it: not the tally, not what is on
// air, not the store (the replay itself is written to the audit log). The answer comes back
// from the store asynchronously; the dialog never waits for it.
class ReplayDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayDialog)

public:
    explicit ReplayDialog(ConsoleBackend &backend, QWidget *parent = nullptr);

    // "first_wins", "capped:20": what the controls describe.
    QString policyText() const;
    int optionCap() const;
    void setPolicy(const QString &policy, int optionCap = 0);
    // Starts the replay; false (and the reason shown) when the backend refuses it.
    bool replay();

    QTableWidget *table() const { return m_table; }
    QString messageText() const;

private:
    void onReplay(const PolicyReplay &replay);
    void updateCapEnabled();

    ConsoleBackend &m_backend;
    QComboBox *m_policy = nullptr;
    QSpinBox *m_voteCap = nullptr;
    QSpinBox *m_optionCap = nullptr;
    QPushButton *m_replayButton = nullptr;
    QLabel *m_message = nullptr;
    QTableWidget *m_table = nullptr;
    bool m_waiting = false;
};
