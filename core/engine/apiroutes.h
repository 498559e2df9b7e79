#pragma once

#include <functional>

#include <QJsonObject>

#include "access/accesscontrol.h"
#include "engine/publishing.h"
#include "engine/rehearsal.h"
#include "http/router.h"
#include "ingest/ingestgate.h"
#include "ingest/ingestqueue.h"
#include "ingest/votehandler.h"
#include "metrics/metrics.h"
#include "session/clock.h"
#include "session/countexclusion.h"
#include "store/votestore.h"
#include "tally/tallysnapshot.h"

// An admin action on the current session (POST /v1/admin/window), checked for form by the
// route: open, close, extend (seconds), publish, finalize, auto_publish (enabled).
struct AdminAction
{
    QString name;
    qint64 seconds = 0;   // extend
    bool enabled = false; // auto_publish
    QString actor;        // "admin-api <peer address>", for the audit log
};

// POST /v1/admin/rehearsal: start (with a plan) or stop the simulated audience.
struct RehearsalCommand
{
    bool start = false;
    RehearsalPlan plan;
    QString actor;
};

// Everything the HTTP API reads, and the entry points for admin actions. The handlers run on
// the I/O threads: reads go through the thread-safe gate, queue, snapshot box and metrics;
// actions on the window and sessions are handed to the engine's thread by the callbacks,
// which answer later through the ticket.
struct ApiContext
{
    IngestGate &gate;
    IngestQueue &queue;
    SnapshotBox &snapshots;
    const PublishedBox &published; // what the public results endpoints serve
    Metrics &metrics;
    const Clock &clock;
    const VoteHandler &votes;
    // Extra Prometheus samples (server counters, ...); called on an I/O thread.
    std::function<QList<Metrics::Sample>()> extraMetrics;
    std::function<void(const AdminAction &action, const Http::ReplyTicket &ticket)> windowAction;
    std::function<void(const SessionDefinition &definition, const QString &actor,
                       const Http::ReplyTicket &ticket)>
        createSession;
    // The current session's vote log after a sequence number, answered through the ticket.
    std::function<void(qint64 afterSeq, qint64 limit, const Http::ReplyTicket &ticket)> voteLog;
    // The stored log of the current session re-tallied under another rule.
    std::function<void(const CountingRule &rule, const QString &actor, const Http::ReplyTicket &ticket)>
        replay;
    // The audit log of a session, answered through the ticket.
    std::function<void(qint64 sessionId, const Http::ReplyTicket &ticket)> auditLog;
    // Every stored session (GET /v1/admin/sessions), answered through the ticket.
    std::function<void(const Http::ReplyTicket &ticket)> listSessions = nullptr;
    std::function<void(const RehearsalCommand &command, const Http::ReplyTicket &ticket)> rehearsal = nullptr;
    // Makes a draft current (POST /v1/admin/sessions/open), answered through the ticket.
    std::function<void(qint64 sessionId, const QString &actor, const Http::ReplyTicket &ticket)> openSession =
        nullptr;
    // The export folder and CasparCG push, for /v1/admin/results (any thread).
    std::function<QJsonObject()> feedStatus = {};
    // Serve the audience voting page at / and /vote (a setting: off when the show has its own app).
    bool serveAudiencePage = true;
    // The admin API's gate (loopback or admin token) and the access counters. Null: loopback only.
    AccessControl *access = nullptr;
    // Leaves a voter or an address range out of the count (POST /v1/admin/exclusions), answered
    // through the ticket by the engine's thread.
    std::function<void(const CountExclusion &exclusion, const Http::ReplyTicket &ticket)> exclude = nullptr;
    // The fraud figures (GET /v1/admin/fraud); thread-safe. Null: the endpoint answers 404.
    const FraudMonitor *fraud = nullptr;
};

// The v1 route table (DESIGN.md §4).
Http::Router buildApiRouter(const ApiContext &context);

// JSON shared by the public and admin endpoints.
QByteArray windowStatusJson(const GateState &gate, qint64 nowMs);
QString isoTime(qint64 epochMs); // "2026-11-23T20:41:07.000Z", empty for 0
// GET /v1/admin/sessions: {"current":3,"sessions":[{<definition>,"state","created_at","opened_at",
// "closed_at","has_votes","current","draft"}, …]}, oldest first.
QByteArray sessionListJson(const QList<SessionSummary> &sessions);
// {"running":b,"session":ID,"shape":…,"rate":n,"duration_seconds":n,"started_at":…,"sent":n,
//  "accepted":n,"refused":n,"failed":n,"error":…}
QByteArray rehearsalStatusJson(const RehearsalStatus &status);
