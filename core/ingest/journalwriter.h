#pragma once

#include <functional>
#include <future>
#include <memory>
#include <optional>

#include <QElapsedTimer>
#include <QHash>
#include <QString>

#include "ingest/ingestqueue.h"
#include "ingest/workerpool.h"
#include "ingest/writerqueue.h"
#include "metrics/metrics.h"
#include "metrics/rejectreason.h"
#include "session/clock.h"
#include "session/countexclusion.h"
#include "store/faultinjection.h"
#include "store/votestore.h"
#include "tally/tally.h"
#include "tally/tallysnapshot.h"
#include "tally/voterledger.h"

class QThread;

// The one thread that writes the store. It owns the store connection and the published
// tally of the current session. It takes the workers' batches from the WriterQueue and
// appends them in one transaction (group commit: a transaction closes at batchSize votes or
// batchWindowMs after its first vote, whichever comes first; with a window of 0 it takes
// whatever queued up while the previous commit ran). Once a transaction commits it adds the
// batches' tally effects to the published tally, publishes a snapshot, and only then
// releases the held responses: 202 + receipt. If the commit fails, those votes and every
// batch already handed over are answered 503 storage_unavailable (nothing is acknowledged
// that is not stored), and the workers' ledgers are rebuilt from the store, which stays
// the only truth.
//
// Crossings: batches, commands and markers arrive through the WriterQueue; replies leave
// through Http::sendReplies (queued into the I/O threads); command completions run on this
// thread and post themselves onward (the engine uses queued invocations); snapshots leave
// through the SnapshotBox. The worker pool's ledgers are touched here only at load (before
// the workers start) and while the pool is paused.
class JournalWriter final
{
public:
    struct Config
    {
        QString databasePath;
        Durability durability = Durability::Full;
        qsizetype batchSize = 4096;
        int batchWindowMs = 0;
    };

    struct LoadResult
    {
        bool ok = false;
        QString error;
        std::optional<SessionRecord> current;     // the session to resume, if any
        std::shared_ptr<RejectCounters> rejects;  // its rejection counters, restored from the store
        std::optional<PublishedRecord> published; // the last picture of it that was published
        qint64 maxSessionId = 0;
    };

    // A recount of the current session's log under some rule, next to the live tally.
    struct ReplayOutcome
    {
        bool ok = false;
        QString error;
        qint64 sessionId = 0;
        TallyCounts replayed;
        TallyCounts live;
        qint64 unknownOptionVotes = 0; // logged votes naming no option of the session (not counted)
        // The operator's exclusions read from the store with the log, applied to `replayed`.
        CountExclusions exclusions;
        qint64 excludedVotes = 0;
    };
    using ReplayDone = std::function<void(const ReplayOutcome &outcome)>;

    // Certification (finalize): the recount of the log from the store alone, compared with the
    // live tally, then the caller's hook, then the final state stored.
    struct CertifyOutcome
    {
        enum class Result
        {
            Certified = 1,
            Mismatch,      // the recount differs from the live tally (differences, error)
            Refused,       // the hook refused (error)
            StorageFailed, // the store could not be read or written (error)
            WrongSession   // another session is current by now
        };
        Result result = Result::StorageFailed;
        QString error;
        QList<TallyDifference> differences;
        TallyCounts live;
        TallyCounts recount; // with the exclusions applied: what is certified
        CountExclusions exclusions;
        qint64 excludedVotes = 0;
    };
    // Runs on the writer thread once the recount matched: `audit` is the session's audit log so
    // far and `log` reads its vote log during the call. Fills *picture (the final published
    // record to store) and may amend *finalizedEvent (e.g. name the files it wrote), or returns
    // false with *error, and nothing is stored.
    using CertifyHook =
        std::function<bool(const TallyCounts &recount, const QList<EventRow> &audit, const VoteLogReader &log,
                           PublishedRecord *picture, EventRow *finalizedEvent, QString *error)>;
    using CertifyDone = std::function<void(const CertifyOutcome &outcome)>;
    using AuditReady = std::function<void(bool ok, const QList<EventRow> &events, const QString &error)>;

