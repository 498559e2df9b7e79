#include <atomic>
#include <thread>

#include <QTest>

#include "ingest/ingestqueue.h"
#include "tally/votertable.h"

using namespace Qt::Literals::StringLiterals;

class TestIngestQueue final : public QObject
{
    Q_OBJECT

private:
    static PendingVote vote(qint64 session, qint64 at, const QByteArray &voter = "v")
    {
        PendingVote v;
        v.sessionId = session;
        v.optionIndex = 0;
        v.voter = VoterId::from(voter);
        v.voterHash = VoterTable::hashOf(voter);
        v.receivedAtMs = at;
        v.receivedNs = at * 1'000'000;
        return v;
    }

    static IngestQueue::Admission open(qint64 session, qint64 from, qint64 until)
    {
        return {session, WindowState::Open, from, until};
    }

    // Everything in every shard, in shard order.
    static std::vector<IngestQueue::Item> takeAll(IngestQueue &queue)
    {
        std::vector<IngestQueue::Item> all;
        std::vector<IngestQueue::Item> one;
        for (int s = 0; s < IngestQueue::ShardCount; ++s) {
            queue.take(s, one);
            for (auto &item : one)
                all.push_back(std::move(item));
        }
        return all;
    }

private Q_SLOTS:
    void admissionFollowsTheWindow()
    {
        IngestQueue queue(10);
        using R = IngestQueue::PushResult;
        queue.setAdmission({1, WindowState::Ready, 0, 0});
        QCOMPARE(queue.pushVote(vote(1, 100)), R::WindowNotOpen);
        queue.setAdmission(open(1, 100, 200));
        QCOMPARE(queue.pushVote(vote(1, 99)), R::WindowNotOpen);
        QCOMPARE(queue.pushVote(vote(1, 100)), R::Accepted);
        QCOMPARE(queue.pushVote(vote(1, 199)), R::Accepted);
        QCOMPARE(queue.pushVote(vote(1, 200)), R::WindowClosed); // the close instant is exclusive
        QCOMPARE(queue.pushVote(vote(2, 150)), R::WindowClosed); // another session's vote
        queue.setAdmission({1, WindowState::Closing, 100, 0});
        QCOMPARE(queue.pushVote(vote(1, 150)), R::WindowClosed);
        QCOMPARE(queue.depth(), 2);
        QCOMPARE(queue.admission().state, WindowState::Closing);
    }

    void fullQueueRefusesUntilVotesAreAnswered()
    {
        IngestQueue queue(3);
        queue.setAdmission(open(1, 0, 1000));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(queue.pushVote(vote(1, i, "v" + QByteArray::number(i))),
                     IngestQueue::PushResult::Accepted);
        QCOMPARE(queue.pushVote(vote(1, 4, "x")), IngestQueue::PushResult::Full);
        QCOMPARE(queue.depth(), 3);
        // Taking votes out of the shards does not free their places: they are not answered yet.
        QCOMPARE(takeAll(queue).size(), std::size_t(3));
        QCOMPARE(queue.pushVote(vote(1, 5, "y")), IngestQueue::PushResult::Full);
        queue.release(2);
        QCOMPARE(queue.depth(), 1);
        QCOMPARE(queue.pushVote(vote(1, 6, "z")), IngestQueue::PushResult::Accepted);
        // Shutting down refuses everything as Full (503: retry shortly).
        queue.release(2);
        queue.refuseAll(true);
        QCOMPARE(queue.pushVote(vote(1, 7, "w")), IngestQueue::PushResult::Full);
    }

    void aVotersVotesStayInOneShardInOrder()
    {
        IngestQueue queue(1000);
        queue.setAdmission(open(1, 0, 1000));
        for (int i = 0; i < 50; ++i) {
            queue.pushVote(vote(1, i, "alice"));
            queue.pushVote(vote(1, i, "bob-" + QByteArray::number(i)));
        }
        const int shard = IngestQueue::shardOf(VoterTable::hashOf("alice"));
        std::vector<IngestQueue::Item> items;
        queue.take(shard, items);
        qint64 last = -1;
        int alices = 0;
        for (const auto &item : items) {
            const auto &v = std::get<PendingVote>(item);
            QCOMPARE(IngestQueue::shardOf(v.voterHash), shard);
            if (v.voter.view() == QByteArrayView("alice")) {
                QVERIFY(v.receivedAtMs > last);
                last = v.receivedAtMs;
                ++alices;
            }
        }
        QCOMPARE(alices, 50);
        QVERIFY(!queue.hasItems(shard));
    }

