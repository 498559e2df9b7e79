#include <atomic>
#include <thread>

#include <QTest>

#include "ingest/ingestqueue.h"

using namespace Qt::Literals::StringLiterals;

class TestIngestQueue final : public QObject
{
    Q_OBJECT

private:
    static PendingVote vote(qint64 session, qint64 at, const QString &voter = u"v"_s)
    {
        PendingVote v;
        v.sessionId = session;
        v.optionIndex = 0;
        v.voter = voter;
        v.receivedAtMs = at;
        return v;
    }

    static IngestQueue::Admission open(qint64 session, qint64 from, qint64 until)
    {
        return {session, WindowState::Open, from, until};
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
    }

    void fullQueueRefusesWithoutDropping()
    {
        IngestQueue queue(3);
        queue.setAdmission(open(1, 0, 1000));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(queue.pushVote(vote(1, i)), IngestQueue::PushResult::Accepted);
        QCOMPARE(queue.pushVote(vote(1, 4)), IngestQueue::PushResult::Full);
        QCOMPARE(queue.depth(), 3);
        // Commands are never refused, even when the votes fill the queue.
        queue.pushCommand({u"c"_s, [] {
                           }});
        const auto batch = queue.popBatch(100, 0);
        QCOMPARE(batch.size(), std::size_t(4));
        QCOMPARE(queue.depth(), 0);
        QCOMPARE(queue.pushVote(vote(1, 5)), IngestQueue::PushResult::Accepted);
    }

    void batchesKeepOrderAndRespectTheLimit()
    {
        IngestQueue queue(100);
        queue.setAdmission(open(1, 0, 1000));
        for (int i = 0; i < 5; ++i)
            queue.pushVote(vote(1, i, u"v%1"_s.arg(i)));
        queue.pushCommand({u"mark"_s, [] {
                           }});
        for (int i = 5; i < 8; ++i)
            queue.pushVote(vote(1, i, u"v%1"_s.arg(i)));

        auto first = queue.popBatch(3, 0);
        QCOMPARE(first.size(), std::size_t(3));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(std::get<PendingVote>(first[std::size_t(i)]).voter, u"v%1"_s.arg(i));
        auto second = queue.popBatch(3, 0);
        // Two votes, the command (which does not count against the limit), one more vote.
        QCOMPARE(second.size(), std::size_t(4));
        QVERIFY(std::holds_alternative<WriterCommand>(second[2]));
        QCOMPARE(std::get<PendingVote>(second[3]).voter, u"v5"_s);
        QCOMPARE(queue.depth(), 2);
    }

    void closeIsAtomicWithItsBarrier()
    {
        // A vote is either before the barrier (admitted) or refused: never after it.
        IngestQueue queue(1'000'000);
        queue.setAdmission(open(1, 0, 1'000'000));
        std::atomic<bool> stop{false};
        std::atomic<int> accepted{0};
        std::thread producer([&] {
            for (int i = 0; !stop.load(); ++i) {
                if (queue.pushVote(vote(1, 10)) == IngestQueue::PushResult::Accepted)
                    accepted.fetch_add(1);
                if (i > 200'000)
                    break;
            }
        });
        QTRY_VERIFY(accepted.load() > 100);
        queue.setAdmission({1, WindowState::Closing, 0, 0}, WriterCommand{u"barrier"_s, [] {
                                                                          }});
        stop = true;
        producer.join();
        bool seenBarrier = false;
        int votesBefore = 0;
        for (auto &item : queue.popBatch(10'000'000, 0)) {
            if (std::holds_alternative<WriterCommand>(item)) {
                seenBarrier = true;
                continue;
            }
            QVERIFY2(!seenBarrier, "a vote was queued after the close barrier");
            ++votesBefore;
        }
        QVERIFY(seenBarrier);
        QCOMPARE(votesBefore, accepted.load());
    }

    void popWaitsForWorkAndWakesOnShutdown()
    {
        IngestQueue queue(10);
        queue.setAdmission(open(1, 0, 1000));
        std::atomic<int> got{-1};
        std::thread consumer([&] { got = int(queue.popBatch(10, 30'000).size()); });
        queue.pushVote(vote(1, 1));
        QTRY_COMPARE(got.load(), 1);
        consumer.join();

        std::thread waiting([&] { got = int(queue.popBatch(10, 30'000).size()); });
        queue.shutdown();
        QTRY_COMPARE(got.load(), 0);
        waiting.join();
        QVERIFY(queue.isShutdown());
        QCOMPARE(queue.pushVote(vote(1, 2)), IngestQueue::PushResult::Full);
    }
};

QTEST_GUILESS_MAIN(TestIngestQueue)
#include "tst_ingestqueue.moc"
