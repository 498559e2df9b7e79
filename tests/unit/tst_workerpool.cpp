#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include <QDeadlineTimer>
#include <QTest>

#include "ingest/ingestqueue.h"
#include "ingest/workerpool.h"
#include "ingest/writerqueue.h"
#include "tally/tally.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(VotePolicy)

namespace {
constexpr int kWaitMs = 10'000; // QTRY timeouts: generous, only reached when something is wrong
constexpr qint64 kReceivedAtMs = 1000;

IngestQueue::Admission openFor(qint64 sessionId)
{
    return {sessionId, WindowState::Open, 0, std::numeric_limits<qint64>::max()};
}

PendingVote makeVote(qint64 sessionId, const QByteArray &voter, int option, quint64 id)
{
    PendingVote vote;
    vote.sessionId = sessionId;
    vote.voter = VoterId::from(voter);
    vote.voterHash = VoterTable::hashOf(voter);
    vote.optionIndex = std::int16_t(option);
    vote.receivedAtMs = kReceivedAtMs;
    vote.receivedNs = qint64(id);
    vote.ticket.sequence = id; // identifies the vote on its way through
    return vote;
}

// A queue, a writer queue and a pool wired like the engine wires them, minus the writer
// thread: the test is the writer (Collector).
struct Pipeline
{
    IngestQueue queue;
    WriterQueue writer;
    WorkerPool pool;

    Pipeline(int maxWorkers, qint64 sessionId, int optionCount, VotePolicy policy)
        : queue(10'000'000)
        , pool(queue, writer, maxWorkers)
    {
        queue.setWakeHandler([this](std::uint64_t shards) { pool.wakeOwners(shards); });
        pool.resetShards(sessionId, optionCount, policy);
        queue.setAdmission(openFor(sessionId));
    }
    ~Pipeline() { pool.stop(); }
};

struct SeenVote
{
    quint64 id = 0;
    QByteArray voter;
    int option = 0;
    qint64 sessionId = 0;
    bool counted = false;
};

struct SeenMarker
{
    std::size_t position = 0; // votes seen before it
    MarkerPassed passed;
};

// Plays the journal writer: pops the writer queue, remembers what came in which order, sums
// the batches' deltas per session and frees the votes' places in the ingest queue.
struct Collector
{
    explicit Collector(Pipeline &p)
        : pipeline(p)
    {}

    Pipeline &pipeline;
    std::vector<SeenVote> votes;
    std::vector<SeenMarker> markers;
    std::map<qint64, TallyCounts> deltas;
    qsizetype batches = 0;
    int commands = 0;

    // One pop, waiting up to waitMs for something. Returns whether anything came.
    bool popOnce(int waitMs)
    {
        std::vector<WriterQueue::Item> items =
            pipeline.writer.pop(std::numeric_limits<qsizetype>::max(), 0, waitMs);
        for (WriterQueue::Item &item : items) {
            if (auto *batch = std::get_if<WorkBatch>(&item)) {
                ++batches;
                if (batch->counted)
                    deltas[batch->sessionId].add(batch->delta);
                for (const PendingVote &vote : batch->votes) {
                    votes.push_back({vote.ticket.sequence, vote.voter.view().toByteArray(), vote.optionIndex,
                                     batch->sessionId, batch->counted});
                }
                pipeline.queue.release(qsizetype(batch->votes.size()));
            } else if (auto *passed = std::get_if<MarkerPassed>(&item)) {
                markers.push_back({votes.size(), *passed});
            } else {
                ++commands;
            }
        }
        return !items.empty();
    }
    // Everything in the writer queue right now.
    std::size_t drain()
    {
        while (popOnce(0)) {
        }
        return votes.size();
    }
};

// What one producer thread pushed: per voter, the vote ids in push order.
using PushLog = std::map<QByteArray, std::vector<quint64>>;

// `threads` producers; producer t owns voters "t<t>v<k>" (k < votersEach) and pushes
// `votesEach` votes for each of them, round robin, with random options. A voter's votes all
// come from one thread, which defines their order.
struct Producers
{
    std::vector<std::thread> threads;
    std::vector<PushLog> logs;
    std::atomic<int> refused{0};
    std::atomic<qint64> pushed{0};

