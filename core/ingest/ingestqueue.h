#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include <QString>

#include "http/replyticket.h"
#include "session/votingwindow.h"

class VoteStore;
class Tally;

// A vote that passed edge validation, on its way to the journal writer.
struct PendingVote
{
    qint64 sessionId = 0;
    int optionIndex = -1;
    QString voter;
    qint64 receivedAtMs = 0;
    Http::ReplyTicket ticket; // where its 202 (or 503) goes once its batch commits
};

// Work for the journal writer other than votes (save a session, switch the tally, a drain
// barrier...). Runs on the writer thread, in queue order with the votes around it.
struct WriterCommand
{
    QString what; // for logs and errors
    std::function<void()> run;
};

// The bounded queue between the I/O threads (producers) and the journal writer (consumer).
//
// It is also where the window decides: admission (which session takes votes, until when) is
// checked under the same lock that appends, so a vote is either queued before a close (and
// will be counted while the window drains) or refused after it — never both, never lost in
// between. Commands bypass the capacity (they are few and must not be refused).
//
// Locking rule: m_mutex guards m_items, m_voteCount and m_admission; nothing else is done
// while holding it. One mutex is fine for one I/O thread; the line-rate issue shards it.
class IngestQueue final
{
public:
    struct Admission
    {
        qint64 sessionId = 0;
        WindowState state = WindowState::Ready;
        qint64 acceptFromMs = 0;  // opened at
        qint64 acceptUntilMs = 0; // exclusive
    };

    enum class PushResult
    {
        Accepted = 1,
        Full,          // 503 overloaded + Retry-After
        WindowNotOpen, // 409 window_not_open
        WindowClosed   // 409 window_closed (late)
    };

    using Item = std::variant<PendingVote, WriterCommand>;

    explicit IngestQueue(qsizetype capacity);

    PushResult pushVote(PendingVote &&vote);
    void pushCommand(WriterCommand command);
    // Changes admission and queues a command in one step: every vote queued before the
    // command was admitted under the old rule, every vote after it under the new one.
    void setAdmission(const Admission &admission, std::optional<WriterCommand> command = std::nullopt);
    Admission admission() const;

    // Writer side: waits up to timeoutMs for the first item, then takes what is there, up to
    // maxVotes votes (commands don't count). Returns an empty vector on timeout or shutdown.
    std::vector<Item> popBatch(qsizetype maxVotes, int timeoutMs);
    void shutdown(); // wakes the writer; pushes after this are refused as Full
    bool isShutdown() const;

    qsizetype depth() const; // votes waiting
    qsizetype capacity() const { return m_capacity; }

private:
    const qsizetype m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_notEmpty;
    std::deque<Item> m_items;
    qsizetype m_voteCount = 0;
    Admission m_admission;
    bool m_shutdown = false;
};
