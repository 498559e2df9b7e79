#include "engine/apiroutes.h"

#include <chrono>

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include "engine/finalization.h"
#include "engine/publisheddocuments.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// Public read endpoints are polled by browsers and graphics machines; a second of staleness
// is what lets a thousand of them cost nothing. (CORS is the router's: allowCrossOrigin.)
Http::HttpResponse publicResponse(Http::HttpResponse response)
{
    response.addHeader("Cache-Control", "max-age=1");
    return response;
}

QString actorOf(const Http::RequestContext &context)
{
    return Actor::adminApi(context.peerAddress.toString());
}

// Before the visibility rule lets the results out, the public documents do not exist.
Http::HttpResponse notPublished(const SessionDefinition &session)
{
    QString message;
    switch (session.visibility) {
    case ResultsVisibility::AfterClose:
        message = u"the results of this vote are shown once the lines are closed"_s;
        break;
    case ResultsVisibility::Live:
    case ResultsVisibility::OnPublish:
        message = u"the results of this vote have not been published yet"_s;
        break;
    }
    return publicResponse(Http::HttpResponse::jsonError(404, "not_published", message));
}

// Loopback, or the admin token when one is configured (AccessControl::checkAdmin).
std::optional<Http::HttpResponse> adminOnly(const ApiContext &ctx, const Http::HttpRequest &request,
                                            const Http::RequestContext &context)
{
    if (ctx.access)
        return ctx.access->checkAdmin(request, context);
    if (context.peerIsLoopback)
        return std::nullopt;
    return Http::HttpResponse::jsonError(403, "forbidden", u"the admin API answers only on loopback"_s);
}

// A snapshot that belongs to another session (the switch is in flight) counts as empty.
TallySnapshot snapshotFor(const GateState &gate, const TallySnapshot &snapshot)
{
    if (snapshot.sessionId == gate.session.id &&
        snapshot.raw.size() == std::size_t(gate.session.options.size()))
        return snapshot;
    TallySnapshot empty;
    empty.sessionId = gate.session.id;
    empty.raw.assign(std::size_t(gate.session.options.size()), 0);
    empty.exact = empty.raw;
    return empty;
}

QJsonArray fraudRows(const QList<FraudSnapshot::Row> &rows)
{
    QJsonArray array;
    for (const FraudSnapshot::Row &row : rows) {
        array.append(QJsonObject{{u"key"_s, row.key},
                                 {u"count"_s, row.count},
                                 {u"count_min"_s, row.count - row.error},
                                 {u"rejected"_s, row.rejected}});
    }
    return array;
}

QJsonObject countsByKey(const SessionDefinition &session, const std::vector<qint64> &counts)
{
    QJsonObject object;
    for (int i = 0; i < session.options.size(); ++i)
        object.insert(session.options[i].key, qint64(counts[std::size_t(i)]));
    return object;
}

bool matchesEtag(const Http::HttpRequest &request, const QByteArray &etag)
{
    const QByteArrayView ifNoneMatch = request.header("if-none-match");
    return !ifNoneMatch.isEmpty() && (ifNoneMatch == etag || ifNoneMatch == "*");
}

Http::HttpResponse withEtag(Http::HttpResponse response, const QByteArray &etag)
{
    response.addHeader("ETag", etag);
    return publicResponse(std::move(response));
}

std::optional<Http::HttpResponse> notModified(const Http::HttpRequest &request, const QByteArray &etag)
{
    if (!matchesEtag(request, etag))
        return std::nullopt;
    return withEtag(Http::HttpResponse(304, {}, {}), etag);
}
} // namespace

QString isoTime(qint64 epochMs)
{
    if (epochMs <= 0)
        return {};
    return QDateTime::fromMSecsSinceEpoch(epochMs, Qt::UTC).toString(Qt::ISODateWithMs);
}

