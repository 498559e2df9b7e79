#pragma once

#include <functional>

#include <QObject>
#include <QThread>

#include "export/feedwriter.h"
#include "export/publishedresults.h"
#include "export/resultdocuments.h"

// Keeps the export folder on the latest publish: every interval (default 1 s) and on
// exportNow() it asks the source for the current PublishedResults and hands them to a
// FeedWriter, which touches the disk only when the publish changed (and retries a file that
// failed last time).
//
// Threading: the writing runs on a QThread of its own, never on the thread that owns the
// AutoExporter (the console's UI thread). A write ends in an fsync and a rename, which on a
// network share the graphics machines read from can stall for seconds; a dedicated thread
// with a timer is the simplest way to guarantee the UI never waits for that, and it keeps
// the ordering trivial (one writer, one folder). The public methods only post queued calls
// and return at once; results come back as signals in the owner's thread. The destructor
// waits for a write in progress to end (at shutdown: leaving no temporary file behind).
class AutoExporter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AutoExporter)

public:
    // Called on the exporter's thread: must be thread-safe (e.g. a mutex-guarded
    // shared_ptr, as SnapshotBox). Null means nothing published yet: nothing is written.
    using Source = std::function<PublishedResultsPtr()>;

    struct Settings
    {
        QString folder;         // must exist (see FeedWriter)
        int intervalMs = 1'000; // between checks; at least kMinIntervalMs
        ResultDocuments::Options documents;
    };
    static constexpr int kMinIntervalMs = 10;

    explicit AutoExporter(Source source, QObject *parent = nullptr);
    ~AutoExporter() override;

    // (Re)starts with these settings; a new folder or options start from nothing, so all
    // four files are written on the first check. The first check runs at once.
    void start(const Settings &settings);
    void stop();
    // Check now instead of at the next tick: call right after a publish so the files
    // change within one write, not within one interval.
    void exportNow();

    // Owner's thread: what the last check did (for the console's feed status line).
    FeedWriter::Outcome lastOutcome() const { return m_lastOutcome; }
    quint64 checks() const { return m_checks; }

Q_SIGNALS:
    // After every check, including those that found nothing to do (outcome.written empty,
    // upToDate true) — cheap, once an interval, and what a status line needs.
    void checked(const FeedWriter::Outcome &outcome);
    // Files were replaced: the folder now holds this publish (or part of it: see failed).
    void exported(quint64 publishVersion, const QStringList &files);
    // Some files could not be written; each error names its file. They keep their last good
    // content and are retried at the next check.
    void failed(const QStringList &errors);

private:
    class Worker;
    void deliver(const FeedWriter::Outcome &outcome);

    QThread m_thread;
    Worker *m_worker = nullptr; // lives in m_thread; deleted there when it finishes
    FeedWriter::Outcome m_lastOutcome;
    quint64 m_checks = 0;
};
