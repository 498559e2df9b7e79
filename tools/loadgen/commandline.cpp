#include "commandline.h"

#include <cmath>

#include <QCommandLineParser>

#include "access/admintoken.h"
#include "duration.h"
#include "session/sessiondefinition.h"

using namespace Qt::Literals::StringLiterals;

namespace {
bool isVoterChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'.' ||
           c == u'_' || c == u':' || c == u'@' || c == u'+' || c == u'-';
}
} // namespace

QString loadgenHelpText()
{
    return uR"(Usage: votedesk-loadgen --url http://127.0.0.1:8080 [options]

The audience simulator: sends a realistic TV vote spike to a votedesk server over keep-alive,
pipelined connections, and with --verify proves, vote by vote, that every acknowledged vote
is in the final result.

Load shape
  --rate N|max             votes per second (alone: a steady rate; default 1000); max: as
                           fast as the connections allow (to measure capacity)
  --profile SPEC           steady | ramp[:from=N,to=N] | spike[:peak=N,rise=5s,decay=60s,base=N,at=0s] | max
                           (ramp and spike take their rate from --rate unless given)
  --duration D             how long to send: 500ms, 10s, 2m (default 10s; spike: at+rise+decay)
  --connections N          keep-alive connections (default 64)
  --pipeline N             requests in flight per connection (default 16)

Audience
  --voters N               distinct voter ids (default: a new voter for every vote)
  --repeat-ratio R         share of votes cast by a voter who voted before, 0 to 1 (default 0)
  --invalid-ratio SPEC     share of malformed votes: R spread over all kinds, or kind:R,...
                           with kinds invalid_json, missing_field, invalid_voter,
                           unknown_option, unsupported_media_type
  --options SPEC           target distribution, e.g. A:40,B:30,C:20,D:10 (default: the
                           session's options, equal shares)
  --seed N                 repeat a run's choices exactly (default: random, printed)
  --voter-prefix P         voter ids are P<n> (default: unique per run, e.g. lg4k2x9q.)

Answers
  --max-retries N          retries of a vote answered 503 or 429, after its Retry-After (default 3)
  --retry-after-cap D      longest Retry-After honoured (default 30s)
  --timeout D              an answer later than this counts as lost; the connection is closed (default 10s)
  --drain-timeout D        after the run, how long to wait for answers and for the server to drain (default 30s)

Verification and output
  --verify                 after the run wait until the server has drained, read its vote log
                           (admin API) and prove the run: exit 1 on any difference,
                           3 when it could not check
  --record FILE            every vote sent and its answer (receipt included), as CSV
  --verify-record FILE     verify an earlier run from its record (sends no votes)
  --report FILE            figures and a per-second series as JSON
  --chart FILE             the same as a self-contained HTML page (sent/acked/latency per second)
  --quiet                  no progress line

Admin API (session set-up, --open, --verify): loopback, or anywhere with the admin token
  --admin-token-file FILE  the server's admin token (a file only its owner may read), sent as
                           "Authorization: Bearer <token>"; or the environment variable
                           VOTEDESK_ADMIN_TOKEN. Without one the admin API answers loopback only

Session set-up
  --new-session            create a session with the --options keys (default A-D) and open it
  --policy P               its policy: last_wins (default), first_wins, unlimited, capped:N
  --option-cap M           most votes of one voter counted for one option (unlimited and
                           capped:N only; default 0, none)
  --window D               its window length (default: the duration plus 10 minutes)
  --open                   open the current session's lines if they are ready

  --help, --version

Exit codes: 0 done (and verified, with --verify), 1 verification found a difference,
2 bad command line, 3 could not run or could not verify.
)"_s;
}

