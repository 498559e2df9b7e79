#include "ingest/ingestqueue.h"

#include <chrono>

IngestQueue::IngestQueue(qsizetype capacity)
    : m_capacity(capacity)
{}

IngestQueue::PushResult IngestQueue::pushVote(PendingVote &&vote)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_shutdown)
            return PushResult::Full;
        // A vote for a session that is no longer current: that session stopped taking votes.
        if (vote.sessionId != m_admission.sessionId)
            return PushResult::WindowClosed;
        switch (m_admission.state) {
        case WindowState::Draft:
        case WindowState::Ready:
            return PushResult::WindowNotOpen;
        case WindowState::Open:
            if (vote.receivedAtMs < m_admission.acceptFromMs)
                return PushResult::WindowNotOpen;
            if (vote.receivedAtMs >= m_admission.acceptUntilMs)
                return PushResult::WindowClosed;
            break;
        case WindowState::Closing:
        case WindowState::Closed:
        case WindowState::Final:
            return PushResult::WindowClosed;
        }
        if (m_voteCount >= m_capacity)
            return PushResult::Full;
        m_items.emplace_back(std::move(vote));
        ++m_voteCount;
    }
    m_notEmpty.notify_one();
    return PushResult::Accepted;
}

void IngestQueue::pushCommand(WriterCommand command)
{
    {
        std::lock_guard lock(m_mutex);
        m_items.emplace_back(std::move(command));
    }
    m_notEmpty.notify_one();
}

void IngestQueue::setAdmission(const Admission &admission, std::optional<WriterCommand> command)
{
    {
        std::lock_guard lock(m_mutex);
        m_admission = admission;
        if (command)
            m_items.emplace_back(std::move(*command));
    }
    if (command)
        m_notEmpty.notify_one();
}

IngestQueue::Admission IngestQueue::admission() const
{
    std::lock_guard lock(m_mutex);
    return m_admission;
}

std::vector<IngestQueue::Item> IngestQueue::popBatch(qsizetype maxVotes, int timeoutMs)
{
    std::vector<Item> batch;
    std::unique_lock lock(m_mutex);
    m_notEmpty.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                        [this] { return !m_items.empty() || m_shutdown; });
    qsizetype votes = 0;
    while (!m_items.empty()) {
        const bool isVote = std::holds_alternative<PendingVote>(m_items.front());
        if (isVote && votes >= maxVotes)
            break;
        batch.push_back(std::move(m_items.front()));
        m_items.pop_front();
        if (isVote) {
            ++votes;
            --m_voteCount;
        }
    }
    return batch;
}

void IngestQueue::shutdown()
{
    {
        std::lock_guard lock(m_mutex);
        m_shutdown = true;
    }
    m_notEmpty.notify_all();
}

bool IngestQueue::isShutdown() const
{
    std::lock_guard lock(m_mutex);
    return m_shutdown;
}

qsizetype IngestQueue::depth() const
{
    std::lock_guard lock(m_mutex);
    return m_voteCount;
}
