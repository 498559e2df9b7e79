#pragma once

#include <functional>

#include "http/router.h"
#include "ingest/ingestgate.h"
#include "ingest/ingestqueue.h"
#include "ingest/votehandler.h"
#include "metrics/metrics.h"
#include "session/clock.h"
#include "tally/tallysnapshot.h"

// Everything the HTTP API reads, and the entry points for admin actions. The handlers run on
// the I/O threads: reads go through the thread-safe gate, queue, snapshot box and metrics;
// actions on the window and sessions are handed to the engine's thread by the callbacks,
// which answer later through the ticket.
struct ApiContext
{
    IngestGate &gate;
    IngestQueue &queue;
    SnapshotBox &snapshots;
    Metrics &metrics;
    const Clock &clock;
    const VoteHandler &votes;
    // Extra Prometheus samples (server counters, ...); called on an I/O thread.
    std::function<QList<Metrics::Sample>()> extraMetrics;
    // {"action":"open"|"close"|"extend","seconds":N}; seconds only for extend.
    std::function<void(const QString &action, qint64 seconds, const Http::ReplyTicket &ticket)> windowAction;
    std::function<void(const SessionDefinition &definition, const Http::ReplyTicket &ticket)> createSession;
    // The current session's vote log after a sequence number, answered through the ticket.
    std::function<void(qint64 afterSeq, qint64 limit, const Http::ReplyTicket &ticket)> voteLog;
    // Serve the audience voting page at / and /vote (a setting: off when the show has its own app).
    bool serveAudiencePage = true;
};

// The v1 route table (DESIGN.md §4).
Http::Router buildApiRouter(const ApiContext &context);

// JSON shared by the public and admin endpoints.
QByteArray windowStatusJson(const GateState &gate, qint64 nowMs);
QString isoTime(qint64 epochMs); // "2026-11-23T20:41:07.000Z", empty for 0