    // Runs on the writer thread after a command: ok/error say whether the store took it.
    using Completion = std::function<void(bool ok, const QString &error)>;
    // Called on the writer thread when a commit fails (the engine raises an alert).
    using StorageErrorHandler = std::function<void(const QString &error)>;
    // Called on the writer thread when the store takes writes again after a failure.
    using StorageRecoveredHandler = std::function<void()>;

    JournalWriter(Config config, IngestQueue &ingest, WriterQueue &queue, WorkerPool &pool,
                  SnapshotBox &snapshots, Metrics &metrics, const Clock &clock);
    ~JournalWriter();
    JournalWriter(const JournalWriter &) = delete;
    JournalWriter &operator=(const JournalWriter &) = delete;

    void setStorageErrorHandler(StorageErrorHandler handler);         // before start()
    void setStorageRecoveredHandler(StorageRecoveredHandler handler); // before start()

    // Starts the thread, opens the store there, loads the current session and replays its
    // vote log into the workers' ledgers and the published tally. Blocks until that is done
    // (start-up only; the pool must not be running yet).
    LoadResult start();
    // Commits everything queued, saves the counters, closes the store, joins.
    void stop();
    bool isRunning() const { return m_thread != nullptr; }

    // Commands to push into the WriterQueue. They run on the writer thread in queue order.
    // Saves the record and, when event.kind is set, appends the event to the audit log (its
    // session id is the record's; atMs 0 means now).
    WriterCommand saveSession(SessionRecord record, EventRow event, Completion done = {});
    // Saves the session, makes it current and switches the published tally to it. Push it
    // before the IngestQueue's SwitchSession marker, so it is ahead of the new session's votes.
    // `actor` is who created it, for the audit log (empty: the system).
    WriterCommand activateSession(SessionRecord record, std::shared_ptr<RejectCounters> rejects,
                                  Completion done = {}, QString actor = {});
    // Every stored session with whether it has votes, oldest first, handed to `done` on the
    // writer thread (in queue order: a session created before the request is in it).
    using SessionsListed =
        std::function<void(bool ok, const QList<SessionSummary> &sessions, const QString &error)>;
    WriterCommand listSessions(SessionsListed done);
    // One stored session as the list would show it (std::nullopt: no such session, or *error).
    using SessionInspected =
        std::function<void(const std::optional<SessionSummary> &session, const QString &error)>;
    WriterCommand inspectSession(qint64 sessionId, SessionInspected done);
    // Deletes a draft (VoteStore::deleteDraftSession) and notes it in the current session's
    // audit log, by `actor`.
    WriterCommand deleteDraft(qint64 sessionId, QString actor, Completion done);
    // Appends one line to the audit log (atMs 0 means now).
    WriterCommand appendEvent(EventRow event, Completion done = {});
    // A session's audit log, oldest first, handed to `done` on the writer thread.
    WriterCommand loadAudit(qint64 sessionId, AuditReady done);
    // Keeps the last published picture of a session (and an audit line when event.kind is set).
    WriterCommand savePublished(PublishedRecord record, EventRow event, Completion done = {});
    // Replays the current session's stored log under `rule` into a fresh tally (nothing is
    // changed by it) and hands it to `done` next to the live tally, on the writer thread.
    WriterCommand replayLog(CountingRule rule, ReplayDone done);
    // Finalization of session `finalRecord.definition.id`: recounts its log from the store under
    // its own rule and compares with the live tally. When they agree it runs `hook`, then stores
    // the final record, the hook's picture and `finalizedEvent` in one transaction. `done` runs
    // on the writer thread in every case. The session must be closed and drained (every vote
    // that will ever count is committed): the caller's business.
    WriterCommand certify(SessionRecord finalRecord, EventRow finalizedEvent, CertifyHook hook,
                          CertifyDone done);
    // Push before sending a Barrier marker with this id through the IngestQueue: done runs once
    // every shard's marker has reached the writer, i.e. every vote admitted before it is
    // committed (or answered 503).
    WriterCommand expectBarrier(quint64 barrierId, Completion done);
    // Reads up to `limit` rows of the current session's vote log after `afterSeq` as CSV
    // (seq,voter,option,received_at_ms) and hands them to `done` on the writer thread. In queue
    // order, so every vote answered 202 before the request is in it.
    using VoteLogReady =
        std::function<void(bool ok, qint64 sessionId, const QByteArray &csv, const QString &error)>;
    WriterCommand exportVotes(qint64 afterSeq, qint64 limit, VoteLogReady done);

private:
    void run(std::promise<LoadResult> *loaded);
    LoadResult load();
    bool replay(qint64 sessionId, const SessionDefinition &session, bool intoPublished, QString *error);
    // A fresh tally of the session's stored log under `rule`, in seq order.
    // Votes of an excluded voter are left out before the rule sees them (so under last_wins an
    // excluded voter's earlier votes do not come back); *excludedVotes counts them.
    bool recount(qint64 sessionId, const SessionDefinition &session, const CountingRule &rule,
                 TallyCounts *out, qint64 *unknownOptionVotes, QString *error,
                 const CountExclusions &exclusions = {}, qint64 *excludedVotes = nullptr);
    // The exclusions stored in the session's audit log (CountExclusion::kEventKind), oldest first.
    // Read from the store, not handed in, so the replay and the certification apply the same ones.
    bool loadExclusions(qint64 sessionId, CountExclusions *out, QString *error);
    bool storeEvent(EventRow event, qint64 sessionId, QString *error);
    void process(std::vector<WriterQueue::Item> &items);
    void markerPassed(const MarkerPassed &passed);
    // False if the store refused the commit (the votes are answered 503 storage_unavailable);
    // the caller then runs recoverFromFailedCommit().
    bool commit(std::vector<WorkBatch> &batches);
    void refuse(std::vector<WorkBatch> &batches, RejectReason reason,
                std::vector<Http::PendingReply> &replies);
    void recoverFromFailedCommit();
    void storageFailed(const QString &error);
    void storageWorks();
    void probeStorage();
    void crashTestHook(FaultInjection::CrashPoint at);
    void setSession(const SessionDefinition &session);
    void publishSnapshot();
    void persistCounters(bool force);

