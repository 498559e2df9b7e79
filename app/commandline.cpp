#include "commandline.h"

#include <cstdio>
#include <cstring>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>
#include <QThread>

#include "access/admintoken.h"

using namespace Qt::Literals::StringLiterals;

namespace {
void printError(const QString &message)
{
    std::fprintf(stderr, "votedesk: %s\n", qPrintable(message));
}

bool parseCount(const QString &text, qint64 min, qint64 max, qint64 *value)
{
    bool ok = false;
    const qint64 n = text.toLongLong(&ok);
    if (!ok || n < min || n > max)
        return false;
    *value = n;
    return true;
}
// RATE or RATE:BURST; the burst defaults to one second's worth (at least 1).
bool parseRate(const QString &text, RateLimitConfig *config)
{
    const QStringList parts = text.split(u':');
    bool rateOk = false;
    bool burstOk = true;
    const double rate = parts.value(0).toDouble(&rateOk);
    const double burst = parts.size() > 1 ? parts[1].toDouble(&burstOk) : qMax(1.0, rate);
    if (parts.size() > 2 || !rateOk || !burstOk || !(rate > 0) || rate > 1e9 || !(burst >= 1) || burst > 1e9)
        return false;
    config->ratePerSecond = rate;
    config->burst = burst;
    return true;
}
} // namespace

bool CommandLine::resolveAdminToken(const QString &commandLinePath, const QString &environment,
                                    const QString &savedPath, AccessOptions *access, QString *error)
{
    if (!commandLinePath.isEmpty()) {
        if (!AdminToken::readFile(commandLinePath, &access->adminToken, error))
            return false;
        access->adminTokenSource =
            u"--admin-token-file %1"_s.arg(QDir::current().absoluteFilePath(commandLinePath));
        return true;
    }
    if (!environment.trimmed().isEmpty()) {
        if (!AdminToken::read({}, environment, &access->adminToken, error))
            return false;
        access->adminTokenSource = QString::fromLatin1(AdminToken::kEnvironmentVariable);
        return true;
    }
    if (savedPath.isEmpty())
        return true; // no token: loopback only
    // The saved file does not stop the start: the console is where it gets fixed (Settings),
    // and without a token the admin API only narrows to loopback, it never opens wider.
    QString problem;
    if (AdminToken::readFile(savedPath, &access->adminToken, &problem))
        access->adminTokenSource = u"Settings: %1"_s.arg(savedPath);
    else
        access->adminTokenProblem = problem;
    return true;
}

bool CommandLine::wantsHeadless(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--headless") == 0)
            return true;
        // Help and version need no display either.
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ||
            std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
            return true;
        }
    }
    return false;
}

QString CommandLine::defaultDatabasePath()
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(folder).filePath(u"votedesk.db"_s);
}