    // beforeRound (optional) is called by every producer before each round.
    void start(IngestQueue &queue, qint64 sessionId, int optionCount, int threadCount, int votersEach,
               int votesEach, std::function<void(int round)> beforeRound = {})
    {
        logs.resize(std::size_t(threadCount));
        for (int t = 0; t < threadCount; ++t) {
            threads.emplace_back([this, &queue, sessionId, optionCount, t, votersEach, votesEach,
                                  beforeRound] {
                std::mt19937 random(std::uint32_t(t + 1));
                std::uniform_int_distribution<int> pickOption(0, optionCount - 1);
                PushLog &log = logs[std::size_t(t)];
                quint64 next = quint64(t + 1) * 100'000'000;
                for (int round = 0; round < votesEach; ++round) {
                    if (beforeRound)
                        beforeRound(round);
                    for (int k = 0; k < votersEach; ++k) {
                        const QByteArray voter = "t" + QByteArray::number(t) + "v" + QByteArray::number(k);
                        const quint64 id = ++next;
                        if (queue.pushVote(makeVote(sessionId, voter, pickOption(random), id)) !=
                            IngestQueue::PushResult::Accepted) {
                            refused.fetch_add(1);
                            continue;
                        }
                        log[voter].push_back(id);
                        pushed.fetch_add(1);
                    }
                }
            });
        }
    }
    ~Producers() { join(); } // also when a test fails half way
    void join()
    {
        for (auto &thread : threads)
            thread.join();
        threads.clear();
    }
    PushLog merged() const
    {
        PushLog all;
        for (const PushLog &log : logs)
            all.insert(log.begin(), log.end());
        return all;
    }
};

// Every pushed vote reached the writer exactly once, and each voter's votes in push order.
bool checkExactlyOnceInOrder(const Collector &collector, const PushLog &pushed, QString *problem)
{
    std::unordered_map<quint64, int> times;
    PushLog arrived;
    for (const SeenVote &vote : collector.votes) {
        if (++times[vote.id] > 1) {
            *problem = u"vote %1 reached the writer twice"_s.arg(vote.id);
            return false;
        }
        arrived[vote.voter].push_back(vote.id);
    }
    std::size_t expected = 0;
    for (const auto &[voter, ids] : pushed) {
        expected += ids.size();
        const auto it = arrived.find(voter);
        if (it == arrived.end() || it->second != ids) {
            *problem =
                u"voter %1: %2 votes pushed, %3 arrived (or out of order)"_s.arg(QString::fromLatin1(voter))
                    .arg(ids.size())
                    .arg(it == arrived.end() ? 0 : it->second.size());
            return false;
        }
    }
    if (collector.votes.size() != expected) {
        *problem = u"%1 votes arrived, %2 were pushed"_s.arg(collector.votes.size()).arg(expected);
        return false;
    }
    return true;
}

// The batches' summed deltas equal a recount of the same votes in the writer's order.
void compareWithRecount(const TallyCounts &delta, const Collector &collector, qint64 sessionId,
                        int optionCount, VotePolicy policy)
{
    Tally reference(sessionId, optionCount, policy);
    for (const SeenVote &vote : collector.votes) {
        if (vote.sessionId == sessionId && vote.counted)
            reference.apply(QByteArrayView(vote.voter), vote.option);
    }
    QCOMPARE(delta.raw, reference.raw());
    QCOMPARE(delta.exact, reference.exact());
    QCOMPARE(delta.accepted, reference.accepted());
    QCOMPARE(delta.uniqueVoters, reference.uniqueVoters());
}

int totalLedgerVoters(WorkerPool &pool)
{
    qsizetype voters = 0;
    for (int s = 0; s < IngestQueue::ShardCount; ++s)
        voters += pool.ledger(s).voterCount();
    return int(voters);
}

bool anyShardHasItems(const IngestQueue &queue)
{
    for (int s = 0; s < IngestQueue::ShardCount; ++s) {
        if (queue.hasItems(s))
            return true;
    }
    return false;
}
} // namespace

