#include "loadgenapp.h"

#include <chrono>
#include <random>
#include <thread>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include "duration.h"
#include "loadrunner.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr qint64 kLogPage = 100'000; // the most rows GET /v1/admin/votes gives at once

void print(FILE *stream, const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    std::fwrite(utf8.constData(), 1, size_t(utf8.size()), stream);
    if (!text.endsWith(u'\n'))
        std::fputc('\n', stream);
    std::fflush(stream);
}

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct SessionInfo
{
    qint64 id = 0;
    QString state;
    QString policy;
    QStringList optionKeys;
};

bool readSession(const AdminClient &admin, SessionInfo *info, QString *error)
{
    const AdminClient::Response response = admin.get("/v1/session");
    if (response.status != 200) {
        *error = u"GET /v1/session: %1"_s.arg(response.describe());
        return false;
    }
    const QJsonObject json = response.json();
    info->id = json.value(u"id"_s).toInteger(json.value(u"session"_s).toInteger());
    info->state = json.value(u"state"_s).toString();
    info->policy = json.value(u"policy"_s).toString();
    info->optionKeys.clear();
    for (const QJsonValue &option : json.value(u"options"_s).toArray())
        info->optionKeys.append(option.toObject().value(u"key"_s).toString());
    if (info->id <= 0 || info->optionKeys.size() < 2) {
        *error = u"GET /v1/session did not name a session with options"_s;
        return false;
    }
    return true;
}

// The whole current log, page by page, into `visit`. Checks every page is of `sessionId`.
bool readVoteLog(const AdminClient &admin, qint64 sessionId,
                 const std::function<bool(qint64, QByteArrayView, QByteArrayView)> &visit, qint64 *lastSeq,
                 QString *error)
{
    qint64 after = 0;
    for (;;) {
        const AdminClient::Response page = admin.get("/v1/admin/votes?after=" + QByteArray::number(after) +
                                                     "&limit=" + QByteArray::number(kLogPage));
        if (page.status != 200) {
            *error = page.status == 404
                         ? u"the server has no vote log API (GET /v1/admin/votes answered 404)"_s
                         : u"GET /v1/admin/votes: %1"_s.arg(page.describe());
            return false;
        }
        if (page.header("x-votedesk-session").toLongLong() != sessionId) {
            *error = u"the vote log is of session %1, the run voted in %2"_s
                         .arg(QString::fromLatin1(page.header("x-votedesk-session")))
                         .arg(sessionId);
            return false;
        }
        const QList<QList<QByteArray>> rows = parseCsv(page.body);
        if (rows.isEmpty() || rows.first().join(',') != "seq,voter,option,received_at_ms") {
            *error = u"the vote log does not start with the header seq,voter,option,received_at_ms"_s;
            return false;
        }
        for (qsizetype i = 1; i < rows.size(); ++i) {
            const QList<QByteArray> &row = rows[i];
            bool ok = false;
            const qint64 seq = row.value(0).toLongLong(&ok);
            if (row.size() != 4 || !ok || seq <= after) {
                *error =
                    u"row %1 of the vote log after seq %2 is unreadable or out of order"_s.arg(i).arg(after);
                return false;
            }
            if (!visit(seq, row[1], row[2])) {
                *error = u"the vote log did not come in ascending seq order"_s;
                return false;
            }
            after = seq;
        }
        if (rows.size() - 1 < kLogPage)
            break;
    }
    if (lastSeq)
        *lastSeq = after;
    return true;
}

QByteArray makeVoterPrefix(quint64 random)
{
    // "lg" + 8 base-36 characters + ".": unique enough per run, short enough to leave the
    // voter id (at most 64 characters) plenty of room for the number.
    static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    QByteArray prefix = "lg";
    for (int i = 0; i < 8; ++i) {
        prefix += digits[random % 36];
        random /= 36;
    }
    return prefix + '.';
}