    void markersFollowTheVotesOfEveryShard()
    {
        IngestQueue queue(1000);
        std::atomic<int> wakes{0};
        std::atomic<std::uint64_t> woken{0};
        queue.setWakeHandler([&wakes, &woken](std::uint64_t shards) {
            wakes.fetch_add(1);
            woken.fetch_or(shards);
        });
        queue.setAdmission(open(1, 0, 1000));
        for (int i = 0; i < 200; ++i)
            queue.pushVote(vote(1, 10, "voter-" + QByteArray::number(i)));
        QCOMPARE(wakes.load(), 200);
        IngestQueue::Marker marker;
        marker.kind = IngestQueue::Marker::Kind::Barrier;
        marker.id = 7;
        queue.setAdmission({1, WindowState::Closing, 0, 0}, marker);
        QCOMPARE(wakes.load(), 201); // one wake-up of every shard's owner for the marker
        QCOMPARE(woken.load(), ~std::uint64_t(0));
        QCOMPARE(queue.pushVote(vote(1, 10, "late")), IngestQueue::PushResult::WindowClosed);
        int votes = 0;
        for (int s = 0; s < IngestQueue::ShardCount; ++s) {
            std::vector<IngestQueue::Item> items;
            queue.take(s, items);
            QVERIFY(!items.empty());
            QVERIFY(std::holds_alternative<IngestQueue::Marker>(items.back())); // last in every shard
            QCOMPARE(std::get<IngestQueue::Marker>(items.back()).id, quint64(7));
            votes += int(items.size()) - 1;
        }
        QCOMPARE(votes, 200);
    }

    void batchingProducersWakeOncePerRound()
    {
        IngestQueue queue(1000);
        QList<std::uint64_t> calls;
        queue.setWakeHandler([&calls](std::uint64_t shards) { calls.append(shards); });
        queue.setAdmission(open(1, 0, 1000));
        // Not batching yet: every push wakes its shard's owner.
        queue.pushVote(vote(1, 1, "first"));
        QCOMPARE(calls.size(), 1);
        // This thread now works in rounds: pushes only note their shards...
        queue.flushWakeups();
        QCOMPARE(calls.size(), 1);
        std::uint64_t expected = 0;
        for (int i = 0; i < 100; ++i) {
            const QByteArray voter = "round-" + QByteArray::number(i);
            queue.pushVote(vote(1, 2, voter));
            expected |= std::uint64_t(1) << IngestQueue::shardOf(VoterTable::hashOf(voter));
        }
        QCOMPARE(calls.size(), 1);
        // ...and the end of the round wakes them all at once.
        queue.flushWakeups();
        QCOMPARE(calls.size(), 2);
        QCOMPARE(calls.last(), expected);
        queue.flushWakeups(); // nothing pushed since: nobody is woken
        QCOMPARE(calls.size(), 2);
        // Another thread is not batching: its push wakes at once.
        std::thread other([&queue] { queue.pushVote(vote(1, 3, "elsewhere")); });
        other.join();
        QCOMPARE(calls.size(), 3);
    }

    void closeIsAtomicWithItsMarker()
    {
        // Concurrent producers: a vote is either before its shard's marker (admitted) or
        // refused — never after the marker.
        IngestQueue queue(10'000'000);
        queue.setAdmission(open(1, 0, 1'000'000));
        std::atomic<bool> stop{false};
        std::atomic<int> accepted{0};
        std::vector<std::thread> producers;
        for (int t = 0; t < 4; ++t) {
            producers.emplace_back([&, t] {
                for (int i = 0; !stop.load() && i < 300'000; ++i) {
                    const QByteArray id = "p" + QByteArray::number(t) + "-" + QByteArray::number(i);
                    if (queue.pushVote(vote(1, 10, id)) == IngestQueue::PushResult::Accepted)
                        accepted.fetch_add(1);
                }
            });
        }
        QTRY_VERIFY(accepted.load() > 1000);
        IngestQueue::Marker marker;
        marker.id = 1;
        queue.setAdmission({1, WindowState::Closing, 0, 0}, marker);
        stop = true;
        for (auto &p : producers)
            p.join();
        int before = 0;
        for (int s = 0; s < IngestQueue::ShardCount; ++s) {
            std::vector<IngestQueue::Item> items;
            queue.take(s, items);
            bool seenMarker = false;
            for (const auto &item : items) {
                if (std::holds_alternative<IngestQueue::Marker>(item)) {
                    seenMarker = true;
                    continue;
                }
                QVERIFY2(!seenMarker, "a vote was queued after the close marker");
                ++before;
            }
            QVERIFY(seenMarker);
        }
        QCOMPARE(before, accepted.load());
        QCOMPARE(queue.depth(), accepted.load());
    }

    void oldestAgeTracksTheFirstWaitingVote()
    {
        IngestQueue queue(100);
        queue.setAdmission(open(1, 0, 1000));
        QCOMPARE(queue.oldestAgeNs(5'000'000'000), 0);
        queue.pushVote(vote(1, 100, "a")); // receivedNs = 100 ms
        queue.pushVote(vote(1, 300, "b"));
        QCOMPARE(queue.oldestAgeNs(1'000'000'000), 900'000'000);
        takeAll(queue);
        QCOMPARE(queue.oldestAgeNs(1'000'000'000), 0);
    }
};

QTEST_GUILESS_MAIN(TestIngestQueue)
#include "tst_ingestqueue.moc"
