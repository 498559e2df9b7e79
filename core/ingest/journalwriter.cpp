#include "ingest/journalwriter.h"

#include <chrono>

#include <QLoggingCategory>
#include <QSet>
#include <QThread>

#include "access/exclusionfilter.h"
#include "ingest/threadrole.h"
#include "store/sqlitestore.h"
#include "tally/tally.h"

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcJournal, "votedesk.journal")

namespace {
// Counters change with every rejected vote; saving them at most this often keeps the writes
// cheap while a restart loses at most this much of the statistics (never votes).
constexpr qint64 kCounterSaveIntervalMs = 500;
// How long the writer waits for work before it looks at the counters again.
constexpr int kIdleWaitMs = 200;
// After a failed write, how often the writer tries a small durable write to learn whether the
// store takes writes again (space freed, file system remounted).
constexpr qint64 kStorageProbeIntervalMs = 1000;

Http::HttpResponse acceptedResponse(qint64 sessionId, qint64 seq)
{
    QByteArray body;
    body.reserve(64);
    body += "{\"status\":\"accepted\",\"receipt\":\"";
    body += QByteArray::number(sessionId);
    body += '-';
    body += QByteArray::number(seq);
    body += "\"}";
    return Http::HttpResponse::json(202, std::move(body));
}

qint64 steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
} // namespace

JournalWriter::JournalWriter(Config config, IngestQueue &ingest, WriterQueue &queue, WorkerPool &pool,
                             SnapshotBox &snapshots, Metrics &metrics, const Clock &clock)
    : m_config(std::move(config))
    , m_ingest(ingest)
    , m_queue(queue)
    , m_pool(pool)
    , m_snapshots(snapshots)
    , m_metrics(metrics)
    , m_clock(clock)
    , m_crashPlan(FaultInjection::crashPlanFromEnvironment())
    , m_rejects(std::make_shared<RejectCounters>())
{
    // A worker's batch is never split, so it must not be larger than a group commit.
    m_pool.setMaxBatchVotes(m_config.batchSize);
}

JournalWriter::~JournalWriter()
{
    stop();
}

void JournalWriter::setStorageErrorHandler(StorageErrorHandler handler)
{
    m_onStorageError = std::move(handler);
}

void JournalWriter::setStorageRecoveredHandler(StorageRecoveredHandler handler)
{
    m_onStorageRecovered = std::move(handler);
}