    const Config m_config;
    IngestQueue &m_ingest;
    WriterQueue &m_queue;
    WorkerPool &m_pool;
    SnapshotBox &m_snapshots;
    Metrics &m_metrics;
    const Clock &m_clock;
    StorageErrorHandler m_onStorageError;
    StorageRecoveredHandler m_onStorageRecovered;
    // Test hook, read once from the environment (FaultInjection): CrashPoint::None in production.
    const FaultInjection::CrashPlan m_crashPlan;
    QThread *m_thread = nullptr;

    // Writer thread only, from here on.
    std::unique_ptr<VoteStore> m_store;
    SessionDefinition m_session;
    QList<QByteArray> m_optionKeys; // UTF-8, indexed like m_session.options
    TallyCounts m_counts;           // committed votes of m_session
    quint64 m_version = 0;
    std::shared_ptr<RejectCounters> m_rejects;
    qint64 m_persistedRejectTotal = -1;
    QElapsedTimer m_sinceCountersSaved; // monotonic: the injected clock may stand still in tests
    bool m_storageFailed = false;       // the last write to the store failed; probing until one works
    QElapsedTimer m_sinceProbe;
    int m_crashTestCommits = 0;
    qint64 m_nextSeq = 1;
    struct PendingBarrier
    {
        int shardsPassed = 0;
        Completion done;
    };
    QHash<quint64, PendingBarrier> m_barriers;
};
