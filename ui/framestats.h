#pragma once

#include <memory>

#include <QElapsedTimer>
#include <QFile>
#include <QString>

// Timing of the console's frames and refresh ticks, for the quality bar "at full ingest rate
// the window keeps repainting at >= 10 Hz" (bench/ui-frames.sh reads the file). Off unless the
// environment variable VOTEDESK_FRAME_STATS names a file, so a show never pays for it.
//
// One CSV line per event: kind,wall_ms,interval_ms,duration_ms where kind is "frame" (the
// top-level window synced its backing store: painted what changed and flushed it) or "tick"
// (MainWindow::refresh(), the work the UI thread does to pull core's figures); interval_ms is
// the time since the previous event of the same kind; wall_ms lets a script cut the load
// phase out of the run.
class FrameStats final
{
    Q_DISABLE_COPY_MOVE(FrameStats)

public:
    static constexpr auto EnvironmentVariable = "VOTEDESK_FRAME_STATS";

    // nullptr when the variable is unset or the file cannot be written (said on stderr).
    static std::unique_ptr<FrameStats> fromEnvironment();

    explicit FrameStats(const QString &path);
    ~FrameStats();

    bool isOpen() const { return m_file.isOpen(); }

    enum class Kind
    {
        Frame,
        Tick
    };
    // Returns a token for end(); the monotonic time in ns.
    qint64 begin() const { return m_clock.nsecsElapsed(); }
    void end(Kind kind, qint64 beganNs);

private:
    QFile m_file;
    QElapsedTimer m_clock;
    qint64 m_lastFrameNs = -1;
    qint64 m_lastTickNs = -1;
    qint64 m_lastFlushNs = 0;
};
