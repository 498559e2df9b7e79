#pragma once

#include <QString>
#include <QtGlobal>

// The voting window's states (DESIGN.md §3). Starts at 1: no silently valid zero.
enum class WindowState
{
    Draft = 1, // being set up, not yet armed
    Ready,     // armed; lines not open yet
    Open,      // countdown running, votes accepted
    Closing,   // close instant passed; votes received before it are still being committed
    Closed,    // queue drained, results frozen
    Final      // certified (recounted from the store and matched)
};

QString windowStateName(WindowState state); // "draft", "ready", "open", ...
bool parseWindowState(const QString &name, WindowState *state);

// What the store keeps of a window, enough to resume it after a restart.
struct WindowRecord
{
    WindowState state = WindowState::Ready;
    qint64 lengthMs = 0;
    qint64 openedAtMs = 0;
    qint64 closesAtMs = 0; // planned close (moves with extend)
    qint64 closedAtMs = 0; // the actual close instant
};

// The voting-window state machine. Pure: every method takes the time it acts at, so tests
// drive it with any clock. Lives in the engine's control thread; other threads see a
// published copy of it (ingest admission), never this object.
class VotingWindow final
{
public:
    enum class Admission
    {
        Accept = 1,
        NotOpen, // before the lines opened
        Closed   // after the close instant (+ late tolerance): a late vote
    };

    explicit VotingWindow(qint64 lengthMs = 120'000, qint64 lateToleranceMs = 0);
    // Resume after a restart: an open window whose close instant passed while the app was
    // down becomes Closing with closedAt = closesAt (nothing could be received after it).
    static VotingWindow resume(const WindowRecord &record, qint64 lateToleranceMs, qint64 nowMs);

    WindowState state() const { return m_record.state; }
    const WindowRecord &record() const { return m_record; }
    qint64 lateToleranceMs() const { return m_lateToleranceMs; }

    // Each returns false and sets *error (when given) if the state does not allow it.
    bool arm(QString *error = nullptr);                                  // draft -> ready
    bool open(qint64 nowMs, QString *error = nullptr);                   // ready -> open
    bool extend(qint64 nowMs, qint64 extraMs, QString *error = nullptr); // open, extraMs > 0
    bool closeNow(qint64 nowMs, QString *error = nullptr);               // open -> closing
    bool markDrained(QString *error = nullptr);                          // closing -> closed
    bool finalize(QString *error = nullptr);                             // closed -> final

    // Open and closesAt + late tolerance reached: moves to Closing with closedAt = closesAt
    // (the announced instant). Returns true if it did. Late tolerance applies to the timed
    // close only; closeNow() is the operator's decision and takes effect at once.
    bool expireIfDue(qint64 nowMs);

    Admission admit(qint64 receivedAtMs) const;
    // Milliseconds until the close instant while open; the full length before opening; 0 after.
    qint64 remainingMs(qint64 nowMs) const;
    // Votes received before this instant are admitted: closesAt + tolerance while open,
    // 0 in every other state.
    qint64 acceptUntilMs() const;
    // When expireIfDue() must next be called (closesAt + tolerance), 0 if not open.
    qint64 nextDeadlineMs() const;

private:
    WindowRecord m_record;
    qint64 m_lateToleranceMs = 0;
};
