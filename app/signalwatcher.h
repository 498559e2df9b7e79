#pragma once

#include <QObject>
#include <QSocketNotifier>

// Turns SIGINT and SIGTERM into a clean quit of the event loop, so that a Ctrl+C or a
// service manager's stop commits what is queued and closes the store. The signal handler
// only writes a byte to a socket pair (async-signal-safe); the notifier reads it on the
// main thread.
class SignalWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signalNumber);

private:
    static void handle(int signalNumber);
    QSocketNotifier *m_notifier = nullptr;
};