QByteArray sessionJson(const LoadgenOptions &o, const QByteArray &prefix)
{
    QJsonArray options;
    for (const QString &key : o.optionKeys)
        options.append(QJsonObject{{u"key"_s, key}, {u"label"_s, key}});
    const qint64 windowMs = o.windowMs > 0 ? o.windowMs : o.durationMs + 10 * 60'000;
    const QJsonObject session{{u"title"_s, u"loadgen %1"_s.arg(QString::fromLatin1(prefix.chopped(1)))},
                              {u"question"_s, u"votedesk-loadgen rehearsal"_s},
                              {u"window_seconds"_s, (windowMs + 999) / 1000},
                              {u"policy"_s, o.policy},
                              {u"option_cap"_s, o.optionCap},
                              {u"options"_s, options}};
    return QJsonDocument(session).toJson(QJsonDocument::Compact);
}

void writeOutputs(const LoadgenOptions &o, const RunSummary &summary, const Verdict *verdict, FILE *err)
{
    QString error;
    if (!o.report.isEmpty() &&
        !writeJsonReport(o.report, summary, verdict ? verdict->toJson() : QJsonObject(), &error))
        print(err, u"votedesk-loadgen: %1"_s.arg(error));
    if (!o.chart.isEmpty() &&
        !writeHtmlChart(o.chart, summary, verdict ? verdict->line() : QString(), &error))
        print(err, u"votedesk-loadgen: %1"_s.arg(error));
}
} // namespace

QList<QList<QByteArray>> parseCsv(QByteArrayView text)
{
    QList<QList<QByteArray>> rows;
    QList<QByteArray> row;
    QByteArray field;
    bool quoted = false;
    bool fieldStarted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = true;
            fieldStarted = true;
        } else if (c == ',') {
            row.append(field);
            field.clear();
            fieldStarted = false;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
            row.append(field);
            rows.append(row);
            row.clear();
            field.clear();
            fieldStarted = false;
        } else {
            field += c;
            fieldStarted = true;
        }
    }
    if (fieldStarted || !row.isEmpty()) {
        row.append(field);
        rows.append(row);
    }
    return rows;
}