JournalWriter::LoadResult JournalWriter::start()
{
    Q_ASSERT(!m_thread);
    std::promise<LoadResult> loaded;
    std::future<LoadResult> result = loaded.get_future();
    m_thread = QThread::create([this, &loaded] { run(&loaded); });
    m_thread->setObjectName(u"journal-writer"_s);
    m_thread->start();
    LoadResult load = result.get();
    if (!load.ok) {
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    return load;
}

void JournalWriter::stop()
{
    if (!m_thread)
        return;
    m_queue.shutdown();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

void JournalWriter::run(std::promise<LoadResult> *loaded)
{
    becomeBackgroundPipelineThread("journal-writer");
    LoadResult load = this->load();
    const bool ok = load.ok;
    loaded->set_value(std::move(load)); // `loaded` is gone after this line
    if (!ok) {
        m_store.reset();
        return;
    }
    for (;;) {
        std::vector<WriterQueue::Item> items =
            m_queue.pop(m_config.batchSize, m_config.batchWindowMs, kIdleWaitMs);
        if (items.empty()) {
            if (m_queue.isShutdown())
                break;
        } else {
            process(items);
        }
        persistCounters(false);
        probeStorage();
    }
    persistCounters(true);
    if (Q_UNLIKELY(m_crashPlan.point == FaultInjection::CrashPoint::Closing))
        FaultInjection::enterClosing(); // dies in the checkpoint that closing runs
    m_store->close();
    m_store.reset();
    if (Q_UNLIKELY(m_crashPlan.point == FaultInjection::CrashPoint::Closing))
        FaultInjection::crash("closing: after the store closed (there was nothing to checkpoint)");
}

void JournalWriter::crashTestHook(FaultInjection::CrashPoint at)
{
    if (m_crashPlan.point != at)
        return;
    if (at == FaultInjection::CrashPoint::BeforeCommit && ++m_crashTestCommits == m_crashPlan.count)
        FaultInjection::crash("before a group commit");
    if (at == FaultInjection::CrashPoint::AfterCommit && ++m_crashTestCommits == m_crashPlan.count)
        FaultInjection::crash("after a group commit, before its answers");
}

void JournalWriter::storageFailed(const QString &error)
{
    // New votes are refused at the edge from now on (VoteHandler reads storageHealthy) until a
    // write succeeds again: no vote waits in the pipeline for a commit that cannot happen, and
    // the ledgers are rebuilt once per failure, not once per vote.
    m_metrics.storageHealthy.store(false, std::memory_order_relaxed);
    if (!m_storageFailed)
        m_sinceProbe.start();
    m_storageFailed = true;
    if (m_onStorageError)
        m_onStorageError(error);
}

void JournalWriter::storageWorks()
{
    if (!m_storageFailed)
        return;
    m_storageFailed = false;
    m_metrics.storageHealthy.store(true, std::memory_order_relaxed);
    qCInfo(lcJournal) << "the store takes writes again; votes are accepted";
    if (m_onStorageRecovered)
        m_onStorageRecovered();
}

void JournalWriter::probeStorage()
{
    // While the store fails, new votes are refused at the edge, so no commit would ever find
    // out that space came back; and /readyz keeps load balancers away meanwhile. So the writer
    // tries one small durable write itself, once a second: rewriting the current-session
    // marker with the value it has is one WAL frame and one sync, the path of a vote commit.
    if (!m_storageFailed || m_session.id == 0 || m_sinceProbe.elapsed() < kStorageProbeIntervalMs)
        return;
    m_sinceProbe.start();
    QString error;
    if (m_store->setCurrentSessionId(m_session.id, &error))
        storageWorks();
}

void JournalWriter::setSession(const SessionDefinition &session)
{
    m_session = session;
    m_optionKeys.clear();
    for (const VoteOption &option : session.options)
        m_optionKeys.append(option.key.toUtf8());
    m_counts.reset(int(session.options.size()));
    ++m_version;
}

JournalWriter::LoadResult JournalWriter::load()
{
    LoadResult result;
    m_store = std::make_unique<SqliteStore>(m_config.databasePath, m_config.durability);
    if (!m_store->open(&result.error))
        return result;

    const qint64 maxSeq = m_store->maxVoteSeq(&result.error);
    if (maxSeq < 0)
        return result;
    m_nextSeq = maxSeq + 1;
    result.maxSessionId = m_store->maxSessionId(&result.error);
    if (result.maxSessionId < 0)
        return result;

    QString error;
    const qint64 currentId = m_store->currentSessionId(&error);
    if (!error.isEmpty()) {
        result.error = error;
        return result;
    }
    if (currentId != 0) {
        result.current = m_store->loadSession(currentId, &result.error);
        if (!result.current)
            return result;
        const SessionDefinition &session = result.current->definition;
        setSession(session);
        // The pool is not running yet: its ledgers are ours to fill.
        m_pool.resetShards(session.id, int(session.options.size()), session.rule());
        if (!replay(session.id, session, true, &result.error))
            return result;
        m_rejects->restore(m_store->loadCounters(currentId, &error));
        m_persistedRejectTotal = m_rejects->total();
        result.published = m_store->loadPublished(currentId, &error);
        if (!error.isEmpty()) {
            result.error = error;
            return result;
        }
    }
    result.rejects = m_rejects;
    publishSnapshot();
    result.ok = true;
    return result;
}

bool JournalWriter::replay(qint64 sessionId, const SessionDefinition &session, bool intoPublished,
                           QString *error)
{
    // Every shard counting this session gets its voters back, in log order; the published
    // tally (when asked) is recounted with the same rule in one place.
    Tally recount(sessionId, int(session.options.size()), session.rule());
    TallyCounts ignored(int(session.options.size()));
    qint64 unknown = 0;
    const bool ok = m_store->forEachVote(
        sessionId,
        [&](const VoteRow &row) {
            const int index = session.indexOf(row.option);
            if (index < 0) {
                ++unknown;
                return;
            }
            const std::uint32_t hash = VoterTable::hashOf(row.voter);
            const int shard = IngestQueue::shardOf(hash);
            if (m_pool.shardSession(shard) == sessionId)
                m_pool.ledger(shard).apply(row.voter, hash, index, ignored);
            if (intoPublished)
                recount.apply(row.voter, index);
        },
        error);
    if (unknown > 0) {
        qCWarning(lcJournal) << "session" << sessionId << "has" << unknown
                             << "logged votes for options it does not have; they are not counted";
    }
    if (ok && intoPublished) {
        m_counts = recount.counts();
        ++m_version;
    }
    return ok;
}

bool JournalWriter::recount(qint64 sessionId, const SessionDefinition &session, const CountingRule &rule,
                            TallyCounts *out, qint64 *unknownOptionVotes, QString *error,
                            const CountExclusions &exclusions, qint64 *excludedVotes)
{
    // From the store alone: nothing of the live pipeline (ledgers, counts) is consulted.
    Tally tally(sessionId, int(session.options.size()), rule);
    qint64 unknown = 0;
    const ExclusionFilter filter(exclusions);
    qint64 excluded = 0;
    const bool ok = m_store->forEachVote(
        sessionId,
        [&](const VoteRow &row) {
            if (!filter.isEmpty() && filter.excludes(row.voter, row.clientAddress)) {
                ++excluded;
                return;
            }
            const int index = session.indexOf(row.option);
            if (index < 0)
                ++unknown;
            else
                tally.apply(row.voter, index);
        },
        error);
    *out = tally.counts();
    *unknownOptionVotes = unknown;
    if (excludedVotes)
        *excludedVotes = excluded;
    return ok;
}

bool JournalWriter::loadExclusions(qint64 sessionId, CountExclusions *out, QString *error)
{
    QString problem;
    const QList<EventRow> events = m_store->loadEvents(sessionId, &problem);
    if (!problem.isEmpty()) {
        *error = problem;
        return false;
    }
    out->clear();
    for (const EventRow &event : events) {
        if (auto exclusion = CountExclusion::fromEvent(event.kind, event.detail, event.actor, event.atMs))
            out->append(*exclusion);
    }
    return true;
}

bool JournalWriter::storeEvent(EventRow event, qint64 sessionId, QString *error)
{
    event.sessionId = sessionId;
    if (event.atMs == 0)
        event.atMs = m_clock.nowMs();
    return m_store->appendEvent(event, error);
}

WriterCommand JournalWriter::saveSession(SessionRecord record, EventRow event, Completion done)
{
    return {u"save session %1"_s.arg(record.definition.id),
            [this, record = std::move(record), event = std::move(event), done = std::move(done)] {
                QString error;
                bool ok = m_store->saveSession(record, &error);
                if (ok && !event.kind.isEmpty())
                    ok = storeEvent(event, record.definition.id, &error);
                if (record.definition.id == m_session.id)
                    m_session = record.definition; // e.g. auto-publish toggled; the rule never changes
                if (!ok)
                    qCWarning(lcJournal) << error;
                if (done)
                    done(ok, error);
            }};
}

WriterCommand JournalWriter::activateSession(SessionRecord record, std::shared_ptr<RejectCounters> rejects,
                                             Completion done, QString actor)
{
    return {u"activate session %1"_s.arg(record.definition.id),
            [this, record = std::move(record), rejects = std::move(rejects), done = std::move(done),
             actor = std::move(actor)] {
                persistCounters(true); // the outgoing session's counters
                QString error;
                bool ok = m_store->saveSession(record, &error) &&
                          m_store->setCurrentSessionId(record.definition.id, &error);
                setSession(record.definition);
                // A new session's log is empty; the ledgers restart with the SwitchSession
                // marker that follows this command through the shards.
                m_rejects = rejects;
                m_persistedRejectTotal = -1;
                if (ok) {
                    const SessionDefinition &d = record.definition;
                    // One arg() call: a title with "%2" in it must stay as it is.
                    const QString detail =
                        u"\u201c%1\u201d: %2 options, policy %3, visibility %4, auto-publish %5"_s.arg(
                            d.title, QString::number(d.options.size()), d.rule().describe(),
                            resultsVisibilityName(d.visibility), d.autoPublish ? u"on"_s : u"off"_s);
                    ok = storeEvent(EventRow{0, 0, 0, u"session_activated"_s, detail, actor}, d.id, &error);
                }
                publishSnapshot();
                if (!ok)
                    qCWarning(lcJournal) << error;
                if (done)
                    done(ok, error);
            }};
}

WriterCommand JournalWriter::listSessions(SessionsListed done)
{
    return {u"list sessions"_s, [this, done = std::move(done)] {
                QString error;
                QList<SessionSummary> sessions;
                const QList<SessionRecord> records = m_store->loadSessions(&error);
                const qint64 current = error.isEmpty() ? m_store->currentSessionId(&error) : 0;
                for (const SessionRecord &record : records) {
                    if (!error.isEmpty())
                        break;
                    const int votes = m_store->hasVotes(record.definition.id, &error);
                    sessions.append(SessionSummary{record, votes > 0, record.definition.id == current});
                }
                done(error.isEmpty(), sessions, error);
            }};
}

WriterCommand JournalWriter::inspectSession(qint64 sessionId, SessionInspected done)
{
    return {u"inspect session %1"_s.arg(sessionId), [this, sessionId, done = std::move(done)] {
                QString error;
                std::optional<SessionSummary> summary;
                if (std::optional<SessionRecord> record = m_store->loadSession(sessionId, &error)) {
                    const int votes = m_store->hasVotes(sessionId, &error);
                    const qint64 current = m_store->currentSessionId(&error);
                    if (error.isEmpty())
                        summary = SessionSummary{*record, votes > 0, current == sessionId};
                }
                done(summary, error);
            }};
}

WriterCommand JournalWriter::deleteDraft(qint64 sessionId, QString actor, Completion done)
{
    return {u"delete draft %1"_s.arg(sessionId),
            [this, sessionId, actor = std::move(actor), done = std::move(done)] {
                QString error;
                const std::optional<SessionRecord> record = m_store->loadSession(sessionId, &error);
                bool ok = m_store->deleteDraftSession(sessionId, &error);
                if (ok) {
                    // The line goes to the session on air: that is whose log the crew reads.
                    ok =
                        storeEvent(EventRow{0, 0, 0, u"session_deleted"_s,
                                            u"draft %1 \u201c%2\u201d deleted (never opened, no votes)"_s.arg(
                                                QString::number(sessionId),
                                                record ? record->definition.title : QString()),
                                            actor},
                                   m_session.id, &error);
                }
                done(ok, error);
            }};
}

WriterCommand JournalWriter::appendEvent(EventRow event, Completion done)
{
    return {u"audit %1"_s.arg(event.kind), [this, event = std::move(event), done = std::move(done)] {
                QString error;
                const bool ok = storeEvent(event, event.sessionId, &error);
                if (!ok)
                    qCWarning(lcJournal) << error;
                if (done)
                    done(ok, error);
            }};
}

WriterCommand JournalWriter::loadAudit(qint64 sessionId, AuditReady done)
{
    return {u"read the audit log of %1"_s.arg(sessionId), [this, sessionId, done = std::move(done)] {
                QString error;
                const QList<EventRow> events = m_store->loadEvents(sessionId, &error);
                done(error.isEmpty(), events, error);
            }};
}

WriterCommand JournalWriter::savePublished(PublishedRecord record, EventRow event, Completion done)
{
    return {u"save published results %1"_s.arg(record.version),
            [this, record = std::move(record), event = std::move(event), done = std::move(done)] {
                QString error;
                bool ok = m_store->savePublished(record, &error);
                if (ok && !event.kind.isEmpty())
                    ok = storeEvent(event, record.sessionId, &error);
                if (!ok)
                    qCWarning(lcJournal) << error;
                if (done)
                    done(ok, error);
            }};
}

WriterCommand JournalWriter::replayLog(CountingRule rule, ReplayDone done)
{
    return {u"replay under %1"_s.arg(rule.policyName()), [this, rule, done = std::move(done)] {
                ReplayOutcome outcome;
                outcome.sessionId = m_session.id;
                outcome.live = m_counts;
                const QString problem = rule.validate();
                if (!problem.isEmpty()) {
                    outcome.error = problem;
                } else {
                    // The replay shows what the certification would count: the exclusions too.
                    outcome.ok =
                        loadExclusions(m_session.id, &outcome.exclusions, &outcome.error) &&
                        recount(m_session.id, m_session, rule, &outcome.replayed, &outcome.unknownOptionVotes,
                                &outcome.error, outcome.exclusions, &outcome.excludedVotes);
                }
                done(outcome);
            }};
}

WriterCommand JournalWriter::certify(SessionRecord finalRecord, EventRow finalizedEvent, CertifyHook hook,
                                     CertifyDone done)
{
    return {u"certify session %1"_s.arg(finalRecord.definition.id),
            [this, record = std::move(finalRecord), event = std::move(finalizedEvent), hook = std::move(hook),
             done = std::move(done)] {
                using Result = CertifyOutcome::Result;
                CertifyOutcome outcome;
                const qint64 sessionId = record.definition.id;
                if (sessionId != m_session.id) {
                    outcome.result = Result::WrongSession;
                    outcome.error = u"session %1 is no longer the current one"_s.arg(sessionId);
                    done(outcome);
                    return;
                }
                outcome.live = m_counts;
                qint64 unknown = 0;
                if (!recount(sessionId, m_session, m_session.rule(), &outcome.recount, &unknown,
                             &outcome.error)) {
                    outcome.result = Result::StorageFailed;
                    done(outcome);
                    return;
                }
                outcome.differences = compareTallies(outcome.live, outcome.recount);
                if (!outcome.differences.isEmpty() || unknown > 0) {
                    outcome.result = Result::Mismatch;
                    if (unknown > 0) {
                        outcome.error =
                            u"%1 stored votes name an option the session does not have"_s.arg(unknown);
                    }
                    done(outcome);
                    return;
                }
                // The live tally counts every stored vote, so the check above runs without the
                // exclusions; what is certified is the recount with them, by the same function the
                // policy replay used.
                if (!loadExclusions(sessionId, &outcome.exclusions, &outcome.error) ||
                    (!outcome.exclusions.isEmpty() &&
                     !recount(sessionId, m_session, m_session.rule(), &outcome.recount, &unknown,
                              &outcome.error, outcome.exclusions, &outcome.excludedVotes))) {
                    outcome.result = Result::StorageFailed;
                    done(outcome);
                    return;
                }
                QList<EventRow> audit = m_store->loadEvents(sessionId, &outcome.error);
                if (!outcome.error.isEmpty()) {
                    outcome.result = Result::StorageFailed;
                    done(outcome);
                    return;
                }
                PublishedRecord picture;
                EventRow finalEvent = event;
                const VoteLogReader log = [this, sessionId](const std::function<void(const VoteRow &)> &visit,
                                                            QString *error) {
                    return m_store->forEachVote(sessionId, visit, error);
                };
                if (hook && !hook(outcome.recount, audit, log, &picture, &finalEvent, &outcome.error)) {
                    outcome.result = Result::Refused;
                    done(outcome);
                    return;
                }
                // The final state, the frozen picture and the audit line land together or not at all.
                QString error;
                bool ok = m_store->beginTransaction(&error) && m_store->saveSession(record, &error);
                if (ok && picture.sessionId == sessionId)
                    ok = m_store->savePublished(picture, &error);
                if (ok)
                    ok = storeEvent(finalEvent, sessionId, &error);
                if (ok)
                    ok = m_store->commitTransaction(&error);
                else
                    m_store->rollbackTransaction();
                if (!ok) {
                    qCWarning(lcJournal) << error;
                    outcome.result = Result::StorageFailed;
                    outcome.error = error;
                } else {
                    outcome.result = Result::Certified;
                    m_session = record.definition;
                }
                done(outcome);
            }};
}

WriterCommand JournalWriter::expectBarrier(quint64 barrierId, Completion done)
{
    return {u"barrier %1"_s.arg(barrierId), [this, barrierId, done = std::move(done)] {
                m_barriers.insert(barrierId, {0, done});
            }};
}

WriterCommand JournalWriter::exportVotes(qint64 afterSeq, qint64 limit, VoteLogReady done)
{
    return {u"export votes after %1"_s.arg(afterSeq), [this, afterSeq, limit, done = std::move(done)] {
                QByteArray csv;
                csv.reserve(int(qMin<qint64>(limit, 100'000)) * 40);
                csv += "seq,voter,option,received_at_ms\r\n";
                QString error;
                // Voter ids are [A-Za-z0-9._:@+-] and option keys [A-Za-z0-9_-]: nothing to quote.
                const bool ok = m_store->forEachVoteAfter(
                    m_session.id, afterSeq, limit,
                    [&csv](const VoteRow &row) {
                        csv += QByteArray::number(row.seq);
                        csv += ',';
                        csv += row.voter;
                        csv += ',';
                        csv += row.option;
                        csv += ',';
                        csv += QByteArray::number(row.receivedAtMs);
                        csv += "\r\n";
                    },
                    &error);
                done(ok, m_session.id, csv, error);
            }};
}

void JournalWriter::markerPassed(const MarkerPassed &passed)
{
    if (passed.marker.kind != IngestQueue::Marker::Kind::Barrier)
        return;
    auto it = m_barriers.find(passed.marker.id);
    if (it == m_barriers.end()) {
        qCWarning(lcJournal) << "a marker for unknown barrier" << passed.marker.id << "passed";
        return;
    }
    if (++it->shardsPassed < IngestQueue::ShardCount)
        return;
    const Completion done = it->done;
    m_barriers.erase(it);
    if (done)
        done(true, {});
}

void JournalWriter::process(std::vector<WriterQueue::Item> &items)
{
    std::vector<WorkBatch> group;
    for (WriterQueue::Item &item : items) {
        if (auto *batch = std::get_if<WorkBatch>(&item)) {
            group.push_back(std::move(*batch));
            continue;
        }
        // Everything before a command or marker is committed before it runs. If that commit
        // fails, the command or marker still runs before the recovery answers what is queued
        // behind it, so queue order holds (a barrier expected here must be registered before
        // its markers, queued behind it, are passed).
        const bool committed = commit(group);
        group.clear();
        if (auto *command = std::get_if<WriterCommand>(&item))
            command->run();
        else
            markerPassed(std::get<MarkerPassed>(item));
        if (!committed)
            recoverFromFailedCommit();
    }
    if (!commit(group))
        recoverFromFailedCommit();
}

void JournalWriter::refuse(std::vector<WorkBatch> &batches, RejectReason reason,
                           std::vector<Http::PendingReply> &replies)
{
    const QString message = reason == RejectReason::StorageUnavailable
                                ? u"the vote could not be stored; try again"_s
                                : u"this vote is no longer open"_s;
    for (WorkBatch &batch : batches) {
        // A canary is nobody's vote: its refusal is the canary's alert, not a statistic.
        if (batch.sessionId != kCanarySessionId || batch.counted) {
            m_rejects->add(reason, qint64(batch.votes.size()));
            m_metrics.votesRejected.fetch_add(qint64(batch.votes.size()), std::memory_order_relaxed);
            if (reason == RejectReason::StorageUnavailable) // the failed commit's and those drained after it
                m_metrics.votesFailed.fetch_add(qint64(batch.votes.size()), std::memory_order_relaxed);
        }
        m_ingest.release(qint64(batch.votes.size()));
        for (PendingVote &vote : batch.votes) {
            Http::HttpResponse response =
                Http::HttpResponse::jsonError(rejectHttpStatus(reason), rejectCode(reason), message);
            if (reason == RejectReason::StorageUnavailable)
                response.addHeader("Retry-After", "2");
            replies.emplace_back(vote.ticket, std::move(response));
        }
    }
}

bool JournalWriter::commit(std::vector<WorkBatch> &batches)
{
    if (batches.empty())
        return true;
    std::vector<Http::PendingReply> replies;
    std::vector<WorkBatch> storable;
    std::vector<WorkBatch> stale;
    std::size_t voteCount = 0;
    std::size_t canaryCount = 0;
    for (WorkBatch &batch : batches) {
        if (batch.counted && batch.sessionId == m_session.id) {
            voteCount += batch.votes.size();
            storable.push_back(std::move(batch));
        } else if (!batch.counted && batch.sessionId == kCanarySessionId) {
            // Stored in the same group commit as the votes (under session 0, which nothing
            // counts), so its 202 proves the path a vote takes, commit included.
            voteCount += batch.votes.size();
            canaryCount += batch.votes.size();
            storable.push_back(std::move(batch));
        } else {
            stale.push_back(std::move(batch));
        }
    }
    if (!stale.empty())
        refuse(stale, RejectReason::WindowClosed, replies);

    if (voteCount > 0) {
        std::vector<VoteRow> rows;
        rows.reserve(voteCount);
        for (const WorkBatch &batch : storable) {
            for (const PendingVote &vote : batch.votes) {
                rows.push_back({m_nextSeq + qint64(rows.size()), batch.sessionId, vote.voter.view(),
                                vote.isCanary() ? QByteArrayView(kCanaryOptionKey)
                                                : QByteArrayView(m_optionKeys[vote.optionIndex]),
                                vote.receivedAtMs,
                                vote.isCanary()
                                    ? QByteArrayView()
                                    : QByteArrayView(reinterpret_cast<const char *>(vote.client.bytes.data()),
                                                     qsizetype(vote.client.bytes.size()))});
            }
        }
        if (Q_UNLIKELY(m_crashPlan.point != FaultInjection::CrashPoint::None))
            crashTestHook(FaultInjection::CrashPoint::BeforeCommit);
        const qint64 startNs = steadyNowNs();
        QString error;
        const bool ok = m_store->appendVotes(rows, &error);
        const qint64 doneNs = steadyNowNs();
        m_metrics.recordCommit(qint64(rows.size()), (doneNs - startNs) / 1000, ok);
        if (!ok) {
            qCCritical(lcJournal) << "commit failed:" << error;
            storageFailed(error); // before the 503s go out: a client that retries finds the edge closed
            refuse(storable, RejectReason::StorageUnavailable, replies);
            Http::sendReplies(std::move(replies));
            return false; // the caller recovers (recoverFromFailedCommit) once it may
        }
        if (Q_UNLIKELY(m_crashPlan.point != FaultInjection::CrashPoint::None))
            crashTestHook(FaultInjection::CrashPoint::AfterCommit);
        storageWorks();
        m_nextSeq += qint64(rows.size());
        for (const WorkBatch &batch : storable) {
            if (batch.counted)
                m_counts.add(batch.delta);
        }
        ++m_version;
        // Readers must see the tally include a vote by the time its 202 is out.
        publishSnapshot();
        std::size_t row = 0;
        replies.reserve(replies.size() + voteCount);
        const qint64 releasedNs = steadyNowNs();
        for (WorkBatch &batch : storable) {
            for (PendingVote &vote : batch.votes) {
                replies.emplace_back(vote.ticket, acceptedResponse(batch.sessionId, rows[row++].seq));
                if (batch.counted)
                    m_metrics.endToEnd.record((releasedNs - vote.receivedNs) / 1000);
            }
        }
        m_metrics.votesPersisted.fetch_add(qint64(voteCount - canaryCount), std::memory_order_relaxed);
        m_metrics.votesAccepted.fetch_add(qint64(voteCount - canaryCount), std::memory_order_relaxed);
        m_ingest.release(qint64(voteCount));
    }
    Http::sendReplies(std::move(replies));
    return true;
}

void JournalWriter::recoverFromFailedCommit()
{
    // The workers counted the failed votes (and maybe more since) in their ledgers. Stop them,
    // answer everything they already handed over, and rebuild the ledgers from the store.
    m_pool.pause();
    for (;;) {
        std::vector<WriterQueue::Item> items = m_queue.pop(std::numeric_limits<qsizetype>::max(), 0, 0);
        if (items.empty())
            break;
        std::vector<Http::PendingReply> replies;
        for (WriterQueue::Item &item : items) {
            if (auto *batch = std::get_if<WorkBatch>(&item)) {
                std::vector<WorkBatch> one;
                one.push_back(std::move(*batch));
                refuse(one, RejectReason::StorageUnavailable, replies);
            } else if (auto *command = std::get_if<WriterCommand>(&item)) {
                command->run();
            } else {
                markerPassed(std::get<MarkerPassed>(item));
            }
        }
        Http::sendReplies(std::move(replies));
    }

    QSet<qint64> sessions;
    for (int s = 0; s < IngestQueue::ShardCount; ++s)
        sessions.insert(m_pool.shardSession(s));
    for (qint64 sessionId : sessions) {
        SessionDefinition session = m_session;
        if (sessionId != m_session.id) {
            QString error;
            const std::optional<SessionRecord> record = m_store->loadSession(sessionId, &error);
            if (!record) {
                qCCritical(lcJournal) << "cannot rebuild shards of session" << sessionId << ":" << error;
                continue;
            }
            session = record->definition;
        }
        for (int s = 0; s < IngestQueue::ShardCount; ++s) {
            if (m_pool.shardSession(s) == sessionId)
                m_pool.ledger(s).reset(session.rule());
        }
        QString error;
        if (!replay(sessionId, session, sessionId == m_session.id, &error))
            qCCritical(lcJournal) << "rebuilding the ledgers from the store failed:" << error;
    }
    publishSnapshot();
    m_pool.resume();
}

void JournalWriter::publishSnapshot()
{
    auto snapshot = std::make_shared<TallySnapshot>();
    snapshot->sessionId = m_session.id;
    snapshot->version = m_version;
    snapshot->takenAtMs = m_clock.nowMs();
    snapshot->raw = m_counts.raw;
    snapshot->exact = m_counts.exact;
    snapshot->accepted = m_counts.accepted;
    snapshot->uniqueVoters = m_counts.uniqueVoters;
    m_snapshots.publish(std::move(snapshot));
}

void JournalWriter::persistCounters(bool force)
{
    if (m_session.id == 0 || !m_store)
        return;
    const qint64 total = m_rejects->total();
    if (total == m_persistedRejectTotal)
        return;
    if (!force && m_sinceCountersSaved.isValid() && m_sinceCountersSaved.elapsed() < kCounterSaveIntervalMs)
        return;
    QString error;
    // Restarted on failure too: a store that refuses writes is retried at the same pace, not
    // once per loop with a warning each time.
    m_sinceCountersSaved.start();
    if (m_store->saveCounters(m_session.id, m_rejects->byCode(), &error))
        m_persistedRejectTotal = total;
    else
        qCWarning(lcJournal) << error;
}
