#include "ingest/votehandler.h"

#include <chrono>
#include <cstring>

#include <QJsonDocument>
#include <QJsonObject>

#include "ingest/votevalidator.h"
#include "tally/votertable.h"

using namespace Qt::Literals::StringLiterals;

namespace {

// Every vote is checked against the canary's reserved prefix. A fixed-size compare inlines to a
// few instructions; QByteArrayView::startsWith(const char *) measures the literal and calls out
// of line, which cost about 40 instructions per vote (callgrind).
constexpr qsizetype kCanaryPrefixSize = qsizetype(sizeof(kCanaryVoterPrefix) - 1);

bool isCanaryVoter(QByteArrayView voter)
{
    return voter.size() >= kCanaryPrefixSize &&
           std::memcmp(voter.data(), kCanaryVoterPrefix, size_t(kCanaryPrefixSize)) == 0;
}

} // namespace

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

Http::HttpResponse VoteHandler::rateLimited(RejectCounters &counters, qint64 waitMs,
                                            const QString &message) const
{
    Http::HttpResponse response = refuse(counters, RejectReason::RateLimited, message);
    response.addHeader("Retry-After", AccessControl::retryAfterSeconds(waitMs));
    return response;
}

std::optional<Http::HttpResponse> VoteHandler::handle(const Http::HttpRequest &request,
                                                      const Http::RequestContext &context) const
{
    // The request is stamped by the injected clock, the same one the window runs on.
    const qint64 receivedAtMs = m_clock.nowMs();
    const qint64 receivedNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
    if (Q_UNLIKELY(request.hasHeader(kCanaryHeader)))
        return handleCanary(request, context, receivedAtMs, receivedNs);
    // Resolved once: the rate limit and the fraud figures count the same client.
    const ClientAddress client = m_access
                                     ? m_access->clientOf(request, context)
                                     : ClientAddress{IpAddress::fromHostAddress(context.peerAddress), false};
    VoterId voter;
    std::optional<Http::HttpResponse> response =
        admit(request, context, client, receivedAtMs, receivedNs, &voter);
    // An immediate answer is a refusal; an accepted vote is answered later by the writer.
    if (m_fraud)
        m_fraud->record(voter.view(), client.address, response.has_value(), receivedNs / 1'000'000);
    return response;
}

std::optional<Http::HttpResponse> VoteHandler::admit(const Http::HttpRequest &request,
                                                     const Http::RequestContext &context,
                                                     const ClientAddress &client, qint64 receivedAtMs,
                                                     qint64 receivedNs, VoterId *voter) const
{
    const GateStatePtr gate = m_gate.load();
    RejectCounters &rejects = *gate->rejects;
    const qint64 steadyMs = receivedNs / 1'000'000;

    // Per client address first: it costs no parsing, so a flood is refused cheaply.
    if (m_access && m_access->limitsClients()) {
        const qint64 wait = m_access->takeClient(client, steadyMs);
        if (wait > 0)
            return rateLimited(rejects, wait, u"too many votes from this address; retry later"_s);
    }

    const VoteValidator::Outcome outcome =
        VoteValidator::validate(request.mediaType(), request.body, gate->session);
    if (!outcome.ok)
        return refuse(rejects, outcome.reason, outcome.message);
    *voter = outcome.voter;
    // The canary's ids are reserved: nobody's vote may pass for one, or be taken for one.
    if (Q_UNLIKELY(isCanaryVoter(outcome.voter.view())))
        return refuse(rejects, RejectReason::InvalidVoter, u"voter ids starting with canary. are reserved"_s);

    if (gate->session.voterToken == VoterTokenMode::Hmac) {
        VoterToken::Key key;
        const VoterToken::Check check =
            VoterToken::decodeSecret(gate->session.voterTokenSecret, &key)
                ? VoterToken::verify(key.view(), outcome.voter.view(), request.header(VoterToken::kHeader))
                : VoterToken::Check::Mismatch; // no usable secret: nothing can be signed for it
        if (check != VoterToken::Check::Valid) {
            if (m_access)
                m_access->countVoterToken(check);
            QString message;
            switch (check) {
            case VoterToken::Check::Missing:
                message =
                    u"this vote needs an X-Voter-Token header (the voter id signed by the show's app)"_s;
                break;
            case VoterToken::Check::Malformed:
                message = u"X-Voter-Token must be 64 hex digits or 43 base64url characters"_s;
                break;
            case VoterToken::Check::Mismatch:
            case VoterToken::Check::Valid:
                message = u"X-Voter-Token does not match this voter id"_s;
                break;
            }
            return refuse(rejects, RejectReason::InvalidToken, message);
        }
    }

    // Per voter after the token: an unsigned vote must not use up a real voter's bucket.
    if (m_access && m_access->limitsVoters()) {
        const qint64 wait = m_access->takeVoter(outcome.voter.view(), steadyMs);
        if (wait > 0)
            return rateLimited(rejects, wait, u"too many votes for this voter; retry later"_s);
    }

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
    vote.receivedNs = receivedNs;
    vote.ticket = context.ticket;
    vote.client = client.address;
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

std::optional<Http::HttpResponse> VoteHandler::handleCanary(const Http::HttpRequest &request,
                                                            const Http::RequestContext &context,
                                                            qint64 receivedAtMs, qint64 receivedNs) const
{
    // Only the app itself may send one: the TCP peer is this machine and no proxy relayed it
    // (a relayed request names its client in X-Forwarded-For). Refusals are counted with the
    // session's, since a stranger sent them.
    const GateStatePtr gate = m_gate.load();
    const bool relayed =
        request.hasHeader("x-forwarded-for") || (m_access && m_access->clientOf(request, context).forwarded);
    if (!context.peerIsLoopback || relayed)
        return refuse(*gate->rejects, RejectReason::BadRequest,
                      u"canary votes are taken only from the local machine"_s);
    const QJsonDocument doc = QJsonDocument::fromJson(request.body.toByteArray());
    const QByteArray voter = doc.object().value(u"voter"_s).toString().toLatin1();
    if (!isCanaryVoter(voter) || !VoteValidator::isValidVoter(voter))
        return refuse(*gate->rejects, RejectReason::InvalidVoter,
                      u"a canary's voter id is canary.<something>"_s);
    if (!m_metrics.storageHealthy.load(std::memory_order_relaxed)) {
        return Http::HttpResponse::jsonError(503, "storage_unavailable",
                                             u"votes cannot be stored right now"_s)
            .addHeader("Retry-After", "1");
    }
    PendingVote vote;
    vote.sessionId = kCanarySessionId;
    vote.voter = VoterId::from(voter);
    vote.voterHash = VoterTable::hashOf(vote.voter.view());
    vote.optionIndex = -1; // never counted: no session has it
    vote.receivedAtMs = receivedAtMs;
    vote.receivedNs = receivedNs;
    vote.ticket = context.ticket;
    switch (m_queue.pushVote(std::move(vote))) {
    case IngestQueue::PushResult::Accepted:
        return std::nullopt; // answered by the journal writer once stored
    case IngestQueue::PushResult::Full:
    case IngestQueue::PushResult::WindowNotOpen:
    case IngestQueue::PushResult::WindowClosed:
        break;
    }
    return Http::HttpResponse::jsonError(503, "overloaded", u"the pipeline is full"_s)
        .addHeader("Retry-After", "1");
}
