#pragma once

#include "access/accesscontrol.h"
#include "access/fraudmonitor.h"
#include "http/router.h"
#include "ingest/ingestgate.h"
#include "ingest/ingestqueue.h"
#include "metrics/metrics.h"
#include "session/clock.h"

// POST /v1/votes at the edge, on the I/O thread: validate, then queue under the window's
// admission rule. Accepted votes get no answer here: the journal writer answers them when
// their batch commits. Every refusal gets its status and error code and is counted.
class VoteHandler final
{
public:
    VoteHandler(IngestGate &gate, IngestQueue &queue, Metrics &metrics, const Clock &clock);

    std::optional<Http::HttpResponse> handle(const Http::HttpRequest &request,
                                             const Http::RequestContext &context) const;

    // The answer for a refused vote, counted against the session and process-wide.
    Http::HttpResponse refuse(RejectCounters &counters, RejectReason reason, const QString &message) const;

    // Before the server starts: client addresses, rate limits and voter-token counters. Without
    // it votes are neither rate limited nor checked against proxies (voter tokens still are).
    void setAccessControl(AccessControl *access) { m_access = access; }
    // Before the server starts: every vote request (not the canary's) is counted by voter id
    // and client address for the fraud panel. Null: not counted.
    void setFraudMonitor(FraudMonitor *fraud) { m_fraud = fraud; }

private:
    // The vote's admission; *voter is set once the id has been read (for the fraud figures).
    std::optional<Http::HttpResponse> admit(const Http::HttpRequest &request,
                                            const Http::RequestContext &context, const ClientAddress &client,
                                            qint64 receivedAtMs, qint64 receivedNs, VoterId *voter) const;
    std::optional<Http::HttpResponse> handleCanary(const Http::HttpRequest &request,
                                                   const Http::RequestContext &context, qint64 receivedAtMs,
                                                   qint64 receivedNs) const;
    Http::HttpResponse rateLimited(RejectCounters &counters, qint64 waitMs, const QString &message) const;

    IngestGate &m_gate;
    IngestQueue &m_queue;
    Metrics &m_metrics;
    const Clock &m_clock;
    AccessControl *m_access = nullptr;
    FraudMonitor *m_fraud = nullptr;
};
