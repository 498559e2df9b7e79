#include "ingest/journalwriter.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QThread>

#include "store/sqlitestore.h"

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcJournal, "votedesk.journal")

namespace {
// Counters change with every rejected vote; saving them at most this often keeps the writes
// cheap while a restart loses at most this much of the statistics (never votes).
constexpr qint64 kCounterSaveIntervalMs = 500;
// How long the writer sleeps when idle before it looks at the counters again.
constexpr int kIdleWaitMs = 200;

Http::HttpResponse acceptedResponse(qint64 sessionId, qint64 seq)
{
    QByteArray body;
    body.reserve(64);
    body += R"({"status":"accepted","receipt":")";
    body += QByteArray::number(sessionId) + '-' + QByteArray::number(seq);
    body += R"("})";
    return Http::HttpResponse::json(202, std::move(body));
}
} // namespace

JournalWriter::JournalWriter(Config config, IngestQueue &queue, SnapshotBox &snapshots, Metrics &metrics,
                             const Clock &clock)
    : m_config(std::move(config))
    , m_queue(queue)
    , m_snapshots(snapshots)
    , m_metrics(metrics)
    , m_clock(clock)
    , m_rejects(std::make_shared<RejectCounters>())
{}

JournalWriter::~JournalWriter()
{
    stop();
}

void JournalWriter::setStorageErrorHandler(StorageErrorHandler handler)
{
    m_onStorageError = std::move(handler);
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
    LoadResult load = this->load();
    const bool ok = load.ok;
    loaded->set_value(std::move(load)); // `loaded` is gone after this line
    if (!ok) {
        m_store.reset();
        return;
    }

    for (;;) {
        std::vector<IngestQueue::Item> items = m_queue.popBatch(m_config.batchSize, kIdleWaitMs);
        if (items.empty()) {
            if (m_queue.isShutdown())
                break;
        } else {
            process(items);
        }
        persistCounters(false);
    }
    persistCounters(true);
    m_store->close();
    m_store.reset();
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
        if (!switchTally(result.current->definition, &result.error))
            return result;
        m_rejects->restore(m_store->loadCounters(currentId, &error));
        m_persistedRejectTotal = m_rejects->total();
    }
    result.rejects = m_rejects;
    publishSnapshot();
    result.ok = true;
    return result;
}

bool JournalWriter::switchTally(const SessionDefinition &session, QString *error)
{
    m_session = session;
    m_tally = Tally(session.id, int(session.options.size()), session.policy);
    qint64 unknown = 0;
    const bool ok = m_store->forEachVote(
        session.id,
        [this, &unknown](const VoteRow &row) {
            const int index = m_session.indexOf(row.option);
            if (index < 0) {
                ++unknown;
                return;
            }
            m_tally.apply(row.voter, index);
        },
        error);
    if (unknown > 0) {
        qCWarning(lcJournal) << "session" << session.id << "has" << unknown
                             << "logged votes for options it no longer has; they are not counted";
    }
    return ok;
}

WriterCommand JournalWriter::saveSession(SessionRecord record, QString eventKind, QString eventDetail,
                                         Completion done)
{
    return {u"save session %1"_s.arg(record.definition.id),
            [this, record = std::move(record), kind = std::move(eventKind), detail = std::move(eventDetail),
             done = std::move(done)] {
                QString error;
                bool ok = m_store->saveSession(record, &error);
                if (ok && !kind.isEmpty())
                    ok = m_store->appendEvent(record.definition.id, m_clock.nowMs(), kind, detail, &error);
                if (!ok)
                    qCWarning(lcJournal) << error;
                if (done)
                    done(ok, error);
            }};
}

WriterCommand JournalWriter::activateSession(SessionRecord record, std::shared_ptr<RejectCounters> rejects,
                                             Completion done)
{
    return {u"activate session %1"_s.arg(record.definition.id),
            [this, record = std::move(record), rejects = std::move(rejects), done = std::move(done)] {
                persistCounters(true); // the outgoing session's counters
                QString error;
                bool ok = m_store->saveSession(record, &error) &&
                          m_store->setCurrentSessionId(record.definition.id, &error) &&
                          switchTally(record.definition, &error);
                m_rejects = rejects;
                m_persistedRejectTotal = -1;
                if (ok) {
                    ok = m_store->appendEvent(record.definition.id, m_clock.nowMs(), u"session_activated"_s,
                                              record.definition.title, &error);
                }
                publishSnapshot();
                if (!ok)
                    qCWarning(lcJournal) << error;
                if (done)
                    done(ok, error);
            }};
}

