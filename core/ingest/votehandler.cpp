#include "ingest/votehandler.h"

#include <chrono>

#include "ingest/votevalidator.h"
#include "tally/votertable.h"

using namespace Qt::Literals::StringLiterals;

VoteHandler::VoteHandler(IngestGate &gate, IngestQueue &queue, Metrics &metrics, const Clock &clock)
    : m_gate(gate)
    , m_queue(queue)
    , m_metrics(metrics)
    , m_clock(clock)
{}

Http::HttpResponse VoteHandler::refuse(RejectCounters &counters, RejectReason reason,
                                       const QString &message) const
{
    counters.add(reason);
    m_metrics.votesRejected.fetch_add(1, std::memory_order_relaxed);
    Http::HttpResponse response =
        Http::HttpResponse::jsonError(rejectHttpStatus(reason), rejectCode(reason), message);
    if (reason == RejectReason::Overloaded || reason == RejectReason::StorageUnavailable)
        response.addHeader("Retry-After", "1");
    return response;
}

std::optional<Http::HttpResponse> VoteHandler::handle(const Http::HttpRequest &request,
                                                      const Http::RequestContext &context) const
{
    // The request is stamped by the injected clock, the same one the window runs on.
    const qint64 receivedAtMs = m_clock.nowMs();
    const GateStatePtr gate = m_gate.load();
    RejectCounters &rejects = *gate->rejects;

    const VoteValidator::Outcome outcome =
        VoteValidator::validate(request.mediaType(), request.body, gate->session);
    if (!outcome.ok)
        return refuse(rejects, outcome.reason, outcome.message);

    // After a failed commit the store is probed until it takes writes again (JournalWriter);
    // meanwhile a vote is refused here rather than queued for a commit that would fail too.
    if (!m_metrics.storageHealthy.load(std::memory_order_relaxed)) {
        return refuse(rejects, RejectReason::StorageUnavailable,
                      u"votes cannot be stored right now; try again"_s);
    }

    PendingVote vote;
    vote.sessionId = gate->session.id;
    vote.voter = outcome.voter;
    vote.voterHash = VoterTable::hashOf(vote.voter.view());
    vote.optionIndex = std::int16_t(outcome.optionIndex);
    vote.receivedAtMs = receivedAtMs;
    vote.receivedNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
    vote.ticket = context.ticket;
    switch (m_queue.pushVote(std::move(vote))) {
    case IngestQueue::PushResult::Accepted:
        m_metrics.votesReceived.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt; // answered by the journal writer after the commit
    case IngestQueue::PushResult::Full:
        return refuse(rejects, RejectReason::Overloaded,
                      u"too many votes are waiting to be stored; retry shortly"_s);
    case IngestQueue::PushResult::WindowNotOpen:
        return refuse(rejects, RejectReason::WindowNotOpen, u"the lines are not open yet"_s);
    case IngestQueue::PushResult::WindowClosed:
        return refuse(rejects, RejectReason::WindowClosed,
                      u"the lines are closed; this vote was not counted"_s);
    }
    return refuse(rejects, RejectReason::BadRequest, u"unexpected admission result"_s);
}
