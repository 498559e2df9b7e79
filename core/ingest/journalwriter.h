#pragma once

#include <functional>
#include <future>
#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QString>

#include "ingest/ingestqueue.h"
#include "metrics/metrics.h"
#include "metrics/rejectreason.h"
#include "session/clock.h"
#include "store/votestore.h"
#include "tally/tally.h"

class QThread;

// The one thread that writes the store. It owns the store connection and the live tally of
// the current session. It takes votes from the IngestQueue in batches, appends each batch
// in one transaction (group commit: a batch is whatever queued up while the previous commit
// ran, up to batchSize), applies the committed votes to the tally in log order, publishes a
// tally snapshot, and only then releases the held responses: 202 + receipt, or 503
// storage_unavailable if the commit failed (nothing is acknowledged that is not stored).
//
// Crossings: votes and commands arrive through the IngestQueue; replies leave through
// Http::sendReplies (queued into the I/O threads); completions of commands run on this
// thread and post themselves onward (the engine uses queued invocations); snapshots leave
// through the SnapshotBox. Nothing else of this object is touched from other threads.
class JournalWriter final
{
public:
    struct Config
    {
        QString databasePath;
        Durability durability = Durability::Full;
        qsizetype batchSize = 4096;
    };

    struct LoadResult
    {
        bool ok = false;
        QString error;
        std::optional<SessionRecord> current;    // the session to resume, if any
        std::shared_ptr<RejectCounters> rejects; // its rejection counters, restored from the store
        qint64 maxSessionId = 0;
    };

    // Runs on the writer thread after a command: ok/error say whether the store took it.
    using Completion = std::function<void(bool ok, const QString &error)>;
    // Called on the writer thread when a commit fails (the engine raises an alert).
    using StorageErrorHandler = std::function<void(const QString &error)>;

    JournalWriter(Config config, IngestQueue &queue, SnapshotBox &snapshots, Metrics &metrics,
                  const Clock &clock);
    ~JournalWriter();
    JournalWriter(const JournalWriter &) = delete;
    JournalWriter &operator=(const JournalWriter &) = delete;

    void setStorageErrorHandler(StorageErrorHandler handler); // before start()

    // Starts the thread, opens the store there, loads the current session and rebuilds its
    // tally from the vote log. Blocks until that is done (start-up only).
    LoadResult start();
    // Commits everything still queued, saves the counters, closes the store, joins.
    void stop();
    bool isRunning() const { return m_thread != nullptr; }

    // Commands to queue (IngestQueue::pushCommand / setAdmission). They run on the writer
    // thread in queue order with the votes around them.
    WriterCommand saveSession(SessionRecord record, QString eventKind, QString eventDetail,
                              Completion done = {});
    // Saves the session, makes it current and switches the live tally to it (replaying its
    // log, which is empty for a new session).
    WriterCommand activateSession(SessionRecord record, std::shared_ptr<RejectCounters> rejects,
                                  Completion done = {});
    // done runs once every vote queued before it is committed (or answered 503).
    WriterCommand barrier(Completion done);

private:
    void run(std::promise<LoadResult> *loaded);
    LoadResult load();
    bool switchTally(const SessionDefinition &session, QString *error);
    void process(std::vector<IngestQueue::Item> &items);
    void commit(std::vector<PendingVote> &votes);
    void publishSnapshot();
    void persistCounters(bool force);

    const Config m_config;
    IngestQueue &m_queue;
    SnapshotBox &m_snapshots;
    Metrics &m_metrics;
    const Clock &m_clock;
    StorageErrorHandler m_onStorageError;
    QThread *m_thread = nullptr;

    // Writer thread only, from here on.
    std::unique_ptr<VoteStore> m_store;
    SessionDefinition m_session;
    Tally m_tally;
    std::shared_ptr<RejectCounters> m_rejects;
    qint64 m_persistedRejectTotal = -1;
    QElapsedTimer m_sinceCountersSaved; // monotonic: the injected clock may stand still in tests
    qint64 m_nextSeq = 1;
};
