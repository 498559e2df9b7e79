#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <memory>

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "http/replyticket.h"
#include "ingest/ingestqueue.h"
#include "ingest/journalwriter.h"
#include "ingest/workerpool.h"
#include "ingest/writerqueue.h"
#include "metrics/metrics.h"
#include "session/clock.h"
#include "store/sqlitestore.h"
#include "tally/tally.h"
#include "tally/tallysnapshot.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(VotePolicy)
Q_DECLARE_METATYPE(CountingRule)

namespace {
constexpr int kWaitMs = 10'000; // QTRY timeouts: only reached when something is wrong

qint64 steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

IngestQueue::Admission openFor(qint64 sessionId)
{
    return {sessionId, WindowState::Open, 0, std::numeric_limits<qint64>::max()};
}

SessionDefinition session(qint64 id, const CountingRule &rule)
{
    SessionDefinition def = SessionDefinition::demo(); // options A, B, C, D
    def.id = id;
    def.title = u"Session %1"_s.arg(id);
    def.policy = rule.policy;
    def.voteCap = rule.voteCap;
    def.optionCap = rule.optionCap;
    return def;
}

// Runs a writer command's completion to its end and hands back what it got.
template<typename T>
T waitFor(std::future<T> &future)
{
    if (future.wait_for(std::chrono::milliseconds(kWaitMs)) != std::future_status::ready)
        qFatal("the writer did not answer");
    return future.get();
}

// The pipeline as Engine::start wires it (queue -> pool -> writer queue -> journal writer),
// without the HTTP server: votes are pushed straight into the ingest queue with default
// (null-context) tickets, whose replies Http::sendReplies drops.
struct Rig
{
    ManualClock clock;
    Metrics metrics;
    SnapshotBox snapshots;
    IngestQueue queue{1'000'000};
    WriterQueue writerQueue;
    std::unique_ptr<WorkerPool> pool;
    std::unique_ptr<JournalWriter> writer;
    JournalWriter::LoadResult loaded;
    std::atomic<int> storageErrors{0};

    Rig(const QString &path, qsizetype batchSize, int batchWindowMs, int workers = 2)
    {
        pool = std::make_unique<WorkerPool>(queue, writerQueue, workers);
        queue.setWakeHandler([p = pool.get()](std::uint64_t shards) { p->wakeOwners(shards); });
        writer = std::make_unique<JournalWriter>(
            JournalWriter::Config{path, Durability::Full, batchSize, batchWindowMs}, queue, writerQueue,
            *pool, snapshots, metrics, clock);
        writer->setStorageErrorHandler([this](const QString &) { storageErrors.fetch_add(1); });
        loaded = writer->start();
        if (loaded.ok)
            pool->start(workers);
    }
    ~Rig() { stop(); }

    void stop()
    {
        if (pool)
            pool->stop();
        if (writer)
            writer->stop();
        writer.reset();
        pool.reset();
    }

    // What Engine::switchSession does, with the window opened at once.
    void activate(const SessionDefinition &def, std::shared_ptr<RejectCounters> rejects)
    {
        WindowRecord window;
        window.state = WindowState::Open;
        window.lengthMs = def.windowMs;
        window.openedAtMs = clock.nowMs();
        window.closesAtMs = clock.nowMs() + def.windowMs;
        writerQueue.push(
            writer->activateSession(SessionRecord{def, window, clock.nowMs()}, std::move(rejects)));
        IngestQueue::Marker marker;
        marker.kind = IngestQueue::Marker::Kind::SwitchSession;
        marker.sessionId = def.id;
        marker.optionCount = int(def.options.size());
        marker.rule = def.rule();
        queue.setAdmission(openFor(def.id), marker);
    }

    IngestQueue::PushResult vote(qint64 sessionId, const QByteArray &voter, int option)
    {
        PendingVote v;
        v.sessionId = sessionId;
        v.voter = VoterId::from(voter);
        v.voterHash = VoterTable::hashOf(voter);
        v.optionIndex = std::int16_t(option);
        v.receivedAtMs = clock.nowMs();
        v.receivedNs = steadyNowNs();
        return queue.pushVote(std::move(v)); // v.ticket: default, no I/O context
    }

    // What Engine::sendBarrier does: done runs on the writer thread.
    void barrier(quint64 id, JournalWriter::Completion done)
    {
        writerQueue.push(writer->expectBarrier(id, std::move(done)));
        IngestQueue::Marker marker;
        marker.kind = IngestQueue::Marker::Kind::Barrier;
        marker.id = id;
        queue.setAdmission(queue.admission(), marker);
    }

    bool shardsEmpty() const
    {
        for (int s = 0; s < IngestQueue::ShardCount; ++s) {
            if (queue.hasItems(s))
                return false;
        }
        return true;
    }