WriterCommand JournalWriter::barrier(Completion done)
{
    // Votes before it in the queue have been committed by the time a command runs
    // (process() commits pending votes before every command).
    return {u"barrier"_s, [done = std::move(done)] {
                done(true, {});
            }};
}

void JournalWriter::process(std::vector<IngestQueue::Item> &items)
{
    std::vector<PendingVote> votes;
    votes.reserve(items.size());
    for (IngestQueue::Item &item : items) {
        if (auto *vote = std::get_if<PendingVote>(&item)) {
            votes.push_back(std::move(*vote));
            continue;
        }
        commit(votes);
        votes.clear();
        std::get<WriterCommand>(item).run();
    }
    commit(votes);
}

void JournalWriter::commit(std::vector<PendingVote> &votes)
{
    if (votes.empty())
        return;
    std::vector<Http::PendingReply> replies;
    replies.reserve(votes.size());
    std::vector<VoteRow> rows;
    rows.reserve(votes.size());
    std::vector<const PendingVote *> stored;
    stored.reserve(votes.size());

    for (const PendingVote &vote : votes) {
        // Admission and session switches are ordered through the queue, so this cannot
        // happen; if it ever does, the vote is refused rather than counted for the wrong vote.
        if (vote.sessionId != m_tally.sessionId()) {
            m_rejects->add(RejectReason::WindowClosed);
            replies.emplace_back(vote.ticket, Http::HttpResponse::jsonError(
                                                  409, "window_closed", u"this vote is no longer open"_s));
            continue;
        }
        rows.push_back({m_nextSeq + qint64(rows.size()), vote.sessionId, vote.voter,
                        m_session.options[vote.optionIndex].key, vote.receivedAtMs});
        stored.push_back(&vote);
    }

    if (!rows.empty()) {
        QElapsedTimer timer;
        timer.start();
        QString error;
        const bool ok = m_store->appendVotes(rows, &error);
        m_metrics.recordCommit(qint64(rows.size()), timer.nsecsElapsed() / 1000, ok);
        if (ok) {
            for (std::size_t i = 0; i < rows.size(); ++i) {
                m_tally.apply(rows[i].voter, stored[i]->optionIndex);
                replies.emplace_back(stored[i]->ticket, acceptedResponse(rows[i].sessionId, rows[i].seq));
            }
            m_nextSeq += qint64(rows.size());
            m_metrics.votesPersisted.fetch_add(qint64(rows.size()), std::memory_order_relaxed);
            // Readers must see the tally include a vote by the time its 202 is out.
            publishSnapshot();
        } else {
            qCCritical(lcJournal) << "commit failed:" << error;
            m_rejects->add(RejectReason::StorageUnavailable, qint64(rows.size()));
            m_metrics.votesFailed.fetch_add(qint64(rows.size()), std::memory_order_relaxed);
            for (const PendingVote *vote : stored) {
                replies.emplace_back(
                    vote->ticket, Http::HttpResponse::jsonError(503, "storage_unavailable",
                                                                u"the vote could not be stored; try again"_s)
                                      .addHeader("Retry-After", "2"));
            }
            if (m_onStorageError)
                m_onStorageError(error);
        }
    }
    Http::sendReplies(std::move(replies));
}

void JournalWriter::publishSnapshot()
{
    m_snapshots.publish(std::make_shared<const TallySnapshot>(m_tally.snapshot(m_clock.nowMs())));
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
    if (m_store->saveCounters(m_session.id, m_rejects->byCode(), &error)) {
        m_persistedRejectTotal = total;
        m_sinceCountersSaved.start();
    } else {
        qCWarning(lcJournal) << error;
    }
}
