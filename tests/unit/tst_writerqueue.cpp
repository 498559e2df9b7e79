#include <atomic>
#include <future>
#include <thread>

#include <QTest>

#include "ingest/writerqueue.h"
#include "tally/votertable.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Long enough that a test never waits it out unless something is wrong; the tests never
// assert on how long anything took.
constexpr int kLongMs = 10'000;

// A batch of `count` votes; each vote's ticket sequence numbers it (first, first + 1, ...).
WorkBatch batchOf(int count, quint64 first = 1)
{
    WorkBatch batch;
    batch.sessionId = 1;
    batch.delta.reset(2);
    for (int i = 0; i < count; ++i) {
        PendingVote vote;
        vote.sessionId = 1;
        const QByteArray voter = "v" + QByteArray::number(first + quint64(i));
        vote.voter = VoterId::from(voter);
        vote.voterHash = VoterTable::hashOf(voter);
        vote.optionIndex = 0;
        vote.ticket.sequence = first + quint64(i);
        batch.votes.push_back(std::move(vote));
        ++batch.delta.raw[0];
        ++batch.delta.accepted;
    }
    return batch;
}

WriterCommand command(const QString &what)
{
    return {what, [] {
            }};
}

MarkerPassed marker(quint64 id, int shard)
{
    MarkerPassed passed;
    passed.marker.kind = IngestQueue::Marker::Kind::Barrier;
    passed.marker.id = id;
    passed.shard = shard;
    return passed;
}

qsizetype votesIn(const std::vector<WriterQueue::Item> &items)
{
    qsizetype votes = 0;
    for (const auto &item : items) {
        if (const auto *batch = std::get_if<WorkBatch>(&item))
            votes += qsizetype(batch->votes.size());
    }
    return votes;
}

// The ticket sequence numbers of the votes in `items`, in order.
std::vector<quint64> sequencesIn(const std::vector<WriterQueue::Item> &items)
{
    std::vector<quint64> out;
    for (const auto &item : items) {
        if (const auto *batch = std::get_if<WorkBatch>(&item)) {
            for (const PendingVote &vote : batch->votes)
                out.push_back(vote.ticket.sequence);
        }
    }
    return out;
}

std::vector<quint64> range(quint64 first, quint64 last)
{
    std::vector<quint64> out;
    for (quint64 i = first; i <= last; ++i)
        out.push_back(i);
    return out;
}
} // namespace