QByteArray sessionListJson(const QList<SessionSummary> &sessions)
{
    QJsonArray list;
    qint64 current = 0;
    for (const SessionSummary &summary : sessions) {
        const SessionRecord &record = summary.record;
        QJsonObject object = record.definition.toJson();
        object.insert(u"state"_s, windowStateName(record.window.state));
        object.insert(u"created_at"_s, isoTime(record.createdAtMs));
        object.insert(u"opened_at"_s, isoTime(record.window.openedAtMs));
        object.insert(u"closed_at"_s, isoTime(record.window.closedAtMs));
        object.insert(u"has_votes"_s, summary.hasVotes);
        object.insert(u"current"_s, summary.current);
        object.insert(u"draft"_s, summary.isDraft());
        list.append(object);
        if (summary.current)
            current = record.definition.id;
    }
    return QJsonDocument(QJsonObject{{u"current"_s, current}, {u"sessions"_s, list}})
        .toJson(QJsonDocument::Compact);
}

QByteArray rehearsalStatusJson(const RehearsalStatus &status)
{
    QJsonObject object{{u"running"_s, status.running},
                       {u"session"_s, status.sessionId},
                       {u"shape"_s, rehearsalShapeName(status.plan.shape)},
                       {u"rate"_s, status.plan.ratePerSecond},
                       {u"duration_seconds"_s, status.plan.durationSeconds},
                       {u"started_at"_s, isoTime(status.startedAtMs)},
                       {u"sent"_s, status.sent},
                       {u"accepted"_s, status.accepted},
                       {u"refused"_s, status.refused},
                       {u"failed"_s, status.failed}};
    if (!status.error.isEmpty())
        object.insert(u"error"_s, status.error);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray windowStatusJson(const GateState &gate, qint64 nowMs)
{
    const VotingWindow window = VotingWindow::resume(gate.window, gate.session.lateToleranceMs, 0);
    QJsonObject object{{u"session"_s, gate.session.id},
                       {u"state"_s, windowStateName(gate.window.state)},
                       {u"opened_at"_s, isoTime(gate.window.openedAtMs)},
                       {u"closes_at"_s, isoTime(gate.window.closesAtMs)},
                       {u"closed_at"_s, isoTime(gate.window.closedAtMs)},
                       {u"closes_at_ms"_s, gate.window.closesAtMs},
                       {u"remaining_ms"_s, window.remainingMs(nowMs)},
                       {u"server_time_ms"_s, nowMs}};
    return toJson(object);
}

Http::Router buildApiRouter(const ApiContext &ctx)
{
    using Http::HttpRequest;
    using Http::HttpResponse;
    using Http::Method;
    using Http::RequestContext;
    Http::Router router;

    router.add(Method::Post, "/v1/votes",
               [&votes = ctx.votes](const HttpRequest &request, const RequestContext &rc) {
                   return votes.handle(request, rc);
               });

    router.add(Method::Get, "/v1/session", [&ctx](const HttpRequest &, const RequestContext &) {
        const GateStatePtr gate = ctx.gate.load();
        QJsonObject object = QJsonDocument::fromJson(windowStatusJson(*gate, ctx.clock.nowMs())).object();
        const QJsonObject definition = gate->session.toJson();
        for (const QString &key :
             {u"title"_s, u"question"_s, u"options"_s, u"policy"_s, u"visibility"_s, u"voter_id"_s})
            object.insert(key, definition.value(key));
        object.insert(u"id"_s, gate->session.id);
        // Apps learn whether to sign voter ids; the secret itself is only in the admin API.
        object.insert(u"voter_token"_s, voterTokenModeName(gate->session.voterToken));
        const PublishedViewPtr view = ctx.published.load();
        object.insert(u"results_published"_s, view && view->results->session.id == gate->session.id);
        return std::optional(publicResponse(HttpResponse::json(200, toJson(object))));
    });

    // The public results documents: served from the published view only (rendered once per
    // publish), never from the live tally. A view of another session (a switch in flight)
    // counts as nothing published.
    const QList<PublishedDocument> &documents = publishedDocuments();
    for (qsizetype i = 0; i < documents.size(); ++i) {
        const PublishedDocument &document = documents[i];
        router.add(Method::Get, document.path,
                   [&ctx, i, contentType = document.contentType](const HttpRequest &request,
                                                                 const RequestContext &) {
                       const GateStatePtr gate = ctx.gate.load();
                       const PublishedViewPtr view = ctx.published.load();
                       if (!view || view->results->session.id != gate->session.id)
                           return std::optional(notPublished(gate->session));
                       if (auto unchanged = notModified(request, view->etag))
                           return unchanged;
                       return std::optional(
                           withEtag(HttpResponse(200, contentType, view->bodies[i]), view->etag));
                   });
    }

    router.add(Method::Get, "/healthz", [](const HttpRequest &, const RequestContext &) {
        return std::optional(HttpResponse::json(200, R"({"status":"ok"})"));
    });

    router.add(Method::Get, "/readyz", [&ctx](const HttpRequest &, const RequestContext &) {
        if (!ctx.metrics.storageHealthy.load(std::memory_order_relaxed)) {
            return std::optional(
                HttpResponse::jsonError(503, "storage_unavailable", u"the last commit failed"_s)
                    .addHeader("Retry-After", "2"));
        }
        // High-water mark: above 80 % of the queue a load balancer should send traffic elsewhere.
        if (ctx.queue.depth() * 5 >= ctx.queue.capacity() * 4) {
            return std::optional(
                HttpResponse::jsonError(503, "overloaded", u"the ingest queue is above 80 %"_s)
                    .addHeader("Retry-After", "1"));
        }
        return std::optional(HttpResponse::json(200, R"({"status":"ready"})"));
    });

    router.add(Method::Get, "/metrics", [&ctx](const HttpRequest &, const RequestContext &) {
        QList<Metrics::Sample> samples = ctx.metrics.samples();
        samples.append({"votedesk_queue_capacity", "gauge", "Votes the pipeline may hold unanswered",
                        double(ctx.queue.capacity())});
        const GateStatePtr gate = ctx.gate.load();
        const TallySnapshot snapshot = snapshotFor(*gate, *ctx.snapshots.load());
        samples.append({"votedesk_session_votes_accepted", "gauge", "Votes stored for the current session",
                        double(snapshot.accepted)});
        samples.append({"votedesk_session_unique_voters", "gauge", "Distinct voters in the current session",
                        double(snapshot.uniqueVoters)});
        for (int r = 1; r <= kRejectReasonCount; ++r) {
            const auto reason = RejectReason(r);
            samples.append({"votedesk_session_votes_rejected{reason=\"" + rejectCode(reason) + "\"}", "gauge",
                            "Votes refused in the current session, by reason",
                            double(gate->rejects->count(reason))});
        }
        if (ctx.extraMetrics)
            samples.append(ctx.extraMetrics());
        return std::optional(HttpResponse::text(200, Metrics::prometheusText(samples),
                                                "text/plain; version=0.0.4; charset=utf-8"));
    });

    router.add(
        Method::Get, "/v1/admin/results", [&ctx](const HttpRequest &request, const RequestContext &rc) {
            if (auto refused = adminOnly(ctx, request, rc))
                return refused;
            const GateStatePtr gate = ctx.gate.load();
            const TallySnapshot snapshot = snapshotFor(*gate, *ctx.snapshots.load());
            QJsonObject byReason;
            const QMap<QString, qint64> rejected = gate->rejects->byCode();
            for (auto it = rejected.cbegin(); it != rejected.cend(); ++it)
                byReason.insert(it.key(), it.value());
            const QJsonObject object{{u"session"_s, gate->session.id},
                                     {u"title"_s, gate->session.title},
                                     {u"state"_s, windowStateName(gate->window.state)},
                                     {u"policy"_s, gate->session.policyText()},
                                     {u"option_cap"_s, gate->session.optionCap},
                                     {u"visibility"_s, resultsVisibilityName(gate->session.visibility)},
                                     {u"auto_publish"_s, gate->session.autoPublish},
                                     {u"raw"_s, countsByKey(gate->session, snapshot.raw)},
                                     {u"exact"_s, countsByKey(gate->session, snapshot.exact)},
                                     {u"accepted"_s, snapshot.accepted},
                                     {u"unique_voters"_s, snapshot.uniqueVoters},
                                     {u"rejected"_s, gate->rejects->total()},
                                     {u"late"_s, gate->rejects->count(RejectReason::WindowClosed)},
                                     {u"rejected_by_reason"_s, byReason},
                                     {u"queue_depth"_s, qint64(ctx.queue.depth())}};
            QJsonObject withPublished = object;
            const PublishedViewPtr view = ctx.published.load();
            if (view && view->results->session.id == gate->session.id) {
                const PublishedResults &published = *view->results;
                withPublished.insert(
                    u"published"_s,
                    QJsonObject{{u"version"_s, qint64(published.publishVersion)},
                                {u"final"_s, published.final},
                                {u"published_at"_s, isoTime(published.publishedAtMs)},
                                {u"exact"_s, countsByKey(gate->session, published.tally.exact)}});
            } else {
                withPublished.insert(u"published"_s, QJsonValue::Null);
            }
            withPublished.insert(u"feeds"_s,
                                 ctx.feedStatus ? QJsonValue(ctx.feedStatus()) : QJsonValue::Null);
            return std::optional(HttpResponse::json(200, toJson(withPublished)));
        });

    // The whole definition of the current session, with its voter-token secret: what the
    // show's app needs to sign voter ids.
    router.add(Method::Get, "/v1/admin/session",
               [&ctx](const HttpRequest &request, const RequestContext &rc) {
                   if (auto refused = adminOnly(ctx, request, rc))
                       return refused;
                   const GateStatePtr gate = ctx.gate.load();
                   QJsonObject object = gate->session.toJson();
                   object.insert(u"state"_s, windowStateName(gate->window.state));
                   object.insert(u"voter_token"_s, voterTokenModeName(gate->session.voterToken));
                   return std::optional(
                       HttpResponse::json(200, toJson(object)).addHeader("Cache-Control", "no-store"));
               });

    router.add(
        Method::Post, "/v1/admin/window", [&ctx](const HttpRequest &request, const RequestContext &rc) {
            if (auto refused = adminOnly(ctx, request, rc))
                return refused;
            if (!request.isMediaType("application/json")) {
                return std::optional(HttpResponse::jsonError(415, "unsupported_media_type",
                                                             u"send the action as application/json"_s));
            }
            QJsonParseError parseError;
            const QJsonDocument doc = QJsonDocument::fromJson(request.body.toByteArray(), &parseError);
            if (!doc.isObject()) {
                return std::optional(
                    HttpResponse::jsonError(400, "invalid_json", u"the body must be a JSON object"_s));
            }
            const QJsonValue action = doc.object().value(u"action"_s);
            if (!action.isString()) {
                return std::optional(
                    HttpResponse::jsonError(400, "missing_field", u"the field \"action\" is missing"_s));
            }
            AdminAction admin;
            admin.name = action.toString();
            admin.actor = actorOf(rc);
            if (admin.name == u"extend") {
                const QJsonValue value = doc.object().value(u"seconds"_s);
                admin.seconds = value.isUndefined() ? 30 : value.toInteger(-1);
                if (!value.isUndefined() &&
                    (!value.isDouble() || admin.seconds <= 0 || admin.seconds > 24 * 3600)) {
                    return std::optional(HttpResponse::jsonError(
                        400, "bad_request", u"\"seconds\" must be a whole number from 1 to 86400"_s));
                }
            } else if (admin.name == u"auto_publish") {
                const QJsonValue enabled = doc.object().value(u"enabled"_s);
                if (!enabled.isBool()) {
                    return std::optional(HttpResponse::jsonError(
                        400, "bad_request", u"auto_publish needs \"enabled\": true or false"_s));
                }
                admin.enabled = enabled.toBool();
            } else if (admin.name != u"open" && admin.name != u"close" && admin.name != u"publish" &&
                       admin.name != u"finalize") {
                return std::optional(HttpResponse::jsonError(
                    400, "bad_request",
                    u"unknown action \"%1\"; use open, close, extend, publish, finalize or auto_publish"_s
                        .arg(admin.name.left(32))));
            }
            ctx.windowAction(admin, rc.ticket);
            return std::optional<HttpResponse>();
        });

    router.add(Method::Post, "/v1/admin/sessions",
               [&ctx](const HttpRequest &request, const RequestContext &rc) {
                   if (auto refused = adminOnly(ctx, request, rc))
                       return refused;
                   if (!request.isMediaType("application/json")) {
                       return std::optional(HttpResponse::jsonError(
                           415, "unsupported_media_type", u"send the session as application/json"_s));
                   }
                   QJsonParseError parseError;
                   const QJsonDocument doc = QJsonDocument::fromJson(request.body.toByteArray(), &parseError);
                   if (!doc.isObject()) {
                       return std::optional(
                           HttpResponse::jsonError(400, "invalid_json", u"the body must be a JSON object"_s));
                   }
                   QJsonObject object = doc.object();
                   object.remove(u"id"_s); // ids are assigned by the engine
                   SessionDefinition definition;
                   QString problem;
                   if (!SessionDefinition::fromJson(object, &definition, &problem))
                       return std::optional(HttpResponse::jsonError(400, "bad_request", problem));
                   ctx.createSession(definition, actorOf(rc), rc.ticket);
                   return std::optional<HttpResponse>();
               });

    router.add(
        Method::Get, "/v1/admin/sessions", [&ctx](const HttpRequest &request, const RequestContext &rc) {
            if (auto refused = adminOnly(ctx, request, rc))
                return refused;
            if (!ctx.listSessions)
                return std::optional(HttpResponse::jsonError(503, "storage_unavailable", u"not available"_s));
            ctx.listSessions(rc.ticket);
            return std::optional<HttpResponse>();
        });

    router.add(
        Method::Post, "/v1/admin/sessions/open",
        [&ctx](const HttpRequest &request, const RequestContext &rc) {
            if (auto refused = adminOnly(ctx, request, rc))
                return refused;
            if (!request.isMediaType("application/json")) {
                return std::optional(HttpResponse::jsonError(415, "unsupported_media_type",
                                                             u"send {\"id\": N} as application/json"_s));
            }
            const QJsonDocument doc = QJsonDocument::fromJson(request.body.toByteArray());
            if (!doc.isObject()) {
                return std::optional(
                    HttpResponse::jsonError(400, "invalid_json", u"the body must be a JSON object"_s));
            }
            const QJsonValue id = doc.object().value(u"id"_s);
            const qint64 sessionId = id.isDouble() ? id.toInteger(-1) : -1;
            if (sessionId < 1 || double(sessionId) != id.toDouble()) {
                return std::optional(HttpResponse::jsonError(400, "bad_request",
                                                             u"\"id\" must be a session id (1 or more)"_s));
            }
            if (!ctx.openSession)
                return std::optional(HttpResponse::jsonError(503, "storage_unavailable", u"not available"_s));
            ctx.openSession(sessionId, actorOf(rc), rc.ticket);
            return std::optional<HttpResponse>();
        });

    router.add(
        Method::Post, "/v1/admin/rehearsal", [&ctx](const HttpRequest &request, const RequestContext &rc) {
            if (auto refused = adminOnly(ctx, request, rc))
                return refused;
            if (!request.isMediaType("application/json")) {
                return std::optional(HttpResponse::jsonError(415, "unsupported_media_type",
                                                             u"send the command as application/json"_s));
            }
            const QJsonDocument doc = QJsonDocument::fromJson(request.body.toByteArray());
            if (!doc.isObject())
                return std::optional(
                    HttpResponse::jsonError(400, "invalid_json", u"the body must be a JSON object"_s));
            const QJsonObject object = doc.object();
            const QString action = object.value(u"action"_s).toString();
            RehearsalCommand command;
            command.actor = actorOf(rc);
            command.start = action == u"start";
            if (!command.start && action != u"stop") {
                return std::optional(HttpResponse::jsonError(400, "bad_request",
                                                             u"\"action\" must be \"start\" or \"stop\""_s));
            }
            if (command.start) {
                const QJsonValue shape = object.value(u"shape"_s);
                if (!shape.isUndefined() && !parseRehearsalShape(shape.toString(), &command.plan.shape)) {
                    return std::optional(HttpResponse::jsonError(
                        400, "bad_request", u"\"shape\" must be steady, ramp or spike"_s));
                }
                // Whole numbers only: a fraction or a string is refused, not rounded.
                auto whole = [&object](const QString &field, int *out) {
                    const QJsonValue value = object.value(field);
                    if (value.isUndefined())
                        return true;
                    const double number = value.toDouble(-1);
                    if (!value.isDouble() || number != double(qint64(number)) || number < 0 || number > 1e9)
                        return false;
                    *out = int(number);
                    return true;
                };
                if (!whole(u"rate"_s, &command.plan.ratePerSecond) ||
                    !whole(u"duration_seconds"_s, &command.plan.durationSeconds)) {
                    return std::optional(HttpResponse::jsonError(
                        400, "bad_request", u"\"rate\" and \"duration_seconds\" must be whole numbers"_s));
                }
                if (const QString problem = command.plan.validate(); !problem.isEmpty())
                    return std::optional(HttpResponse::jsonError(400, "bad_request", problem));
            }
            if (!ctx.rehearsal)
                return std::optional(HttpResponse::jsonError(503, "not_available", u"not available"_s));
            ctx.rehearsal(command, rc.ticket);
            return std::optional<HttpResponse>();
        });

    router.add(Method::Get, "/v1/admin/votes", [&ctx](const HttpRequest &request, const RequestContext &rc) {
        if (auto refused = adminOnly(ctx, request, rc))
            return refused;
        const QUrlQuery query(QString::fromLatin1(request.query.toByteArray()));
        bool afterOk = true;
        bool limitOk = true;
        const qint64 after =
            query.hasQueryItem(u"after"_s) ? query.queryItemValue(u"after"_s).toLongLong(&afterOk) : 0;
        const qint64 limit =
            query.hasQueryItem(u"limit"_s) ? query.queryItemValue(u"limit"_s).toLongLong(&limitOk) : 100'000;
        if (!afterOk || !limitOk || after < 0 || limit < 1 || limit > 100'000) {
            return std::optional(HttpResponse::jsonError(
                400, "bad_request", u"use after=<seq> (0 or more) and limit=<rows> (1 to 100000)"_s));
        }
        ctx.voteLog(after, limit, rc.ticket);
        return std::optional<HttpResponse>();
    });

    if (ctx.serveAudiencePage) {
        // Read once: the files are compiled in and never change while the server runs.
        struct Asset
        {
            QByteArray path;
            QString resource;
            QByteArray contentType;
        };
        const Asset assets[] = {
            {"/", u":/audience/index.html"_s, "text/html; charset=utf-8"},
            {"/vote", u":/audience/index.html"_s, "text/html; charset=utf-8"},
            {"/audience.js", u":/audience/audience.js"_s, "text/javascript; charset=utf-8"},
            {"/audience.css", u":/audience/audience.css"_s, "text/css; charset=utf-8"},
        };
        for (const Asset &asset : assets) {
            QFile file(asset.resource);
            const QByteArray bytes = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
            const QByteArray etag =
                '"' + QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(16) + '"';
            const QByteArray contentType = asset.contentType;
            router.add(Method::Get, asset.path,
                       [bytes, etag, contentType](const HttpRequest &request, const RequestContext &) {
                           HttpResponse response = matchesEtag(request, etag)
                                                       ? HttpResponse(304, {}, {})
                                                       : HttpResponse(200, contentType, bytes);
                           response.addHeader("ETag", etag);
                           response.addHeader("Cache-Control", "no-cache");
                           response.addHeader("X-Content-Type-Options", "nosniff");
                           // Only its own scripts and styles; no framing (clickjacking a vote).
                           response.addHeader("Content-Security-Policy",
                                              "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                              "form-action 'none'; frame-ancestors 'none'");
                           return std::optional(response);
                       });
        }
    }
    router.add(Method::Get, "/v1/admin/replay", [&ctx](const HttpRequest &request, const RequestContext &rc) {
        if (auto refused = adminOnly(ctx, request, rc))
            return refused;
        const QUrlQuery query(QString::fromLatin1(request.query.toByteArray()));
        CountingRule rule;
        QString problem;
        if (!query.hasQueryItem(u"policy"_s)) {
            return std::optional(HttpResponse::jsonError(
                400, "bad_request", u"name the policy to replay: ?policy=first_wins (or capped:N, ...)"_s));
        }
        if (!CountingRule::parsePolicy(query.queryItemValue(u"policy"_s, QUrl::FullyDecoded), &rule,
                                       &problem))
            return std::optional(HttpResponse::jsonError(400, "bad_request", problem));
        if (query.hasQueryItem(u"option_cap"_s)) {
            bool ok = false;
            rule.optionCap = query.queryItemValue(u"option_cap"_s).toInt(&ok);
            if (!ok)
                rule.optionCap = -1;
        }
        problem = rule.validate();
        if (!problem.isEmpty())
            return std::optional(HttpResponse::jsonError(400, "bad_request", problem));
        ctx.replay(rule, actorOf(rc), rc.ticket);
        return std::optional<HttpResponse>();
    });

    router.add(Method::Get, "/v1/admin/audit", [&ctx](const HttpRequest &request, const RequestContext &rc) {
        if (auto refused = adminOnly(ctx, request, rc))
            return refused;
        const QUrlQuery query(QString::fromLatin1(request.query.toByteArray()));
        qint64 sessionId = ctx.gate.load()->session.id;
        if (query.hasQueryItem(u"session"_s)) {
            bool ok = false;
            sessionId = query.queryItemValue(u"session"_s).toLongLong(&ok);
            if (!ok || sessionId < 1)
                return std::optional(
                    HttpResponse::jsonError(400, "bad_request", u"session=<id> (1 or more)"_s));
        }
        ctx.auditLog(sessionId, rc.ticket);
        return std::optional<HttpResponse>();
    });

    router.add(Method::Get, "/v1/admin/fraud", [&ctx](const HttpRequest &request, const RequestContext &rc) {
        if (auto refused = adminOnly(ctx, request, rc))
            return refused;
        if (!ctx.fraud)
            return std::optional(HttpResponse::jsonError(404, "not_found", u"no fraud figures here"_s));
        const QUrlQuery query(QString::fromLatin1(request.query.toByteArray()));
        int limit = 20;
        if (query.hasQueryItem(u"limit"_s)) {
            bool ok = false;
            limit = query.queryItemValue(u"limit"_s).toInt(&ok);
            if (!ok || limit < 1 || limit > 200)
                return std::optional(HttpResponse::jsonError(400, "bad_request", u"limit=<1..200>"_s));
        }
        // Same monotonic clock as the vote handler's stamps (steady_clock), so seconds line up.
        const qint64 steadyMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count();
        const FraudSnapshot snapshot = ctx.fraud->snapshot(limit, steadyMs);
        QJsonArray perSecond;
        for (qint64 count : snapshot.perSecond)
            perSecond.append(count);
        const QJsonObject body{{u"session"_s, ctx.gate.load()->session.id},
                               {u"total"_s, snapshot.total},
                               {u"rejected"_s, snapshot.rejected},
                               {u"rejected_share"_s, snapshot.rejectedShare()},
                               {u"peak_per_second"_s, snapshot.peakPerSecond},
                               {u"per_second"_s, perSecond},
                               {u"top_voters"_s, fraudRows(snapshot.topVoters)},
                               {u"top_addresses"_s, fraudRows(snapshot.topAddresses)}};
        return std::optional(HttpResponse::json(200, toJson(body)));
    });

    router.add(
        Method::Post, "/v1/admin/exclusions", [&ctx](const HttpRequest &request, const RequestContext &rc) {
            if (auto refused = adminOnly(ctx, request, rc))
                return refused;
            if (!ctx.exclude)
                return std::optional(HttpResponse::jsonError(404, "not_found", u"no exclusions here"_s));
            const QJsonDocument doc = QJsonDocument::fromJson(request.body.toByteArray());
            const QJsonObject body = doc.object();
            CountExclusion exclusion;
            if (!doc.isObject() ||
                !CountExclusion::parseKind(body.value(u"kind"_s).toString(), &exclusion.kind) ||
                !body.value(u"value"_s).isString() || !body.value(u"reason"_s).isString()) {
                return std::optional(HttpResponse::jsonError(
                    400, "bad_request",
                    u"send {\"kind\":\"voter\"|\"address_range\",\"value\":…,\"reason\":…}"_s));
            }
            exclusion.value = body.value(u"value"_s).toString();
            exclusion.reason = body.value(u"reason"_s).toString();
            exclusion.actor = actorOf(rc);
            ctx.exclude(exclusion, rc.ticket);
            return std::optional<HttpResponse>();
        });

    // Audience pages and graphics on other origins may vote and read; nothing else.
    for (const char *path : {"/v1/votes", "/v1/session"})
        router.allowCrossOrigin(path);
    for (const PublishedDocument &document : documents)
        router.allowCrossOrigin(document.path);
    return router;
}
