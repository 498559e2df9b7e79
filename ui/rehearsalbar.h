#pragma once

#include <QToolBar>

class ConsoleBackend;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTimer;

// The rehearsal strip over the console: a REHEARSAL banner nobody can miss, and the
// simulated audience's controls (shape, rate, duration, start/stop) with its figures. Shown
// only while the current session is a rehearsal. Polls the backend's status on a timer like
// the rest of the console (cheap: a few atomics).
class RehearsalBar final : public QToolBar
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RehearsalBar)

public:
    static constexpr int RefreshIntervalMs = 500;

    explicit RehearsalBar(ConsoleBackend &backend, QWidget *parent = nullptr);

    void refresh();

private:
    void sessionChanged();
    void startOrStop();

    ConsoleBackend &m_backend;
    QLabel *m_banner = nullptr;
    QComboBox *m_shape = nullptr;
    QSpinBox *m_rate = nullptr;
    QSpinBox *m_duration = nullptr;
    QPushButton *m_startStop = nullptr;
    QLabel *m_status = nullptr;
    QTimer *m_timer = nullptr;
};