    // Once this returns, everything the workers took from the ingest queue is in the writer
    // queue (pause() waits for every pass to end).
    void flushWorkers()
    {
        pool->pause();
        pool->resume();
    }
};

// Holds the writer thread inside a command until opened (or until the test ends, so a
// failing test cannot leave the writer stuck and the test hanging in stop()).
class WriterGate
{
public:
    WriterGate()
        : m_opened(m_open.get_future().share())
    {}
    ~WriterGate() { open(); }
    WriterGate(const WriterGate &) = delete;
    WriterGate &operator=(const WriterGate &) = delete;

    WriterCommand command()
    {
        return {u"test gate"_s, [this, opened = m_opened] {
                    m_entered.store(true);
                    opened.wait();
                }};
    }
    bool entered() const { return m_entered.load(); }
    void open()
    {
        if (!m_isOpen.exchange(true))
            m_open.set_value();
    }

private:
    std::promise<void> m_open;
    std::shared_future<void> m_opened;
    std::atomic<bool> m_entered{false};
    std::atomic<bool> m_isOpen{false};
};

struct StoredVote
{
    qint64 seq = 0;
    QByteArray voter;
    QByteArray option;
};

// A second connection, read-only (WAL lets it read while the writer writes).
class StoreReader
{
public:
    explicit StoreReader(const QString &path)
        : m_name(u"reader-%1"_s.arg(++s_connections))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(u"QSQLITE_OPEN_READONLY"_s);
        m_ok = db.open();
        if (!m_ok)
            qWarning() << "cannot open" << path << db.lastError().text();
    }
    ~StoreReader() { QSqlDatabase::removeDatabase(m_name); }
    StoreReader(const StoreReader &) = delete;
    StoreReader &operator=(const StoreReader &) = delete;

    bool ok() const { return m_ok; }

    std::vector<StoredVote> votes(qint64 sessionId) const
    {
        std::vector<StoredVote> out;
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        query.prepare(u"SELECT seq, voter, option FROM votes WHERE session_id = ? ORDER BY seq"_s);
        query.addBindValue(sessionId);
        if (!query.exec()) {
            qWarning() << query.lastError().text();
            return out;
        }
        while (query.next()) {
            out.push_back({query.value(0).toLongLong(), query.value(1).toString().toLatin1(),
                           query.value(2).toString().toUtf8()});
        }
        return out;
    }

private:
    static inline int s_connections = 0;
    QString m_name;
    bool m_ok = false;
};

// A read-write connection the test uses to make the store misbehave.
class StoreSaboteur
{
public:
    explicit StoreSaboteur(const QString &path)
        : m_name(u"saboteur"_s)
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=10000"_s);
        m_ok = db.open();
    }
    ~StoreSaboteur() { QSqlDatabase::removeDatabase(m_name); }
    StoreSaboteur(const StoreSaboteur &) = delete;
    StoreSaboteur &operator=(const StoreSaboteur &) = delete;

    bool ok() const { return m_ok; }
    bool exec(const QString &sql)
    {
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        if (query.exec(sql))
            return true;
        qWarning() << sql << query.lastError().text();
        return false;
    }

private:
    QString m_name;
    bool m_ok = false;
};

// The tally of a session recomputed from the store alone (DESIGN.md §2).
Tally recountFromStore(const StoreReader &reader, const SessionDefinition &def)
{
    Tally tally(def.id, int(def.options.size()), def.rule());
    for (const StoredVote &vote : reader.votes(def.id))
        tally.apply(QByteArrayView(vote.voter), def.indexOf(QByteArrayView(vote.option)));
    return tally;
}

void compareSnapshotWith(const TallySnapshotPtr &snapshot, const Tally &tally)
{
    QCOMPARE(snapshot->sessionId, tally.sessionId());
    QCOMPARE(snapshot->raw, tally.raw());
    QCOMPARE(snapshot->exact, tally.exact());
    QCOMPARE(snapshot->accepted, tally.accepted());
    QCOMPARE(snapshot->uniqueVoters, tally.uniqueVoters());
}
} // namespace