Verdict verifyAgainstServer(const AdminClient &admin, const RunIdentity &identity,
                            const std::vector<SentVote> &ledger, qint64 drainTimeoutMs, FILE *log)
{
    const qint64 deadline = steadyMs() + drainTimeoutMs;
    QString lastProblem;
    SessionInfo session;
    QString error;
    if (!readSession(admin, &session, &error))
        return Verdict::unverifiable(error);
    if (session.id != identity.sessionId) {
        return Verdict::unverifiable(
            u"the server's current session is %1, the run voted in %2"_s.arg(session.id)
                .arg(identity.sessionId));
    }
    bool told = false;
    for (;;) {
        if (steadyMs() > deadline) {
            return Verdict::unverifiable(u"the server did not settle within %1: %2"_s.arg(
                formatDurationMs(drainTimeoutMs), lastProblem));
        }
        // 1. Drained: nothing admitted is still waiting for its answer.
        const AdminClient::Response before = admin.get("/v1/admin/results");
        ServerResults first;
        if (before.status != 200)
            return Verdict::unverifiable(u"GET /v1/admin/results: %1"_s.arg(before.describe()));
        if (!ServerResults::fromJson(before.json(), &first, &error))
            return Verdict::unverifiable(error);
        if (first.queueDepth < 0)
            return Verdict::unverifiable(u"the server's results do not say its queue depth"_s);
        if (first.queueDepth > 0) {
            lastProblem = u"%1 votes still in its pipeline"_s.arg(first.queueDepth);
            if (!told && log) {
                print(log, u"waiting for the server to drain (%1)"_s.arg(lastProblem));
                told = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        // 2. The log, replayed under the session's rule and matched against the receipts.
        CountingRule rule;
        if (!first.rule(&rule, &error))
            return Verdict::unverifiable(error);
        Verifier verifier(identity, session.optionKeys, rule, ledger);
        if (!readVoteLog(
                admin, identity.sessionId,
                [&verifier](qint64 seq, QByteArrayView voter, QByteArrayView option) {
                    return verifier.addRow(seq, voter, option);
                },
                nullptr, &error)) {
            return Verdict::unverifiable(error);
        }
        // 3. Still drained and nothing new accepted while the log was read: the log and the
        // results describe the same moment.
        const AdminClient::Response after = admin.get("/v1/admin/results");
        ServerResults second;
        if (after.status != 200)
            return Verdict::unverifiable(u"GET /v1/admin/results: %1"_s.arg(after.describe()));
        if (!ServerResults::fromJson(after.json(), &second, &error))
            return Verdict::unverifiable(error);
        if (second.queueDepth != 0 || second.accepted != first.accepted ||
            second.sessionId != first.sessionId) {
            lastProblem =
                u"votes were still being accepted while the log was read (%1 then %2)"_s.arg(first.accepted)
                    .arg(second.accepted);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        return verifier.finish(second);
    }
}

int runLoadgen(const LoadgenOptions &o, FILE *out, FILE *err)
{
    ServerAddress address;
    QString error;
    if (!ServerAddress::resolve(o.host, o.port, &address, &error)) {
        print(err, u"votedesk-loadgen: %1"_s.arg(error));
        return 3;
    }
    const AdminClient admin(address, int(std::min<qint64>(o.timeoutMs, 60'000)), o.adminToken);
    if (!o.adminToken.isEmpty() && !o.quiet)
        print(err,
              u"votedesk-loadgen: admin API calls carry the admin token from %1"_s.arg(o.adminTokenSource));

    // Verify an earlier run from its record: no votes are sent.
    if (!o.verifyRecord.isEmpty()) {
        RunIdentity identity;
        std::vector<SentVote> ledger;
        if (!readVoteRecord(o.verifyRecord, &identity, &ledger, &error)) {
            print(err, u"votedesk-loadgen: %1"_s.arg(error));
            return 3;
        }
        print(out,
              u"verifying the run recorded in %1: session %2, %3 votes, voters %4<n>"_s.arg(o.verifyRecord)
                  .arg(identity.sessionId)
                  .arg(ledger.size())
                  .arg(QString::fromLatin1(identity.voterPrefix)));
        const Verdict verdict = verifyAgainstServer(admin, identity, ledger, o.drainTimeoutMs, err);
        for (const QString &note : verdict.notes)
            print(out, u"note: "_s + note);
        print(out, verdict.line());
        if (!o.report.isEmpty()) {
            RunSummary none;
            none.url = identity.url;
            writeOutputs(o, none, &verdict, err);
        }
        return verdict.exitCode();
    }

    std::random_device device;
    const quint64 random =
        (quint64(device()) << 32) ^ device() ^ quint64(QDateTime::currentMSecsSinceEpoch());
    const QByteArray prefix = o.voterPrefix.isEmpty() ? makeVoterPrefix(random) : o.voterPrefix;
    const quint64 seed = o.seedGiven ? o.seed : (random >> 7) % 1'000'000'000;

    // Session set-up.
    if (o.newSession) {
        const AdminClient::Response created = admin.post("/v1/admin/sessions", sessionJson(o, prefix));
        if (created.status != 201) {
            print(err, u"votedesk-loadgen: cannot create a session: %1"_s.arg(created.describe()));
            return 3;
        }
    }
    SessionInfo session;
    const bool haveSession = readSession(admin, &session, &error);
    if (!haveSession) {
        if (o.verify || o.optionKeys.isEmpty() || o.newSession || o.openWindow) {
            print(err,
                  u"votedesk-loadgen: %1%2"_s.arg(o.verify ? u"could not verify: "_s : QString(), error));
            return 3;
        }
        // Not a votedesk (nginx in a benchmark): the votes go out all the same.
        print(err, u"votedesk-loadgen: no session information (%1); sending anyway"_s.arg(error));
    }
    if ((o.newSession || o.openWindow) && session.state == u"ready") {
        const AdminClient::Response opened = admin.post("/v1/admin/window", R"({"action":"open"})");
        if (opened.status != 200) {
            print(err, u"votedesk-loadgen: cannot open the lines: %1"_s.arg(opened.describe()));
            return 3;
        }
        session.state = u"open"_s;
    }
    QStringList keys = o.optionKeys;
    QList<double> weights = o.optionWeights;
    if (keys.isEmpty()) {
        keys = session.optionKeys;
        weights = QList<double>(keys.size(), 1.0);
    } else if (haveSession) {
        for (const QString &key : keys) {
            if (!session.optionKeys.contains(key)) {
                print(err, u"votedesk-loadgen: --options: \"%1\" is not an option of session %2 (it has %3)"_s
                               .arg(key)
                               .arg(session.id)
                               .arg(session.optionKeys.join(u", "_s)));
                return 2;
            }
        }
    }
    if (haveSession && session.state != u"open") {
        print(err,
              u"votedesk-loadgen: note: the lines of session %1 are %2; votes will be refused (--open opens "
              u"them)"_s.arg(session.id)
                  .arg(session.state));
    }

    // Baseline: where the session's log stands before the run.
    RunIdentity identity;
    identity.url = o.url.toString();
    identity.sessionId = session.id;
    identity.voterPrefix = prefix;
    identity.optionKeys = keys;
    identity.startedAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    if (o.verify) {
        const AdminClient::Response results = admin.get("/v1/admin/results");
        if (results.status != 200) {
            print(err,
                  u"votedesk-loadgen: could not verify: GET /v1/admin/results: %1"_s.arg(results.describe()));
            return 3;
        }
        if (!readVoteLog(
                admin, session.id, [](qint64, QByteArrayView, QByteArrayView) { return true; },
                &identity.baselineSeq, &error)) {
            print(err, u"votedesk-loadgen: could not verify: %1"_s.arg(error));
            return 3;
        }
    }

    VoteGenerator::Config config;
    config.voterPrefix = prefix;
    config.optionKeys = keys;
    config.optionWeights = weights;
    config.voters = o.voters;
    config.repeatRatio = o.repeatRatio;
    config.invalidRatio = o.invalidRatio;
    config.seed = seed;
    VoteGenerator generator(config);
    identity.unknownOptionKey = generator.config().unknownOptionKey;

    LoadRunner::Config runConfig;
    runConfig.address = address;
    runConfig.connections = o.connections;
    runConfig.pipeline = o.pipeline;
    runConfig.durationMs = o.durationMs;
    runConfig.maxRetries = o.maxRetries;
    runConfig.retryAfterCapMs = o.retryAfterCapMs;
    runConfig.timeoutMs = o.timeoutMs;
    runConfig.drainTimeoutMs = o.drainTimeoutMs;
    LoadRunner runner(runConfig, o.shape, generator);
    if (!o.quiet)
        runner.setProgressHandler([err](const SecondStats &second) { print(err, progressLine(second)); });

    print(out, u"votedesk-loadgen: %1 for %2 to %3 (session %4), %5 connections x %6, voters %7<n>, seed %8"_s
                   .arg(o.shape.describe(), formatDurationMs(o.durationMs), identity.url)
                   .arg(session.id)
                   .arg(o.connections)
                   .arg(o.pipeline)
                   .arg(QString::fromLatin1(prefix))
                   .arg(seed));
    std::vector<SentVote> ledger;
    const RunSummary summary = runner.run(ledger);
    print(out, summary.text());

    if (!o.record.isEmpty() && !writeVoteRecord(o.record, identity, ledger, &error))
        print(err, u"votedesk-loadgen: %1"_s.arg(error));

    if (!o.verify) {
        writeOutputs(o, summary, nullptr, err);
        if (summary.planned > 0 && summary.sent == 0) {
            print(err, u"votedesk-loadgen: no vote could be sent to %1"_s.arg(identity.url));
            return 3;
        }
        return 0;
    }
    const Verdict verdict = verifyAgainstServer(admin, identity, ledger, o.drainTimeoutMs, err);
    for (const QString &note : verdict.notes)
        print(out, u"note: "_s + note);
    print(out, verdict.line());
    writeOutputs(o, summary, &verdict, err);
    return verdict.exitCode();
}