CommandLineResult parseLoadgenCommandLine(const QStringList &arguments, LoadgenOptions *o, QString *error)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QList<QCommandLineOption> valued = {
        {u"url"_s, {}, u"url"_s},
        {u"rate"_s, {}, u"n"_s},
        {u"profile"_s, {}, u"spec"_s},
        {u"duration"_s, {}, u"d"_s},
        {u"connections"_s, {}, u"n"_s},
        {u"pipeline"_s, {}, u"n"_s},
        {u"voters"_s, {}, u"n"_s},
        {u"repeat-ratio"_s, {}, u"r"_s},
        {u"invalid-ratio"_s, {}, u"spec"_s},
        {u"options"_s, {}, u"spec"_s},
        {u"seed"_s, {}, u"n"_s},
        {u"voter-prefix"_s, {}, u"p"_s},
        {u"max-retries"_s, {}, u"n"_s},
        {u"retry-after-cap"_s, {}, u"d"_s},
        {u"timeout"_s, {}, u"d"_s},
        {u"drain-timeout"_s, {}, u"d"_s},
        {u"record"_s, {}, u"file"_s},
        {u"verify-record"_s, {}, u"file"_s},
        {u"report"_s, {}, u"file"_s},
        {u"chart"_s, {}, u"file"_s},
        {u"policy"_s, {}, u"p"_s},
        {u"option-cap"_s, {}, u"m"_s},
        {u"window"_s, {}, u"d"_s},
        {u"admin-token-file"_s, {}, u"file"_s},
    };
    for (const QCommandLineOption &option : valued)
        parser.addOption(option);
    for (const QString &flag :
         {u"verify"_s, u"new-session"_s, u"open"_s, u"quiet"_s, u"help"_s, u"version"_s})
        parser.addOption(QCommandLineOption(flag));

    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return CommandLineResult::Error;
    };
    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (parser.isSet(u"help"_s))
        return CommandLineResult::Help;
    if (parser.isSet(u"version"_s))
        return CommandLineResult::Version;
    if (!parser.positionalArguments().isEmpty())
        return fail(u"unexpected argument \"%1\""_s.arg(parser.positionalArguments().constFirst()));

    auto integer = [&](const QString &name, qint64 min, qint64 max, qint64 *out) {
        if (!parser.isSet(name))
            return true;
        bool ok = false;
        const qint64 value = parser.value(name).toLongLong(&ok);
        if (!ok || value < min || value > max) {
            fail(u"--%1 must be a whole number from %2 to %3"_s.arg(name).arg(min).arg(max));
            return false;
        }
        *out = value;
        return true;
    };
    auto duration = [&](const QString &name, qint64 min, qint64 *out) {
        if (!parser.isSet(name))
            return true;
        QString problem;
        const qint64 value = parseDurationMs(parser.value(name), &problem);
        if (value < 0) {
            fail(u"--%1: %2"_s.arg(name, problem));
            return false;
        }
        if (value < min) {
            fail(u"--%1 must be at least %2"_s.arg(name, formatDurationMs(min)));
            return false;
        }
        *out = value;
        return true;
    };
    auto ratio = [&](const QString &name, double *out) {
        if (!parser.isSet(name))
            return true;
        bool ok = false;
        const double value = parser.value(name).toDouble(&ok);
        if (!ok || !std::isfinite(value) || value < 0 || value > 1) {
            fail(u"--%1 must be a ratio from 0 to 1"_s.arg(name));
            return false;
        }
        *out = value;
        return true;
    };

    // --url
    if (!parser.isSet(u"url"_s))
        return fail(u"--url is required (e.g. --url http://127.0.0.1:8080)"_s);
    o->url = QUrl(parser.value(u"url"_s), QUrl::StrictMode);
    if (!o->url.isValid() || o->url.scheme() != u"http" || o->url.host().isEmpty())
        return fail(
            u"--url must be an http:// URL with a host, e.g. http://127.0.0.1:8080 (https is not supported)"_s);
    if (!o->url.path().isEmpty() && o->url.path() != u"/")
        return fail(u"--url is the server's base URL, without a path (the votes go to /v1/votes)"_s);
    o->host = o->url.host();
    o->port = quint16(o->url.port(80));

    // Shape
    double rate = 0;
    const bool rateMax = parser.value(u"rate"_s) == u"max";
    if (rateMax && parser.isSet(u"profile"_s))
        return fail(u"--rate max is a profile of its own; it does not go with --profile"_s);
    if (parser.isSet(u"rate"_s) && !rateMax) {
        bool ok = false;
        rate = parser.value(u"rate"_s).toDouble(&ok);
        if (!ok || !std::isfinite(rate) || rate <= 0 || rate > 1e7)
            return fail(u"--rate must be a number of votes per second above 0 (at most 10000000)"_s);
    }
    const QString profile = rateMax                      ? u"max"_s
                            : parser.isSet(u"profile"_s) ? parser.value(u"profile"_s)
                                                         : u"steady"_s;
    QString problem;
    if (!LoadShape::parse(profile, rate > 0 ? rate : (profile.startsWith(u"steady") ? 1000 : 0), &o->shape,
                          &problem)) {
        return fail(u"--profile: %1"_s.arg(problem));
    }
    o->durationMs = o->shape.naturalDurationMs() > 0 ? o->shape.naturalDurationMs() : 10'000;
    if (!duration(u"duration"_s, 1, &o->durationMs))
        return CommandLineResult::Error;
    o->shape.setDurationMs(o->durationMs);

    qint64 value = 0;
    value = o->connections;
    if (!integer(u"connections"_s, 1, 10'000, &value))
        return CommandLineResult::Error;
    o->connections = int(value);
    value = o->pipeline;
    if (!integer(u"pipeline"_s, 1, 1024, &value))
        return CommandLineResult::Error;
    o->pipeline = int(value);

    // Audience
    if (!integer(u"voters"_s, 1, 4'000'000'000LL, &o->voters) || !ratio(u"repeat-ratio"_s, &o->repeatRatio))
        return CommandLineResult::Error;
    if (parser.isSet(u"invalid-ratio"_s) &&
        !VoteGenerator::parseInvalidRatio(parser.value(u"invalid-ratio"_s), &o->invalidRatio, &problem)) {
        return fail(u"--invalid-ratio: %1"_s.arg(problem));
    }
    if (parser.isSet(u"options"_s) &&
        !VoteGenerator::parseOptionWeights(parser.value(u"options"_s), &o->optionKeys, &o->optionWeights,
                                           &problem)) {
        return fail(u"--options: %1"_s.arg(problem));
    }
    if (parser.isSet(u"seed"_s)) {
        bool ok = false;
        o->seed = parser.value(u"seed"_s).toULongLong(&ok);
        if (!ok)
            return fail(u"--seed must be a whole number of 0 or more"_s);
        o->seedGiven = true;
    }
    if (parser.isSet(u"voter-prefix"_s)) {
        const QString prefix = parser.value(u"voter-prefix"_s);
        bool ok = !prefix.isEmpty() && prefix.size() <= 50 && !prefix.back().isDigit();
        for (QChar c : prefix)
            ok = ok && isVoterChar(c);
        if (!ok) {
            return fail(u"--voter-prefix must be 1-50 characters of [A-Za-z0-9._:@+-] not ending in a digit "
                        u"(voter ids are the prefix and a number)"_s);
        }
        o->voterPrefix = prefix.toLatin1();
    }

    // Answers
    value = o->maxRetries;
    if (!integer(u"max-retries"_s, 0, 100, &value))
        return CommandLineResult::Error;
    o->maxRetries = int(value);
    if (!duration(u"retry-after-cap"_s, 0, &o->retryAfterCapMs) ||
        !duration(u"timeout"_s, 1, &o->timeoutMs) || !duration(u"drain-timeout"_s, 0, &o->drainTimeoutMs)) {
        return CommandLineResult::Error;
    }

    // Output and verification
    o->verify = parser.isSet(u"verify"_s);
    o->verifyRecord = parser.value(u"verify-record"_s);
    o->record = parser.value(u"record"_s);
    o->report = parser.value(u"report"_s);
    o->chart = parser.value(u"chart"_s);
    o->quiet = parser.isSet(u"quiet"_s);
    if (parser.isSet(u"verify-record"_s) && o->verifyRecord.isEmpty())
        return fail(u"--verify-record needs a file"_s);

    // Session set-up
    o->newSession = parser.isSet(u"new-session"_s);
    o->openWindow = parser.isSet(u"open"_s);
    if (parser.isSet(u"policy"_s) || parser.isSet(u"option-cap"_s)) {
        if (!o->newSession)
            return fail(u"--policy and --option-cap only apply with --new-session (a session's counting rule "
                        u"is fixed)"_s);
        // Core's own parser and validation: what the server would accept, nothing else.
        CountingRule rule;
        if (parser.isSet(u"policy"_s) &&
            !CountingRule::parsePolicy(parser.value(u"policy"_s), &rule, &problem))
            return fail(u"--policy: %1"_s.arg(problem));
        if (parser.isSet(u"option-cap"_s)) {
            bool ok = false;
            rule.optionCap = parser.value(u"option-cap"_s).toInt(&ok);
            if (!ok)
                return fail(u"--option-cap must be a whole number"_s);
        }
        problem = rule.validate();
        if (!problem.isEmpty())
            return fail(u"--policy/--option-cap: %1"_s.arg(problem));
        o->policy = rule.policyName();
        o->optionCap = rule.optionCap;
    }
    if (!duration(u"window"_s, 1000, &o->windowMs))
        return CommandLineResult::Error;
    if (parser.isSet(u"window"_s) && !o->newSession)
        return fail(u"--window only applies with --new-session"_s);
    if (o->newSession && o->optionKeys.isEmpty()) {
        o->optionKeys = {u"A"_s, u"B"_s, u"C"_s, u"D"_s};
        o->optionWeights = {1, 1, 1, 1};
    }
    if (!o->verifyRecord.isEmpty() && (o->newSession || o->openWindow || !o->record.isEmpty()))
        return fail(
            u"--verify-record sends no votes: it does not go with --new-session, --open or --record"_s);

    // The server's own rules (AdminToken): a file others can read is refused here as there.
    const QString tokenFile = parser.value(u"admin-token-file"_s);
    if (parser.isSet(u"admin-token-file"_s) && tokenFile.isEmpty())
        return fail(u"--admin-token-file needs a file"_s);
    const QString environment = qEnvironmentVariable(AdminToken::kEnvironmentVariable);
    if (!AdminToken::read(tokenFile, environment, &o->adminToken, &problem))
        return fail(problem);
    if (!o->adminToken.isEmpty()) {
        o->adminTokenSource = tokenFile.isEmpty() ? QString::fromLatin1(AdminToken::kEnvironmentVariable)
                                                  : u"--admin-token-file %1"_s.arg(tokenFile);
    }
    return CommandLineResult::Run;
}