CommandLine CommandLine::parse(const QStringList &arguments, const ConsoleSettings &defaults,
                               Outcome *outcome)
{
    CommandLine result;
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Operator console and ingest server for live audience voting.\n"
        u"Votes: POST /v1/votes {\"voter\":\"u1\",\"option\":\"B\"}; see README.md for the whole API."_s);
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption headless(u"headless"_s, u"Run the ingest server without a window."_s);
    const QCommandLineOption port(u"port"_s,
                                  u"HTTP port (default %1; 0 picks a free one)."_s.arg(defaults.port),
                                  u"port"_s, QString::number(defaults.port));
    const QCommandLineOption bind(u"bind"_s,
                                  u"Address to listen on (default %1)."_s.arg(defaults.bindAddress),
                                  u"address"_s, defaults.bindAddress);
    const QCommandLineOption db(u"db"_s, u"SQLite database file (default %1)."_s.arg(defaultDatabasePath()),
                                u"path"_s);
    const QCommandLineOption durability(
        u"durability"_s,
        u"full (fsync every group commit) or normal (survives a crash, not a power cut); default %1."_s.arg(
            defaults.durability),
        u"mode"_s, defaults.durability);
    const QCommandLineOption queueCapacity(u"queue-capacity"_s,
                                           u"Votes that may wait for the store before new ones get 503 "
                                           u"(default %1)."_s.arg(defaults.queueCapacity),
                                           u"votes"_s, QString::number(defaults.queueCapacity));
    const QCommandLineOption batchSize(u"batch-size"_s,
                                       u"Most votes per group commit (default %1)."_s.arg(defaults.batchSize),
                                       u"votes"_s, QString::number(defaults.batchSize));
    const QCommandLineOption batchWindow(
        u"batch-window-ms"_s,
        u"Longest a group commit waits to fill up (default %1; 0: it takes "
        u"what queued while the previous commit ran)."_s.arg(defaults.batchWindowMs),
        u"ms"_s, QString::number(defaults.batchWindowMs));
    const int cores = qMax(1, QThread::idealThreadCount());
    const QCommandLineOption workersMin(u"workers-min"_s, u"Fewest active ingest workers (default 1)."_s,
                                        u"n"_s, u"1"_s);
    const QCommandLineOption workersMax(
        u"workers-max"_s,
        u"Most active ingest workers; the orchestrator scales between the two "
        u"from queue depth and age (default: cores, %1)."_s.arg(cores),
        u"n"_s, QString::number(cores));
    const int ioDefault = defaults.ioThreads > 0 ? defaults.ioThreads : cores;
    const QCommandLineOption ioThreads(
        u"io-threads"_s, u"HTTP event loops, each owning its connections (default %1)."_s.arg(ioDefault),
        u"n"_s, QString::number(ioDefault));
    const QCommandLineOption maxConnections(
        u"max-connections"_s,
        u"Open connections before new ones are answered 503 and closed (default 10000)."_s, u"n"_s,
        u"10000"_s);
    const QCommandLineOption noAudiencePage(
        u"no-audience-page"_s, u"Do not serve the built-in voting page at / (the show has its own "
                               u"app)."_s);
    const QCommandLineOption headerTimeout(
        u"header-timeout-ms"_s,
        u"A request must be complete this long after its first byte, else 408 and close "
        u"(slow clients; default 10000, 0 = never)."_s,
        u"ms"_s, u"10000"_s);
    const QCommandLineOption idleTimeout(
        u"idle-timeout-ms"_s,
        u"An idle keep-alive connection is closed after this long (default 60000, 0 = never)."_s, u"ms"_s,
        u"60000"_s);
    const QCommandLineOption exportDir(
        u"export-dir"_s,
        u"Folder the feed files (results.csv, results-wide.csv, results.json, results.xml) and the final "
        u"files go to, for sessions that name none (default: %1)."_s.arg(
            defaults.exportFolder.isEmpty() ? u"\"export\" next to the database"_s : defaults.exportFolder),
        u"path"_s);
    const QCommandLineOption exportInterval(
        u"export-interval"_s,
        u"Seconds between checks of the export folder against the published results (default %1)."_s.arg(
            defaults.exportIntervalSeconds),
        u"s"_s, QString::number(defaults.exportIntervalSeconds));
    const QCommandLineOption noExport(u"no-export"_s,
                                      u"Write no feed files and no final files (HTTP feeds only)."_s);
    const QCommandLineOption csvBom(u"csv-bom"_s,
                                    u"Start the CSV feeds with a UTF-8 byte order mark (Excel)."_s);
    const QCommandLineOption pseudonymise(
        u"pseudonymise-voters"_s,
        u"In the results pack, replace voter ids by HMAC-SHA-256 with a per-session secret."_s);
    const QCommandLineOption casparCg(
        u"casparcg"_s, u"Push each publish to CasparCG at host[:port] (AMCP, port 5250 by default)."_s,
        u"host[:port]"_s);
    const QCommandLineOption casparCgChannel(
        u"casparcg-channel"_s,
        u"CasparCG channel-layer of the template (default %1)."_s.arg(defaults.casparCgChannelLayer),
        u"channel-layer"_s, defaults.casparCgChannelLayer);
    const QCommandLineOption casparCgLayer(
        u"casparcg-layer"_s,
        u"CG layer of the template inside the channel-layer (default %1)."_s.arg(
            defaults.casparCgTemplateLayer),
        u"n"_s, QString::number(defaults.casparCgTemplateLayer));
    const QCommandLineOption casparCgTemplate(
        u"casparcg-template"_s,
        u"Template to load (CG ADD, not played) on the first connection; without it votedesk only "
        u"sends CG UPDATE to a template on the graphics operator's rundown."_s,
        u"name"_s, defaults.casparCgTemplate);
    const QCommandLineOption adminTokenFile(
        u"admin-token-file"_s,
        u"A file (readable by its owner only) whose content is the admin token: with it the admin API "
        u"answers \"Authorization: Bearer <token>\" from any address. The environment variable "
        u"VOTEDESK_ADMIN_TOKEN works too; either wins over the file chosen in Settings. Without a token "
        u"the admin API answers only on loopback."_s,
        u"path"_s);
    const QCommandLineOption trustedProxy(
        u"trusted-proxy"_s,
        u"A proxy address or range (CIDR) whose X-Forwarded-For is believed; repeatable."_s, u"cidr"_s);
    const QCommandLineOption rateLimitClient(
        u"rate-limit-client"_s,
        u"Votes per second per client address, with a burst (e.g. 20:100); default off."_s,
        u"rate[:burst]"_s);
    const QCommandLineOption rateLimitVoter(
        u"rate-limit-voter"_s, u"Votes per second per voter id, with a burst (e.g. 1:10); default off."_s,
        u"rate[:burst]"_s);
    const QCommandLineOption canarySeconds(
        u"canary-seconds"_s,
        u"Send a canary vote (never counted) through the public endpoint every N seconds and alert "
        u"when it is not stored within --canary-deadline-ms (default 10, 0 = off)."_s,
        u"seconds"_s, u"10"_s);
    const QCommandLineOption canaryDeadline(u"canary-deadline-ms"_s,
                                            u"How long a canary vote may take to be stored (default 5000)."_s,
                                            u"ms"_s, u"5000"_s);
    const QCommandLineOption tlsPort(
        u"tls-port"_s,
        u"Also listen for HTTPS on this port (needs --tls-cert and --tls-key; 0 picks a free one)."_s,
        u"port"_s);
    const QCommandLineOption tlsBind(u"tls-bind"_s, u"Address of the HTTPS listener (default: --bind's)."_s,
                                     u"address"_s);
    const QCommandLineOption tlsCert(u"tls-cert"_s, u"PEM certificate (chain) of the HTTPS listener."_s,
                                     u"path"_s);
    const QCommandLineOption tlsKey(u"tls-key"_s, u"PEM private key of the HTTPS listener (unencrypted)."_s,
                                    u"path"_s);
    parser.addOptions({tlsPort, tlsBind, tlsCert, tlsKey});
    parser.addOptions({headless,
                       port,
                       bind,
                       db,
                       durability,
                       queueCapacity,
                       batchSize,
                       batchWindow,
                       workersMin,
                       workersMax,
                       ioThreads,
                       maxConnections,
                       noAudiencePage,
                       headerTimeout,
                       idleTimeout,
                       exportDir,
                       exportInterval,
                       noExport,
                       csvBom,
                       pseudonymise,
                       casparCg,
                       casparCgChannel,
                       casparCgLayer,
                       casparCgTemplate,
                       adminTokenFile,
                       trustedProxy,
                       rateLimitClient,
                       rateLimitVoter,
                       canarySeconds,
                       canaryDeadline});

    if (!parser.parse(arguments)) {
        printError(parser.errorText() + u"\nTry votedesk --help."_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    if (parser.isSet(helpOption)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        *outcome = Outcome::ExitOk;
        return result;
    }
    if (parser.isSet(versionOption)) {
        std::printf("%s %s\n", qPrintable(QCoreApplication::applicationName()),
                    qPrintable(QCoreApplication::applicationVersion()));
        *outcome = Outcome::ExitOk;
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(
            u"unexpected argument \"%1\"; try votedesk --help"_s.arg(parser.positionalArguments().first()));
        *outcome = Outcome::ExitError;
        return result;
    }

    result.headless = parser.isSet(headless);
    qint64 value = 0;
    if (!parseCount(parser.value(port), 0, 65535, &value)) {
        printError(u"--port must be a number from 0 to 65535, not \"%1\""_s.arg(parser.value(port)));
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.port = quint16(value);
    if (!result.engine.bindAddress.setAddress(parser.value(bind))) {
        printError(u"--bind must be an IP address such as 127.0.0.1 or 0.0.0.0, not \"%1\""_s.arg(
            parser.value(bind)));
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.databasePath =
        parser.isSet(db) ? QDir::current().absoluteFilePath(parser.value(db)) : defaultDatabasePath();
    const QString mode = parser.value(durability);
    if (mode == u"full") {
        result.engine.durability = Durability::Full;
    } else if (mode == u"normal") {
        result.engine.durability = Durability::Normal;
    } else {
        printError(u"--durability must be full or normal, not \"%1\""_s.arg(mode));
        *outcome = Outcome::ExitError;
        return result;
    }
    if (!parseCount(parser.value(queueCapacity), 1, 100'000'000, &value)) {
        printError(u"--queue-capacity must be a number from 1 to 100000000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.queueCapacity = value;
    if (!parseCount(parser.value(batchSize), 1, 1'000'000, &value)) {
        printError(u"--batch-size must be a number from 1 to 1000000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.batchSize = value;
    if (!parseCount(parser.value(batchWindow), 0, 10'000, &value)) {
        printError(u"--batch-window-ms must be a number from 0 to 10000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.batchWindowMs = int(value);
    qint64 minimum = 0;
    qint64 maximum = 0;
    if (!parseCount(parser.value(workersMin), 1, 256, &minimum) ||
        !parseCount(parser.value(workersMax), 1, 256, &maximum) || minimum > maximum) {
        printError(u"--workers-min and --workers-max must be numbers from 1 to 256, min <= max"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.workersMin = int(minimum);
    result.engine.workersMax = int(maximum);
    if (!parseCount(parser.value(ioThreads), 1, 256, &value)) {
        printError(u"--io-threads must be a number from 1 to 256"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.ioThreads = int(value);
    if (!parseCount(parser.value(maxConnections), 1, 1'000'000, &value)) {
        printError(u"--max-connections must be a number from 1 to 1000000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.maxConnections = int(value);
    result.engine.serveAudiencePage = defaults.audiencePage && !parser.isSet(noAudiencePage);
    if (!parseCount(parser.value(headerTimeout), 0, 3'600'000, &value)) {
        printError(u"--header-timeout-ms must be a number from 0 to 3600000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.headerTimeoutMs = int(value);
    if (!parseCount(parser.value(idleTimeout), 0, 86'400'000, &value)) {
        printError(u"--idle-timeout-ms must be a number from 0 to 86400000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.idleTimeoutMs = int(value);

    FeedOptions &feeds = result.engine.feeds;
    feeds.exportFiles = !parser.isSet(noExport);
    feeds.exportFolder = parser.isSet(exportDir) ? QDir::current().absoluteFilePath(parser.value(exportDir))
                                                 : defaults.exportFolder;
    if (!parseCount(parser.value(exportInterval), 1, 3600, &value)) {
        printError(u"--export-interval must be a number of seconds from 1 to 3600"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    feeds.exportIntervalMs = int(value) * 1000;
    feeds.csvByteOrderMark = defaults.csvByteOrderMark || parser.isSet(csvBom);
    feeds.pseudonymiseVoters = defaults.pseudonymiseVoters || parser.isSet(pseudonymise);
    ConsoleSettings caspar = defaults;
    if (parser.isSet(casparCg)) {
        const QString target = parser.value(casparCg).trimmed();
        const qsizetype colon = target.lastIndexOf(u':');
        // host, host:port, [v6]:port; a bare IPv6 address has more than one colon.
        if (colon > 0 && target.indexOf(u':') == colon) {
            caspar.casparCgHost = target.left(colon);
            if (!parseCount(target.mid(colon + 1), 1, 65535, &value)) {
                printError(u"--casparcg wants host or host:port, not \"%1\""_s.arg(target));
                *outcome = Outcome::ExitError;
                return result;
            }
            caspar.casparCgPort = int(value);
        } else {
            caspar.casparCgHost = target;
        }
    }
    caspar.casparCgChannelLayer = parser.value(casparCgChannel);
    if (!parseCount(parser.value(casparCgLayer), 0, 9999, &value)) {
        printError(u"--casparcg-layer must be a number from 0 to 9999"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    caspar.casparCgTemplateLayer = int(value);
    caspar.casparCgTemplate = parser.value(casparCgTemplate);
    feeds.casparCg = !caspar.casparCgHost.isEmpty();
    feeds.casparCgSettings = caspar.casparCgSettings();
    const QString feedProblem = feeds.validate();
    if (!feedProblem.isEmpty()) {
        printError(feedProblem);
        *outcome = Outcome::ExitError;
        return result;
    }

    if (!parseCount(parser.value(canarySeconds), 0, 3600, &value)) {
        printError(u"--canary-seconds must be a number from 0 to 3600"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.canaryIntervalMs = int(value * 1000);
    if (!parseCount(parser.value(canaryDeadline), 1, 600'000, &value)) {
        printError(u"--canary-deadline-ms must be a number from 1 to 600000"_s);
        *outcome = Outcome::ExitError;
        return result;
    }
    result.engine.canaryDeadlineMs = int(value);

    if (parser.isSet(tlsPort) || parser.isSet(tlsCert) || parser.isSet(tlsKey)) {
        if (!parser.isSet(tlsPort) || !parser.isSet(tlsCert) || !parser.isSet(tlsKey)) {
            printError(u"HTTPS needs all of --tls-port, --tls-cert and --tls-key"_s);
            *outcome = Outcome::ExitError;
            return result;
        }
        if (!parseCount(parser.value(tlsPort), 0, 65535, &value)) {
            printError(u"--tls-port must be a number from 0 to 65535"_s);
            *outcome = Outcome::ExitError;
            return result;
        }
        result.engine.tls.enabled = true;
        result.engine.tls.port = quint16(value);
        result.engine.tls.certificatePath = QDir::current().absoluteFilePath(parser.value(tlsCert));
        result.engine.tls.keyPath = QDir::current().absoluteFilePath(parser.value(tlsKey));
        result.engine.tls.bindAddress = result.engine.bindAddress;
        if (parser.isSet(tlsBind) && !result.engine.tls.bindAddress.setAddress(parser.value(tlsBind))) {
            printError(u"--tls-bind must be an IP address, not \"%1\""_s.arg(parser.value(tlsBind)));
            *outcome = Outcome::ExitError;
            return result;
        }
    }

    QString problem;
    if (!resolveAdminToken(parser.isSet(adminTokenFile) ? parser.value(adminTokenFile) : QString(),
                           qEnvironmentVariable(AdminToken::kEnvironmentVariable), defaults.adminTokenFile,
                           &result.engine.access, &problem)) {
        printError(problem);
        *outcome = Outcome::ExitError;
        return result;
    }
    if (!result.engine.access.adminTokenProblem.isEmpty()) {
        printError(u"not using the admin token file saved in Settings: %1; the admin API answers only on "
                   u"loopback"_s.arg(result.engine.access.adminTokenProblem));
    }
    for (const QString &text : parser.values(trustedProxy)) {
        const std::optional<IpRange> range = IpRange::parse(text);
        if (!range) {
            printError(
                u"--trusted-proxy must be an address or CIDR range such as 10.0.0.0/8, not \"%1\""_s.arg(
                    text));
            *outcome = Outcome::ExitError;
            return result;
        }
        result.engine.access.trustedProxies.push_back(*range);
    }
    const std::pair<const QCommandLineOption *, RateLimitConfig *> limits[] = {
        {&rateLimitClient, &result.engine.access.clientRate},
        {&rateLimitVoter, &result.engine.access.voterRate}};
    for (const auto &[option, config] : limits) {
        if (parser.isSet(*option) && !parseRate(parser.value(*option), config)) {
            printError(
                u"--%1 must be RATE or RATE:BURST (votes per second, burst at least 1), not \"%2\""_s.arg(
                    option->names().constFirst(), parser.value(*option)));
            *outcome = Outcome::ExitError;
            return result;
        }
    }
    *outcome = Outcome::Run;
    return result;
}