class TestWorkerPool final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void policies_data()
    {
        QTest::addColumn<VotePolicy>("policy");
        QTest::newRow("last_wins") << VotePolicy::LastWins;
        QTest::newRow("first_wins") << VotePolicy::FirstWins;
        QTest::newRow("unlimited") << VotePolicy::Unlimited;
    }

    // Many votes of a few voters from several producer threads, several workers: each vote
    // reaches the writer once, each voter's in push order, and the deltas add up to a recount.
    void policies()
    {
        QFETCH(VotePolicy, policy);
        constexpr int options = 5;
        Pipeline p(4, 1, options, policy);
        p.pool.start(4);
        Collector collector(p);
        Producers producers;
        producers.start(p.queue, 1, options, 4, 6, 800); // 4 x 6 voters x 800 votes
        producers.join();
        QCOMPARE(producers.refused.load(), 0);
        const std::size_t total = std::size_t(producers.pushed.load());
        QCOMPARE(total, std::size_t(4 * 6 * 800));
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), total, kWaitMs);

        QString problem;
        QVERIFY2(checkExactlyOnceInOrder(collector, producers.merged(), &problem), qPrintable(problem));
        for (const SeenVote &vote : collector.votes) {
            QVERIFY(vote.counted);
            QCOMPARE(vote.sessionId, 1);
        }
        QCOMPARE(collector.deltas.size(), std::size_t(1));
        compareWithRecount(collector.deltas[1], collector, 1, options, policy);
        QCOMPARE(collector.deltas[1].uniqueVoters, 4 * 6);
        QCOMPARE(p.queue.depth(), 0);
        QVERIFY(collector.popOnce(0) == false); // nothing more, nothing twice
    }

    // Many distinct voters (every shard busy), one producer: the same guarantees.
    void manyVotersOneWorker()
    {
        Pipeline p(1, 1, 3, VotePolicy::LastWins);
        p.pool.start(1);
        Collector collector(p);
        Producers producers;
        producers.start(p.queue, 1, 3, 1, 5000, 3);
        producers.join();
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), std::size_t(15'000), kWaitMs);
        QString problem;
        QVERIFY2(checkExactlyOnceInOrder(collector, producers.merged(), &problem), qPrintable(problem));
        compareWithRecount(collector.deltas[1], collector, 1, 3, VotePolicy::LastWins);
        QCOMPARE(collector.deltas[1].uniqueVoters, 5000);
    }

    // A Barrier marker passes every shard once, behind the votes that shard had before it and
    // ahead of those it got after.
    void barrierPassesEachShardOnceInOrder()
    {
        Pipeline p(3, 1, 2, VotePolicy::LastWins);
        p.pool.start(3);
        Collector collector(p);
        std::map<quint64, int> shardOfVote;
        std::set<quint64> before;
        quint64 id = 0;
        for (int i = 0; i < 2000; ++i) {
            const QByteArray voter = "b" + QByteArray::number(i);
            QCOMPARE(p.queue.pushVote(makeVote(1, voter, i % 2, ++id)), IngestQueue::PushResult::Accepted);
            shardOfVote[id] = IngestQueue::shardOf(VoterTable::hashOf(voter));
            before.insert(id);
        }
        IngestQueue::Marker barrier;
        barrier.kind = IngestQueue::Marker::Kind::Barrier;
        barrier.id = 42;
        p.queue.setAdmission(openFor(1), barrier);
        for (int i = 0; i < 2000; ++i) {
            const QByteArray voter = "b" + QByteArray::number(i); // the same voters again
            QCOMPARE(p.queue.pushVote(makeVote(1, voter, (i + 1) % 2, ++id)),
                     IngestQueue::PushResult::Accepted);
            shardOfVote[id] = IngestQueue::shardOf(VoterTable::hashOf(voter));
        }
        QTRY_VERIFY_WITH_TIMEOUT(collector.drain() == 4000 && collector.markers.size() >= 64, kWaitMs);
        QCOMPARE(collector.markers.size(), std::size_t(IngestQueue::ShardCount));

        std::map<int, std::size_t> markerAt; // shard -> votes seen before its marker
        for (const SeenMarker &m : collector.markers) {
            QCOMPARE(m.passed.marker.kind, IngestQueue::Marker::Kind::Barrier);
            QCOMPARE(m.passed.marker.id, quint64(42));
            QVERIFY2(markerAt.emplace(m.passed.shard, m.position).second, "a shard passed the marker twice");
        }
        QCOMPARE(markerAt.size(), std::size_t(IngestQueue::ShardCount));
        for (std::size_t position = 0; position < collector.votes.size(); ++position) {
            const quint64 vote = collector.votes[position].id;
            const int shard = shardOfVote.at(vote);
            const bool isBefore = before.count(vote) > 0;
            const bool seenBeforeMarker = position < markerAt.at(shard);
            if (isBefore != seenBeforeMarker) {
                QFAIL(qPrintable(
                    u"vote %1 of shard %2 was pushed %3 the barrier but reached the writer %4 it"_s.arg(vote)
                        .arg(shard)
                        .arg(isBefore ? u"before"_s : u"after"_s,
                             seenBeforeMarker ? u"before"_s : u"after"_s)));
            }
        }
        compareWithRecount(collector.deltas[1], collector, 1, 2, VotePolicy::LastWins);
    }

    // SwitchSession: every shard's ledger starts over (with the new session's policy and
    // options), so the voters of the old session are new voters of the new one.
    void switchSessionResetsTheLedgers()
    {
        Pipeline p(2, 1, 2, VotePolicy::LastWins);
        p.pool.start(2);
        Collector collector(p);
        quint64 id = 0;
        for (int i = 0; i < 300; ++i) {
            const QByteArray voter = "s" + QByteArray::number(i % 100);
            QCOMPARE(p.queue.pushVote(makeVote(1, voter, i % 2, ++id)), IngestQueue::PushResult::Accepted);
        }
        IngestQueue::Marker toSession2;
        toSession2.kind = IngestQueue::Marker::Kind::SwitchSession;
        toSession2.sessionId = 2;
        toSession2.optionCount = 3;
        toSession2.rule = VotePolicy::FirstWins;
        p.queue.setAdmission(openFor(2), toSession2);
        // Session 1 takes no more votes.
        QCOMPARE(p.queue.pushVote(makeVote(1, "s1", 0, ++id)), IngestQueue::PushResult::WindowClosed);
        for (int i = 0; i < 300; ++i) {
            const QByteArray voter = "s" + QByteArray::number(i % 100);
            QCOMPARE(p.queue.pushVote(makeVote(2, voter, i % 3, ++id)), IngestQueue::PushResult::Accepted);
        }
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), std::size_t(600), kWaitMs);
        QVERIFY(collector.markers.empty()); // switch markers stay in the pool

        for (const SeenVote &vote : collector.votes) {
            QVERIFY(vote.counted);
            QCOMPARE(vote.sessionId, vote.id <= 300 ? 1 : 2);
        }
        QCOMPARE(collector.deltas.size(), std::size_t(2));
        compareWithRecount(collector.deltas[1], collector, 1, 2, VotePolicy::LastWins);
        compareWithRecount(collector.deltas[2], collector, 2, 3, VotePolicy::FirstWins);
        QCOMPARE(collector.deltas[1].uniqueVoters, 100);
        QCOMPARE(collector.deltas[2].uniqueVoters, 100); // the same 100 voters, new again
        QCOMPARE(collector.deltas[2].exact.size(), std::size_t(3));
        qint64 exact2 = 0;
        for (qint64 n : collector.deltas[2].exact)
            exact2 += n;
        QCOMPARE(exact2, 100); // first_wins: one ballot each

        p.pool.pause();
        for (int s = 0; s < IngestQueue::ShardCount; ++s) {
            QCOMPARE(p.pool.shardSession(s), 2);
            QCOMPARE(p.pool.ledger(s).policy(), VotePolicy::FirstWins);
        }
        QCOMPARE(totalLedgerVoters(p.pool), 100);
        p.pool.resume();
    }

    // A vote the shard cannot count (an option the shard's session does not have) travels
    // uncounted, in its own batch, and leaves the ledger alone.
    void uncountableVoteTravelsUncounted()
    {
        Pipeline p(1, 1, 2, VotePolicy::LastWins);
        p.pool.start(1);
        Collector collector(p);
        QCOMPARE(p.queue.pushVote(makeVote(1, "ok1", 1, 1)), IngestQueue::PushResult::Accepted);
        QCOMPARE(p.queue.pushVote(makeVote(1, "bad", 7, 2)), IngestQueue::PushResult::Accepted);
        QCOMPARE(p.queue.pushVote(makeVote(1, "ok2", 0, 3)), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), std::size_t(3), kWaitMs);
        for (const SeenVote &vote : collector.votes)
            QCOMPARE(vote.counted, vote.id != 2);
        QCOMPARE(collector.deltas[1].accepted, 2);
        QCOMPARE(collector.deltas[1].raw, (std::vector<qint64>{1, 1}));
        p.pool.pause();
        QCOMPARE(totalLedgerVoters(p.pool), 2);
        p.pool.resume();
    }

    // A burst one worker takes in one pass is handed over in batches of at most
    // setMaxBatchVotes() votes (the writer never splits a batch, so this bounds a commit).
    void batchesAreCappedInSize()
    {
        Pipeline p(1, 1, 2, VotePolicy::LastWins);
        p.pool.setMaxBatchVotes(10);
        p.pool.start(1);
        Collector collector(p);
        p.pool.pause();
        for (quint64 i = 1; i <= 95; ++i)
            QCOMPARE(p.queue.pushVote(makeVote(1, "c" + QByteArray::number(i), 0, i)),
                     IngestQueue::PushResult::Accepted);
        p.pool.resume();
        std::vector<std::size_t> sizes;
        QDeadlineTimer deadline(kWaitMs);
        while (collector.votes.size() < 95 && !deadline.hasExpired()) {
            for (WriterQueue::Item &item : p.writer.pop(std::numeric_limits<qsizetype>::max(), 0, 10)) {
                const WorkBatch &batch = std::get<WorkBatch>(item);
                sizes.push_back(batch.votes.size());
                for (const PendingVote &vote : batch.votes)
                    collector.votes.push_back({vote.ticket.sequence, {}, 0, 1, true});
            }
        }
        QCOMPARE(collector.votes.size(), std::size_t(95));
        for (std::size_t size : sizes)
            QVERIFY2(size >= 1 && size <= 10, qPrintable(QString::number(size)));
        QVERIFY(sizes.size() >= 10);
        p.queue.release(95);
    }

    void activeWorkersAreClamped()
    {
        Pipeline p(3, 1, 2, VotePolicy::LastWins);
        QCOMPARE(p.pool.maxWorkers(), 3);
        p.pool.start(10);
        QCOMPARE(p.pool.activeWorkers(), 3);
        p.pool.setActiveWorkers(0);
        QCOMPARE(p.pool.activeWorkers(), 1);
        p.pool.setActiveWorkers(-5);
        QCOMPARE(p.pool.activeWorkers(), 1);
        p.pool.setActiveWorkers(2);
        QCOMPARE(p.pool.activeWorkers(), 2);
        p.pool.setActiveWorkers(4);
        QCOMPARE(p.pool.activeWorkers(), 3);
    }

    // The orchestrator moves shards between workers while votes flow: nothing is lost or
    // duplicated, and every voter's votes keep their order.
    void changingActiveWorkersWhileVotesFlow_data()
    {
        QTest::addColumn<int>("maxWorkers");
        QTest::newRow("2 workers") << 2;
        QTest::newRow("4 workers") << 4;
        QTest::newRow("7 workers") << 7;
    }

    void changingActiveWorkersWhileVotesFlow()
    {
        QFETCH(int, maxWorkers);
        constexpr int options = 4;
        Pipeline p(maxWorkers, 1, options, VotePolicy::LastWins);
        p.pool.start(1);
        Collector collector(p);
        // The orchestrator's part, as fast as it can: shards change hands all the time. The
        // producers keep loosely in step with it (round r starts after r / 8 changes), so the
        // changes certainly happen while votes flow.
        std::atomic<int> changes{0};
        std::jthread orchestrator([&](std::stop_token stop) {
            const int pattern[] = {2, 7, 1, 3, 4, 2, 1, 4, 3, 1, 6, 5};
            for (std::size_t step = 0; !stop.stop_requested(); ++step) {
                p.pool.setActiveWorkers(pattern[step % std::size(pattern)]); // clamped to maxWorkers
                changes.fetch_add(1);
                std::this_thread::yield();
            }
        });
        constexpr int rounds = 2500;
        Producers producers;
        producers.start(p.queue, 1, options, 3, 40, rounds, [&changes](int round) {
            while (changes.load() < round / 8)
                std::this_thread::yield();
        });
        const std::size_t total = 3 * 40 * rounds;
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), total, kWaitMs);
        producers.join();
        orchestrator.request_stop();
        orchestrator.join();
        QVERIFY(changes.load() >= (rounds - 1) / 8);
        QString problem;
        QVERIFY2(checkExactlyOnceInOrder(collector, producers.merged(), &problem), qPrintable(problem));
        compareWithRecount(collector.deltas[1], collector, 1, options, VotePolicy::LastWins);
        QCOMPARE(p.queue.depth(), 0);
    }

    // pause() returns only once no worker is in a pass: every vote a ledger has counted is
    // in the writer queue. While paused nothing is produced; resume() carries on.
    void pauseAndResume()
    {
        Pipeline p(3, 1, 2, VotePolicy::Unlimited);
        p.pool.start(3);
        Collector collector(p);
        // Every vote has its own voter, so the ledgers' voter count is the number of votes
        // the workers have counted.
        std::atomic<quint64> pushed{0}; // the producer's votes are 1..pushed
        std::jthread producer([&](std::stop_token stop) {
            quint64 id = 0;
            while (!stop.stop_requested()) {
                if (p.queue.depth() > 50'000) { // keeps memory bounded while the test is slow
                    std::this_thread::yield();
                    continue;
                }
                ++id;
                if (p.queue.pushVote(makeVote(1, "p" + QByteArray::number(id), int(id % 2), id)) !=
                    IngestQueue::PushResult::Accepted) {
                    qFatal("the ingest queue refused vote %llu", id);
                }
                pushed.store(id);
            }
        });

        std::vector<quint64> mine; // pushed by the test while the pool was paused
        quint64 nextMine = 1'000'000'000;
        for (int round = 0; round < 10; ++round) {
            const std::size_t target = collector.votes.size() + 1000;
            QTRY_VERIFY_WITH_TIMEOUT(collector.drain() >= target, kWaitMs);
            p.pool.pause();
            // Nothing is half done: what the ledgers counted is all in the writer queue.
            collector.drain();
            const int counted = totalLedgerVoters(p.pool);
            QCOMPARE(std::size_t(counted), collector.votes.size());
            // While paused, new votes wait in the ingest queue and no batch comes out.
            for (int i = 0; i < 100; ++i) {
                ++nextMine;
                QCOMPARE(p.queue.pushVote(makeVote(1, "m" + QByteArray::number(nextMine), 0, nextMine)),
                         IngestQueue::PushResult::Accepted);
                mine.push_back(nextMine);
            }
            QVERIFY(anyShardHasItems(p.queue));
            QVERIFY2(!collector.popOnce(100), "a batch was produced while the pool was paused");
            QCOMPARE(totalLedgerVoters(p.pool), counted);
            p.pool.resume();
        }
        producer.request_stop();
        producer.join();
        const quint64 produced = pushed.load();
        const std::size_t total = std::size_t(produced) + mine.size();
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), total, kWaitMs);
        std::vector<bool> seen(std::size_t(produced) + 1, false);
        std::set<quint64> mineSeen;
        for (const SeenVote &vote : collector.votes) {
            if (vote.id > 1'000'000'000) {
                QVERIFY2(mineSeen.insert(vote.id).second, "a vote reached the writer twice");
                continue;
            }
            QVERIFY(vote.id >= 1 && vote.id <= produced);
            QVERIFY2(!seen[std::size_t(vote.id)], "a vote reached the writer twice");
            seen[std::size_t(vote.id)] = true;
        }
        QCOMPARE(mineSeen, std::set<quint64>(mine.begin(), mine.end()));
        compareWithRecount(collector.deltas[1], collector, 1, 2, VotePolicy::Unlimited);
    }

    // While paused the caller owns the ledgers: resetShards() there is what the next votes see.
    void resetShardsWhilePaused()
    {
        Pipeline p(2, 1, 2, VotePolicy::LastWins);
        p.pool.start(2);
        Collector collector(p);
        QCOMPARE(p.queue.pushVote(makeVote(1, "r", 0, 1)), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), std::size_t(1), kWaitMs);
        p.pool.pause();
        QCOMPARE(totalLedgerVoters(p.pool), 1);
        p.pool.resetShards(1, 2, VotePolicy::FirstWins);
        QCOMPARE(totalLedgerVoters(p.pool), 0);
        p.pool.resume();
        QCOMPARE(p.queue.pushVote(makeVote(1, "r", 1, 2)), IngestQueue::PushResult::Accepted);
        QTRY_COMPARE_WITH_TIMEOUT(collector.drain(), std::size_t(2), kWaitMs);
        QCOMPARE(collector.deltas[1].uniqueVoters, 2); // "r" was forgotten, so new again
        QCOMPARE(collector.deltas[1].exact, (std::vector<qint64>{1, 1}));
    }

    // stop() with votes still queued returns and stops at a clean point: every vote is
    // either handed to the writer or still in its shard, none is lost half way; after it
    // nothing more is produced. (The engine drains with a barrier before stopping.)
    void stopLeavesEveryVoteSomewhere()
    {
        Pipeline p(2, 1, 2, VotePolicy::LastWins);
        p.pool.start(2);
        Collector collector(p);
        for (quint64 i = 1; i <= 5000; ++i)
            p.queue.pushVote(makeVote(1, "x" + QByteArray::number(i), 0, i));
        p.pool.stop();
        p.pool.stop(); // idempotent
        collector.drain();
        std::size_t waiting = 0;
        std::vector<IngestQueue::Item> items;
        for (int s = 0; s < IngestQueue::ShardCount; ++s)
            waiting += std::size_t(p.queue.take(s, items));
        QCOMPARE(collector.votes.size() + waiting, std::size_t(5000));
        QCOMPARE(p.queue.pushVote(makeVote(1, "after", 0, 9999)), IngestQueue::PushResult::Accepted);
        QVERIFY(!collector.popOnce(50));
    }
};

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_workerpool.moc"