class TestJournalWriter final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_path = m_dir->filePath(u"votes.sqlite"_s);
    }
    void cleanup() { m_dir.reset(); }

    // The tickets in these tests have no I/O context: sendReplies must skip them, not crash.
    void repliesWithoutAContextAreDropped()
    {
        std::vector<Http::PendingReply> replies;
        replies.emplace_back(Http::ReplyTicket{}, Http::HttpResponse::json(202, "{}"));
        replies.emplace_back(Http::ReplyTicket{nullptr, 7, 9}, Http::HttpResponse::json(503, "{}"));
        Http::sendReplies(std::move(replies));
        QVERIFY(replies.empty());
        Http::sendReply(Http::ReplyTicket{}, Http::HttpResponse::json(202, "{}"));
    }

    void freshStoreStartsEmpty()
    {
        Rig rig(m_path, 100, 0);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        QVERIFY(!rig.loaded.current);
        QCOMPARE(rig.loaded.maxSessionId, 0);
        QVERIFY(rig.loaded.rejects);
        QCOMPARE(rig.snapshots.load()->accepted, 0);
        QVERIFY(rig.writer->isRunning());
    }

    void unusableStoreFailsToStart()
    {
        QFile blocker(m_dir->filePath(u"not-a-folder"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        Rig rig(m_dir->filePath(u"not-a-folder/votes.sqlite"_s), 100, 0);
        QVERIFY(!rig.loaded.ok);
        QVERIFY(!rig.loaded.error.isEmpty());
        QVERIFY(!rig.writer->isRunning());
    }

    // batchSize = 10: 25 votes arriving together are committed in transactions of at most 10.
    void groupCommitBySize()
    {
        Rig rig(m_path, 10, 0, 1);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        rig.activate(def, std::make_shared<RejectCounters>());
        QTRY_VERIFY_WITH_TIMEOUT(rig.snapshots.load()->sessionId == 1 && rig.shardsEmpty(), kWaitMs);
        // A burst: the votes queue up while the worker is held, then it takes them all at once.
        rig.pool->pause();
        for (int i = 0; i < 25; ++i)
            QCOMPARE(rig.vote(1, "g" + QByteArray::number(i), i % 4), IngestQueue::PushResult::Accepted);
        rig.pool->resume();
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 25, kWaitMs);
        QCOMPARE(rig.metrics.votesPersisted.load(), 25);
        QCOMPARE(rig.metrics.batchVotes.load(), 25);
        QVERIFY2(rig.metrics.commits.load() >= 3,
                 qPrintable(u"%1 commits"_s.arg(rig.metrics.commits.load())));
        QCOMPARE(rig.metrics.commitFailures.load(), 0);
        QCOMPARE(rig.queue.depth(), 0); // every vote answered

        StoreReader reader(m_path);
        QVERIFY(reader.ok());
        const std::vector<StoredVote> stored = reader.votes(1);
        QCOMPARE(stored.size(), std::size_t(25));
        for (std::size_t i = 0; i < stored.size(); ++i)
            QCOMPARE(stored[i].seq, qint64(i + 1)); // a gapless log
        compareSnapshotWith(rig.snapshots.load(), recountFromStore(reader, def));
    }

    // With a window, votes that trickle in one by one share a commit.
    void groupCommitByWindow()
    {
        constexpr int votes = 12;
        // The group closes when it holds `votes` votes, long before the window would end.
        Rig rig(m_path, votes, 600'000, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        rig.activate(def, std::make_shared<RejectCounters>());
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->sessionId, 1, kWaitMs);
        const qint64 commitsBefore = rig.metrics.commits.load();
        for (int i = 0; i < votes; ++i) {
            QCOMPARE(rig.vote(1, "w" + QByteArray::number(i), i % 4), IngestQueue::PushResult::Accepted);
            // Each vote is with the writer before the next arrives: without a window each
            // would be a commit of its own.
            QTRY_VERIFY_WITH_TIMEOUT(rig.shardsEmpty() && rig.writerQueue.votesWaiting() == 0, kWaitMs);
            rig.flushWorkers();
            QTRY_COMPARE_WITH_TIMEOUT(rig.writerQueue.votesWaiting(), 0, kWaitMs);
        }
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, votes, kWaitMs);
        const qint64 commits = rig.metrics.commits.load() - commitsBefore;
        QVERIFY2(commits < votes, qPrintable(u"%1 commits for %2 votes"_s.arg(commits).arg(votes)));
        StoreReader reader(m_path);
        QCOMPARE(reader.votes(1).size(), std::size_t(votes));
    }

    void restartReplaysTheLog_data()
    {
        QTest::addColumn<CountingRule>("policy");
        QTest::newRow("last_wins") << CountingRule(VotePolicy::LastWins);
        QTest::newRow("first_wins") << CountingRule(VotePolicy::FirstWins);
        QTest::newRow("unlimited") << CountingRule(VotePolicy::Unlimited);
        QTest::newRow("capped:3") << CountingRule(VotePolicy::Capped, 3);
        QTest::newRow("capped:5, option cap 2") << CountingRule(VotePolicy::Capped, 5, 2);
        QTest::newRow("unlimited, option cap 1") << CountingRule(VotePolicy::Unlimited, 0, 1);
    }

    // Stop the writer, start a new one on the same file: the session is current again, the
    // published snapshot equals the recount, and the ledgers know every voter.
    void restartReplaysTheLog()
    {
        QFETCH(CountingRule, policy);
        const SessionDefinition def = session(3, policy);
        constexpr int votes = 3000;
        TallySnapshotPtr before;
        {
            Rig rig(m_path, 64, 1, 2);
            QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
            rig.activate(def, std::make_shared<RejectCounters>());
            for (int i = 0; i < votes; ++i) {
                QCOMPARE(rig.vote(3, "r" + QByteArray::number(i % 700), (i * 7 + i / 700) % 4),
                         IngestQueue::PushResult::Accepted);
            }
            QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, votes, kWaitMs);
            before = rig.snapshots.load();
            QCOMPARE(before->uniqueVoters, 700);
            StoreReader reader(m_path);
            compareSnapshotWith(before, recountFromStore(reader, def));
        }

        Rig rig(m_path, 64, 1, 3);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        QVERIFY(rig.loaded.current);
        QCOMPARE(rig.loaded.current->definition.id, 3);
        QCOMPARE(rig.loaded.current->definition.rule(), policy);
        QCOMPARE(rig.loaded.current->window.state, WindowState::Open);
        QCOMPARE(rig.loaded.maxSessionId, 3);
        {
            StoreReader reader(m_path);
            const Tally recount = recountFromStore(reader, def);
            compareSnapshotWith(rig.snapshots.load(), recount);
            QCOMPARE(rig.snapshots.load()->raw, before->raw);
            QCOMPARE(rig.snapshots.load()->exact, before->exact);
        }

        // The ledgers were replayed: known voters are not new, and their next vote follows
        // the policy against what they voted before the restart.
        rig.queue.setAdmission(openFor(3));
        Tally expected = [&] {
            StoreReader reader(m_path);
            return recountFromStore(reader, def);
        }();
        for (int i = 0; i < 50; ++i) {
            const QByteArray voter = "r" + QByteArray::number(i);
            QCOMPARE(rig.vote(3, voter, 3), IngestQueue::PushResult::Accepted);
            expected.apply(QByteArrayView(voter), 3);
        }
        QCOMPARE(rig.vote(3, "newcomer", 0), IngestQueue::PushResult::Accepted);
        expected.apply(QByteArrayView("newcomer"), 0);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, votes + 51, kWaitMs);
        compareSnapshotWith(rig.snapshots.load(), expected);
        QCOMPARE(rig.snapshots.load()->uniqueVoters, 701);

        // The log continues where it stopped: no sequence number is handed out twice.
        StoreReader reader(m_path);
        const std::vector<StoredVote> stored = reader.votes(3);
        QCOMPARE(stored.size(), std::size_t(votes + 51));
        for (std::size_t i = 0; i < stored.size(); ++i)
            QCOMPARE(stored[i].seq, qint64(i + 1));
        compareSnapshotWith(rig.snapshots.load(), recountFromStore(reader, def));
    }

    // A policy replay recounts the stored log under any rule into a fresh tally, equal to a
    // recount by a second reader, next to the live tally, and changes nothing.
    void replayMatchesAFreshCountUnderEveryRule()
    {
        Rig rig(m_path, 64, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        rig.activate(def, std::make_shared<RejectCounters>());
        constexpr int votes = 2000;
        for (int i = 0; i < votes; ++i)
            QCOMPARE(rig.vote(1, "p" + QByteArray::number(i % 150), (i * 5 + i / 150) % 4),
                     IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, votes, kWaitMs);
        const TallySnapshotPtr live = rig.snapshots.load();

        for (const CountingRule &rule :
             {CountingRule(VotePolicy::LastWins), CountingRule(VotePolicy::FirstWins),
              CountingRule(VotePolicy::Unlimited), CountingRule(VotePolicy::Capped, 1),
              CountingRule(VotePolicy::Capped, 20), CountingRule(VotePolicy::Capped, 20, 3),
              CountingRule(VotePolicy::Unlimited, 0, 2)}) {
            std::promise<JournalWriter::ReplayOutcome> replayed;
            std::future<JournalWriter::ReplayOutcome> future = replayed.get_future();
            rig.writerQueue.push(
                rig.writer->replayLog(rule, [&replayed](const JournalWriter::ReplayOutcome &outcome) {
                    replayed.set_value(outcome);
                }));
            const JournalWriter::ReplayOutcome outcome = waitFor(future);
            QVERIFY2(outcome.ok, qPrintable(outcome.error));
            QCOMPARE(outcome.sessionId, 1);
            SessionDefinition under = def;
            under.policy = rule.policy;
            under.voteCap = rule.voteCap;
            under.optionCap = rule.optionCap;
            StoreReader reader(m_path);
            const Tally fresh = recountFromStore(reader, under);
            QCOMPARE(outcome.replayed.exact, fresh.exact());
            QCOMPARE(outcome.replayed.raw, fresh.raw());
            QCOMPARE(outcome.replayed.accepted, qint64(votes));
            QCOMPARE(outcome.replayed.uniqueVoters, 150);
            QCOMPARE(outcome.live.exact, live->exact);
            QCOMPARE(outcome.unknownOptionVotes, 0);
        }
        // Nothing was changed by it.
        QCOMPARE(rig.snapshots.load()->exact, live->exact);
        QCOMPARE(rig.snapshots.load()->version, live->version);

        std::promise<JournalWriter::ReplayOutcome> refused;
        std::future<JournalWriter::ReplayOutcome> refusedFuture = refused.get_future();
        rig.writerQueue.push(rig.writer->replayLog(
            CountingRule(VotePolicy::Capped, 0),
            [&refused](const JournalWriter::ReplayOutcome &outcome) { refused.set_value(outcome); }));
        const JournalWriter::ReplayOutcome invalid = waitFor(refusedFuture);
        QVERIFY(!invalid.ok);
        QVERIFY(!invalid.error.isEmpty());
    }

    // Certification: the recount from the store alone must equal the live tally; then the
    // hook runs with the audit log and a reader of the vote log, and the final state, the
    // picture and the audit line are stored together.
    void certifyStoresTheFinalStateWhenTheRecountMatches()
    {
        Rig rig(m_path, 64, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, CountingRule(VotePolicy::Capped, 2));
        rig.activate(def, std::make_shared<RejectCounters>());
        for (int i = 0; i < 300; ++i)
            QCOMPARE(rig.vote(1, "c" + QByteArray::number(i % 40), i % 4), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 300, kWaitMs);

        SessionRecord record{def, WindowRecord{}, rig.clock.nowMs()};
        record.window.state = WindowState::Final;
        std::atomic<int> logRows{0};
        QList<EventRow> auditSeen;
        JournalWriter::CertifyHook hook = [&](const TallyCounts &recount, const QList<EventRow> &audit,
                                              const VoteLogReader &log, PublishedRecord *picture,
                                              EventRow *event, QString *error) {
            auditSeen = audit;
            event->detail += u"; files: results.csv"_s;
            if (!log([&logRows](const VoteRow &) { ++logRows; }, error))
                return false;
            *picture = PublishedRecord{1, 4, 77, true, QByteArray::number(recount.accepted)};
            return true;
        };
        std::promise<JournalWriter::CertifyOutcome> certified;
        std::future<JournalWriter::CertifyOutcome> future = certified.get_future();
        rig.writerQueue.push(rig.writer->certify(
            record, EventRow{0, 1, 0, u"finalized"_s, u"ok"_s, u"console"_s}, hook,
            [&certified](const JournalWriter::CertifyOutcome &outcome) { certified.set_value(outcome); }));
        const JournalWriter::CertifyOutcome outcome = waitFor(future);
        QVERIFY2(outcome.result == JournalWriter::CertifyOutcome::Result::Certified,
                 qPrintable(outcome.error));
        QVERIFY(outcome.differences.isEmpty());
        QCOMPARE(outcome.recount.exact, rig.snapshots.load()->exact);
        QCOMPARE(logRows.load(), 300);
        QCOMPARE(auditSeen.size(), 1); // session_activated
        QCOMPARE(auditSeen.first().kind, u"session_activated"_s);
        QVERIFY(auditSeen.first().detail.contains(u"capped:2"_s));
        rig.stop();

        SqliteStore store(m_path, Durability::Full);
        QString error;
        QVERIFY(store.open(&error));
        QCOMPARE(store.loadSession(1, &error)->window.state, WindowState::Final);
        QCOMPARE(store.loadPublished(1, &error)->version, 4u);
        QCOMPARE(store.loadPublished(1, &error)->picture, QByteArray("300"));
        const QList<EventRow> events = store.loadEvents(1, &error);
        QCOMPARE(events.last().kind, u"finalized"_s);
        QCOMPARE(events.last().actor, u"console"_s);
        QCOMPARE(events.last().detail, u"ok; files: results.csv"_s); // as the hook amended it
    }

    // Someone changed a vote in the store behind the writer's back (WAL lets a second
    // connection write): certification refuses, names each difference, stores nothing.
    void certifyRefusesATamperedLog()
    {
        Rig rig(m_path, 64, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        rig.activate(def, std::make_shared<RejectCounters>());
        for (int i = 0; i < 20; ++i)
            QCOMPARE(rig.vote(1, "t" + QByteArray::number(i), i < 10 ? 0 : 1),
                     IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 20, kWaitMs);
        {
            StoreSaboteur saboteur(m_path);
            QVERIFY(saboteur.ok());
            QVERIFY(saboteur.exec(u"UPDATE votes SET option = 'C' WHERE voter = 't3'"_s));
        }
        bool hookRan = false;
        std::promise<JournalWriter::CertifyOutcome> certified;
        std::future<JournalWriter::CertifyOutcome> future = certified.get_future();
        SessionRecord record{def, WindowRecord{}, rig.clock.nowMs()};
        record.window.state = WindowState::Final;
        rig.writerQueue.push(rig.writer->certify(
            record, EventRow{0, 1, 0, u"finalized"_s, u"ok"_s, u"console"_s},
            [&hookRan](const TallyCounts &, const QList<EventRow> &, const VoteLogReader &, PublishedRecord *,
                       EventRow *, QString *) { return hookRan = true; },
            [&certified](const JournalWriter::CertifyOutcome &outcome) { certified.set_value(outcome); }));
        const JournalWriter::CertifyOutcome outcome = waitFor(future);
        QCOMPARE(outcome.result, JournalWriter::CertifyOutcome::Result::Mismatch);
        QVERIFY(!hookRan);
        // exact A 10 -> 9, exact C 0 -> 1, and the same in raw.
        QCOMPARE(outcome.differences.size(), 4);
        QCOMPARE(outcome.differences[0].fieldName(), u"exact"_s);
        QCOMPARE(outcome.differences[0].optionIndex, 0);
        QCOMPARE(outcome.differences[0].live, 10);
        QCOMPARE(outcome.differences[0].recount, 9);
        QCOMPARE(outcome.differences[1].optionIndex, 2);
        QCOMPARE(outcome.differences[1].recount, 1);
        rig.stop();
        SqliteStore store(m_path, Durability::Full);
        QString error;
        QVERIFY(store.open(&error));
        QCOMPARE(store.loadSession(1, &error)->window.state, WindowState::Open);
        QVERIFY(!store.loadPublished(1, &error));
    }

    // The hook (the feed side's final files) may refuse: then nothing is stored.
    void certifyStoresNothingWhenTheHookRefuses()
    {
        Rig rig(m_path, 64, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        rig.activate(def, std::make_shared<RejectCounters>());
        QCOMPARE(rig.vote(1, "h", 0), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 1, kWaitMs);
        SessionRecord record{def, WindowRecord{}, rig.clock.nowMs()};
        record.window.state = WindowState::Final;
        std::promise<JournalWriter::CertifyOutcome> certified;
        std::future<JournalWriter::CertifyOutcome> future = certified.get_future();
        rig.writerQueue.push(rig.writer->certify(
            record, EventRow{0, 1, 0, u"finalized"_s, u"ok"_s, u"console"_s},
            [](const TallyCounts &, const QList<EventRow> &, const VoteLogReader &, PublishedRecord *picture,
               EventRow *, QString *error) {
                *picture = PublishedRecord{1, 1, 1, true, "{}"};
                *error = u"the export folder is full"_s;
                return false;
            },
            [&certified](const JournalWriter::CertifyOutcome &outcome) { certified.set_value(outcome); }));
        const JournalWriter::CertifyOutcome outcome = waitFor(future);
        QCOMPARE(outcome.result, JournalWriter::CertifyOutcome::Result::Refused);
        QCOMPARE(outcome.error, u"the export folder is full"_s);
        rig.stop();
        SqliteStore store(m_path, Durability::Full);
        QString error;
        QVERIFY(store.open(&error));
        QCOMPARE(store.loadSession(1, &error)->window.state, WindowState::Open);
        QVERIFY(!store.loadPublished(1, &error));
        QCOMPARE(store.loadEvents(1, &error).last().kind, u"session_activated"_s);
    }

    // Activating another session switches the published tally and the ledgers: its voters
    // start from nothing.
    void activationSwitchesTheTally()
    {
        Rig rig(m_path, 100, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition first = session(1, VotePolicy::LastWins);
        rig.activate(first, std::make_shared<RejectCounters>());
        for (int i = 0; i < 40; ++i)
            QCOMPARE(rig.vote(1, "a" + QByteArray::number(i % 10), i % 4), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 40, kWaitMs);

        const SessionDefinition second = session(2, VotePolicy::FirstWins);
        rig.activate(second, std::make_shared<RejectCounters>());
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->sessionId, 2, kWaitMs);
        QCOMPARE(rig.snapshots.load()->accepted, 0);
        for (int i = 0; i < 20; ++i)
            QCOMPARE(rig.vote(2, "a" + QByteArray::number(i % 10), 1), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 20, kWaitMs);
        const TallySnapshotPtr snapshot = rig.snapshots.load();
        QCOMPARE(snapshot->uniqueVoters, 10);
        QCOMPARE(snapshot->exact, (std::vector<qint64>{0, 10, 0, 0}));

        StoreReader reader(m_path);
        QCOMPARE(reader.votes(1).size(), std::size_t(40));
        QCOMPARE(reader.votes(2).size(), std::size_t(20));
        compareSnapshotWith(snapshot, recountFromStore(reader, second));
    }

    // A barrier completes only after every vote admitted before it is committed.
    void barrierCompletesAfterEarlierVotesCommit()
    {
        Rig rig(m_path, 100, 20, 3);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        rig.activate(session(1, VotePolicy::LastWins), std::make_shared<RejectCounters>());
        constexpr int votes = 5000;
        for (int i = 0; i < votes; ++i)
            QCOMPARE(rig.vote(1, "b" + QByteArray::number(i), i % 4), IngestQueue::PushResult::Accepted);

        std::atomic<bool> done{false};
        std::atomic<bool> doneOk{false};
        std::atomic<qint64> acceptedAtDone{-1};
        std::atomic<qint64> persistedAtDone{-1};
        SnapshotBox *snapshots = &rig.snapshots;
        Metrics *metrics = &rig.metrics;
        rig.barrier(5, [&, snapshots, metrics](bool ok, const QString &) {
            acceptedAtDone.store(snapshots->load()->accepted);
            persistedAtDone.store(metrics->votesPersisted.load());
            doneOk.store(ok);
            done.store(true);
        });
        // Votes after the barrier do not hold it up.
        for (int i = 0; i < 100; ++i)
            QCOMPARE(rig.vote(1, "late" + QByteArray::number(i), 0), IngestQueue::PushResult::Accepted);
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), kWaitMs);
        QVERIFY(doneOk.load());
        QVERIFY2(acceptedAtDone.load() >= votes, qPrintable(QString::number(acceptedAtDone.load())));
        QVERIFY(persistedAtDone.load() >= votes);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, votes + 100, kWaitMs);
    }

    // The insert fails (a trigger the test adds raises an error): the votes of that commit
    // and every batch already handed to the writer are refused 503 storage_unavailable, none
    // is stored or counted, a barrier in flight still completes, and once the store works
    // again the ledgers have been rebuilt from the store.
    void failedCommitAcknowledgesNothingUnstored()
    {
        Rig rig(m_path, 4096, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        auto rejects = std::make_shared<RejectCounters>();
        rig.activate(def, rejects);
        for (int k = 1; k <= 5; ++k)
            QCOMPARE(rig.vote(1, "k" + QByteArray::number(k), 0), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 5, kWaitMs);

        StoreSaboteur saboteur(m_path);
        QVERIFY(saboteur.ok());
        QVERIFY(saboteur.exec(u"CREATE TRIGGER refuse_votes BEFORE INSERT ON votes "
                              u"BEGIN SELECT RAISE(ABORT, 'injected failure'); END"_s));

        // Hold the writer so that everything below is queued behind the failing commit.
        WriterGate gate;
        rig.writerQueue.push(gate.command());
        QTRY_VERIFY_WITH_TIMEOUT(gate.entered(), kWaitMs);
        QCOMPARE(rig.vote(1, "k1", 1), IngestQueue::PushResult::Accepted); // k1 changes their mind
        for (int l = 1; l <= 3; ++l)
            QCOMPARE(rig.vote(1, "l" + QByteArray::number(l), 2), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.writerQueue.votesWaiting(), 4, kWaitMs);
        std::atomic<bool> barrierDone{false};
        std::atomic<qint64> acceptedAtBarrier{-1};
        SnapshotBox *snapshots = &rig.snapshots;
        rig.barrier(9, [&barrierDone, &acceptedAtBarrier, snapshots](bool, const QString &) {
            acceptedAtBarrier.store(snapshots->load()->accepted);
            barrierDone.store(true);
        });
        QTRY_VERIFY_WITH_TIMEOUT(rig.shardsEmpty(), kWaitMs);
        rig.flushWorkers(); // the markers are in the writer queue too
        // And one more vote behind the barrier, handed over before the failure.
        QCOMPARE(rig.vote(1, "l4", 1), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.writerQueue.votesWaiting(), 5, kWaitMs);
        gate.open();

        QTRY_COMPARE_WITH_TIMEOUT(rig.metrics.commitFailures.load(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(rejects->count(RejectReason::StorageUnavailable), 5, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(barrierDone.load(), kWaitMs);
        QCOMPARE(acceptedAtBarrier.load(), 5);
        QTRY_COMPARE_WITH_TIMEOUT(rig.queue.depth(), 0, kWaitMs); // all answered
        QCOMPARE(rig.metrics.votesFailed.load(), 5);
        QCOMPARE(rig.metrics.votesPersisted.load(), 5);
        QCOMPARE(rig.metrics.votesAccepted.load(), 5);
        QCOMPARE(rig.storageErrors.load(), 1);
        {
            const TallySnapshotPtr snapshot = rig.snapshots.load();
            QCOMPARE(snapshot->accepted, 5);
            QCOMPARE(snapshot->exact, (std::vector<qint64>{5, 0, 0, 0}));
            QCOMPARE(snapshot->uniqueVoters, 5);
            StoreReader reader(m_path);
            QCOMPARE(reader.votes(1).size(), std::size_t(5));
        }

        // The store works again.
        QVERIFY(saboteur.exec(u"DROP TRIGGER refuse_votes"_s));
        QCOMPARE(rig.vote(1, "l1", 2), IngestQueue::PushResult::Accepted); // lost before: new now
        QCOMPARE(rig.vote(1, "k1", 3), IngestQueue::PushResult::Accepted); // moves from A, not B
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 7, kWaitMs);
        const TallySnapshotPtr snapshot = rig.snapshots.load();
        QCOMPARE(snapshot->raw, (std::vector<qint64>{5, 0, 1, 1}));
        QCOMPARE(snapshot->exact, (std::vector<qint64>{4, 0, 1, 1}));
        QCOMPARE(snapshot->uniqueVoters, 6);
        StoreReader reader(m_path);
        QCOMPARE(reader.votes(1).size(), std::size_t(7));
        compareSnapshotWith(snapshot, recountFromStore(reader, def));
        QCOMPARE(rig.metrics.commitFailures.load(), 1);
    }

    // The store is locked by another connection: BEGIN IMMEDIATE waits out the store's
    // busy_timeout (5 s) and fails. Same promise: nothing unstored is acknowledged.
    void lockedStoreAcknowledgesNothingUnstored()
    {
        Rig rig(m_path, 4096, 0, 2);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        const SessionDefinition def = session(1, VotePolicy::LastWins);
        auto rejects = std::make_shared<RejectCounters>();
        rig.activate(def, rejects);
        QCOMPARE(rig.vote(1, "x1", 0), IngestQueue::PushResult::Accepted);
        QCOMPARE(rig.vote(1, "x2", 0), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 2, kWaitMs);

        StoreSaboteur saboteur(m_path);
        QVERIFY(saboteur.ok());
        QVERIFY(saboteur.exec(u"BEGIN EXCLUSIVE"_s));
        QCOMPARE(rig.vote(1, "x1", 1), IngestQueue::PushResult::Accepted);
        QCOMPARE(rig.vote(1, "y1", 2), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.metrics.commitFailures.load(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(rejects->count(RejectReason::StorageUnavailable), 2, kWaitMs);
        QVERIFY(saboteur.exec(u"ROLLBACK"_s));
        QCOMPARE(rig.snapshots.load()->accepted, 2);
        QCOMPARE(rig.snapshots.load()->exact, (std::vector<qint64>{2, 0, 0, 0}));

        QCOMPARE(rig.vote(1, "y1", 3), IngestQueue::PushResult::Accepted); // y1's first stored vote
        QCOMPARE(rig.vote(1, "x1", 2), IngestQueue::PushResult::Accepted); // moves from A
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->accepted, 4, kWaitMs);
        const TallySnapshotPtr snapshot = rig.snapshots.load();
        QCOMPARE(snapshot->exact, (std::vector<qint64>{1, 0, 1, 1}));
        QCOMPARE(snapshot->uniqueVoters, 3);
        StoreReader reader(m_path);
        QCOMPARE(reader.votes(1).size(), std::size_t(4));
        compareSnapshotWith(snapshot, recountFromStore(reader, def));
    }

    // Votes that reach the writer after their session stopped being current are refused
    // (409 window_closed), never stored under another session.
    void staleVotesAreRefused()
    {
        Rig rig(m_path, 100, 0, 1);
        QVERIFY2(rig.loaded.ok, qPrintable(rig.loaded.error));
        auto rejects1 = std::make_shared<RejectCounters>();
        rig.activate(session(1, VotePolicy::LastWins), rejects1);
        QTRY_COMPARE_WITH_TIMEOUT(rig.snapshots.load()->sessionId, 1, kWaitMs);
        // Hold the writer; votes of session 1 queue up; then session 2 is activated ahead of
        // them in the writer queue (as a command pushed by hand).
        WriterGate gate;
        rig.writerQueue.push(gate.command());
        QTRY_VERIFY_WITH_TIMEOUT(gate.entered(), kWaitMs);
        auto rejects2 = std::make_shared<RejectCounters>();
        rig.writerQueue.push(rig.writer->activateSession(
            SessionRecord{session(2, VotePolicy::LastWins), WindowRecord{}, rig.clock.nowMs()}, rejects2));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(rig.vote(1, "z" + QByteArray::number(i), 0), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(rig.writerQueue.votesWaiting(), 3, kWaitMs);
        gate.open();
        QTRY_COMPARE_WITH_TIMEOUT(rig.queue.depth(), 0, kWaitMs);
        QCOMPARE(rejects1->count(RejectReason::WindowClosed) + rejects2->count(RejectReason::WindowClosed),
                 3);
        QCOMPARE(rig.snapshots.load()->sessionId, 2);
        QCOMPARE(rig.snapshots.load()->accepted, 0);
        StoreReader reader(m_path);
        QCOMPARE(reader.votes(1).size(), std::size_t(0));
        QCOMPARE(reader.votes(2).size(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestJournalWriter)
#include "tst_journalwriter.moc"