class TestWriterQueue final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void popTakesUpToMaxVotes()
    {
        WriterQueue queue;
        for (quint64 i = 1; i <= 25; ++i)
            queue.push(batchOf(1, i));
        QCOMPARE(queue.votesWaiting(), 25);

        auto first = queue.pop(10, 0, kLongMs);
        QCOMPARE(first.size(), std::size_t(10));
        QCOMPARE(sequencesIn(first), range(1, 10));
        QCOMPARE(queue.votesWaiting(), 15);

        auto second = queue.pop(10, 0, kLongMs);
        QCOMPARE(sequencesIn(second), range(11, 20));
        auto third = queue.pop(10, 0, kLongMs);
        QCOMPARE(sequencesIn(third), range(21, 25));
        QCOMPARE(queue.votesWaiting(), 0);
    }

    // Batches are not split (their tally delta belongs to all their votes), so a group is
    // made of whole batches: it stops before a batch that would take it past maxVotes,
    // unless that batch is the first (a group is never empty while work waits).
    void popNeverSplitsABatchNorOvershoots()
    {
        WriterQueue queue;
        queue.push(batchOf(4, 1));
        queue.push(batchOf(4, 5));
        queue.push(batchOf(4, 9));
        queue.push(batchOf(30, 13));

        auto first = queue.pop(10, 0, kLongMs);
        QCOMPARE(sequencesIn(first), range(1, 8)); // 12 would be past 10
        QVERIFY(votesIn(first) <= 10);

        auto second = queue.pop(10, 0, kLongMs);
        QCOMPARE(sequencesIn(second), range(9, 12));

        auto third = queue.pop(10, 0, kLongMs); // larger than maxVotes on its own: taken whole
        QCOMPARE(third.size(), std::size_t(1));
        QCOMPARE(sequencesIn(third), range(13, 42));
        QCOMPARE(queue.votesWaiting(), 0);
    }

    void commandEndsTheGroup()
    {
        WriterQueue queue;
        queue.push(batchOf(2, 1));
        queue.push(command(u"save"_s));
        queue.push(batchOf(2, 3));

        auto first = queue.pop(100, 0, kLongMs);
        QCOMPARE(first.size(), std::size_t(2));
        QVERIFY(std::holds_alternative<WorkBatch>(first[0]));
        QVERIFY(std::holds_alternative<WriterCommand>(first.back()));
        QCOMPARE(std::get<WriterCommand>(first.back()).what, u"save"_s);
        QCOMPARE(queue.votesWaiting(), 2);

        auto second = queue.pop(100, 0, kLongMs);
        QCOMPARE(sequencesIn(second), range(3, 4));
    }

    void markerEndsTheGroup()
    {
        WriterQueue queue;
        queue.push(batchOf(1, 1));
        queue.push(batchOf(1, 2));
        queue.push(marker(7, 3));
        queue.push(marker(7, 4));
        queue.push(batchOf(1, 3));

        auto first = queue.pop(100, 0, kLongMs);
        QCOMPARE(first.size(), std::size_t(3));
        QCOMPARE(sequencesIn(first), range(1, 2));
        QVERIFY(std::holds_alternative<MarkerPassed>(first.back()));
        QCOMPARE(std::get<MarkerPassed>(first.back()).shard, 3);

        // A marker first: a group of its own.
        auto second = queue.pop(100, 0, kLongMs);
        QCOMPARE(second.size(), std::size_t(1));
        QCOMPARE(std::get<MarkerPassed>(second[0]).marker.id, quint64(7));
        QCOMPARE(std::get<MarkerPassed>(second[0]).shard, 4);

        QCOMPARE(sequencesIn(queue.pop(100, 0, kLongMs)), range(3, 3));

        // A command first ends its group at once too, even with a window.
        queue.push(command(u"first"_s));
        queue.push(batchOf(1, 10));
        auto third = queue.pop(100, kLongMs, kLongMs);
        QCOMPARE(third.size(), std::size_t(1));
        QVERIFY(std::holds_alternative<WriterCommand>(third[0]));
        QCOMPARE(queue.votesWaiting(), 1);
    }

    // A command arriving while a group waits for its window closes the group.
    void commandArrivingInTheWindowClosesTheGroup()
    {
        WriterQueue queue;
        queue.push(batchOf(1, 1));
        std::thread later([&queue] {
            while (queue.votesWaiting() != 0) // the pop holds the first vote
                std::this_thread::yield();
            queue.push(command(u"cmd"_s));
        });
        auto group = queue.pop(100, kLongMs, kLongMs);
        later.join();
        QCOMPARE(group.size(), std::size_t(2));
        QCOMPARE(sequencesIn(group), range(1, 1));
        QVERIFY(std::holds_alternative<WriterCommand>(group.back()));
    }

    // With a window, a group that has fewer than maxVotes waits for more: a batch pushed
    // after the pop took the first one ends up in the same group.
    void windowGathersLaterVotes()
    {
        WriterQueue queue;
        queue.push(batchOf(3, 1));
        std::thread later([&queue] {
            while (queue.votesWaiting() != 0) // wait until the pop holds the first batch
                std::this_thread::yield();
            queue.push(batchOf(7, 4)); // together 10: the group is full and pop returns
        });
        auto group = queue.pop(10, kLongMs, kLongMs);
        later.join();
        QCOMPARE(sequencesIn(group), range(1, 10));
        QCOMPARE(queue.votesWaiting(), 0);
    }

    // The window ends a group that never fills up.
    void windowCloses()
    {
        WriterQueue queue;
        queue.push(batchOf(1, 1));
        auto group = queue.pop(1000, 20, kLongMs); // returns after about 20 ms with what it has
        QCOMPARE(sequencesIn(group), range(1, 1));
    }

    void noWindowReturnsWhatIsThere()
    {
        WriterQueue queue;
        queue.push(batchOf(2, 1));
        queue.push(batchOf(3, 3));
        // maxVotes far away and a huge idle timeout: a window of 0 must not wait for more.
        auto group = queue.pop(1'000'000, 0, kLongMs);
        QCOMPARE(sequencesIn(group), range(1, 5));
        QCOMPARE(queue.votesWaiting(), 0);
    }

    void idleTimeoutReturnsEmpty()
    {
        WriterQueue queue;
        QVERIFY(queue.pop(10, 0, 10).empty());
        QVERIFY(queue.pop(10, 50, 10).empty());
        QVERIFY(queue.pop(10, 0, 0).empty());
        QVERIFY(!queue.isShutdown());
    }

    void shutdownWakesAWaitingPop()
    {
        WriterQueue queue;
        auto popped = std::async(std::launch::async, [&queue] { return queue.pop(10, 0, kLongMs); });
        queue.shutdown();
        QCOMPARE(popped.wait_for(std::chrono::milliseconds(kLongMs)), std::future_status::ready);
        QVERIFY(popped.get().empty());
        QVERIFY(queue.isShutdown());
    }

    void shutdownEndsAWindow()
    {
        WriterQueue queue;
        queue.push(batchOf(1, 1));
        auto popped = std::async(std::launch::async, [&queue] { return queue.pop(10, kLongMs, kLongMs); });
        while (queue.votesWaiting() != 0) // the pop holds the vote and waits for the window
            std::this_thread::yield();
        queue.shutdown();
        QCOMPARE(popped.wait_for(std::chrono::milliseconds(kLongMs)), std::future_status::ready);
        QCOMPARE(sequencesIn(popped.get()), range(1, 1));
    }

    // After shutdown, what is queued is still handed out (the writer commits it), then empty.
    void shutdownDrainsThenReturnsEmpty()
    {
        WriterQueue queue;
        queue.push(batchOf(2, 1));
        queue.push(command(u"last"_s));
        queue.shutdown();
        auto first = queue.pop(10, kLongMs, kLongMs);
        QCOMPARE(first.size(), std::size_t(2));
        QVERIFY(queue.pop(10, kLongMs, kLongMs).empty());
    }

    void votesWaitingCountsVotesNotItems()
    {
        WriterQueue queue;
        QCOMPARE(queue.votesWaiting(), 0);
        queue.push(batchOf(5, 1));
        queue.push(command(u"c"_s));
        queue.push(marker(1, 0));
        queue.push(batchOf(2, 6));
        queue.push(WorkBatch()); // no votes
        QCOMPARE(queue.votesWaiting(), 7);
        auto first = queue.pop(100, 0, kLongMs);
        QCOMPARE(votesIn(first), 5);
        QCOMPARE(queue.votesWaiting(), 2);
        queue.pop(100, 0, kLongMs); // the marker
        QCOMPARE(queue.votesWaiting(), 2);
        auto rest = queue.pop(100, 0, kLongMs);
        QCOMPARE(votesIn(rest), 2);
        QCOMPARE(queue.votesWaiting(), 0);
    }

    // Many producers, one consumer: every vote comes out exactly once, each producer's in
    // its push order.
    void manyProducersOneConsumer()
    {
        WriterQueue queue;
        constexpr int producers = 4;
        constexpr int batchesEach = 500;
        std::vector<std::thread> threads;
        for (int p = 0; p < producers; ++p) {
            threads.emplace_back([&queue, p] {
                for (int b = 0; b < batchesEach; ++b)
                    queue.push(batchOf(3, quint64(p) * 1'000'000 + quint64(b) * 3 + 1));
            });
        }
        std::vector<quint64> last(producers, 0);
        qsizetype received = 0;
        while (received < producers * batchesEach * 3) {
            auto group = queue.pop(50, 1, kLongMs);
            QVERIFY(!group.empty());
            for (quint64 sequence : sequencesIn(group)) {
                const std::size_t p = std::size_t(sequence / 1'000'000);
                QVERIFY(p < std::size_t(producers));
                QVERIFY2(sequence > last[p], "a producer's votes came out of order or twice");
                last[p] = sequence;
                ++received;
            }
        }
        for (auto &thread : threads)
            thread.join();
        QCOMPARE(queue.votesWaiting(), 0);
        QVERIFY(queue.pop(50, 0, 0).empty());
    }
};

QTEST_APPLESS_MAIN(TestWriterQueue)
#include "tst_writerqueue.moc"
