#include "engine/consolesettings.h"

#include <QDir>
#include <QHostAddress>
#include <QSettings>
#include <QStandardPaths>
#include <QThread>

#include "access/admintoken.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Keys are grouped the way the settings dialog is; renaming one loses the operator's value,
// so they are spelled out here once.
constexpr auto kBind = "network/bind";
constexpr auto kPort = "network/port";
constexpr auto kIoThreads = "network/ioThreads";
constexpr auto kDurability = "ingest/durability";
constexpr auto kQueueCapacity = "ingest/queueCapacity";
constexpr auto kBatchSize = "ingest/batchSize";
constexpr auto kBatchWindow = "ingest/batchWindowMs";
constexpr auto kExportFolder = "export/folder";
constexpr auto kExportInterval = "export/intervalSeconds";
constexpr auto kCsvBom = "export/csvByteOrderMark";
constexpr auto kPseudonymise = "export/pseudonymiseVoters";
constexpr auto kCasparHost = "casparcg/host";
constexpr auto kCasparPort = "casparcg/port";
constexpr auto kCasparChannelLayer = "casparcg/channelLayer";
constexpr auto kCasparTemplateLayer = "casparcg/templateLayer";
constexpr auto kCasparTemplate = "casparcg/template";
constexpr auto kThemeScale = "display/themeScale";
constexpr auto kAudiencePage = "network/audiencePage";
constexpr auto kAdminTokenFile = "access/adminTokenFile";

QString key(const char *name)
{
    return QString::fromLatin1(name);
}
} // namespace

ConsoleSettings ConsoleSettings::load(const QSettings &settings)
{
    ConsoleSettings s;
    s.bindAddress = settings.value(key(kBind), s.bindAddress).toString();
    s.port = settings.value(key(kPort), s.port).toInt();
    s.ioThreads = settings.value(key(kIoThreads), s.ioThreads).toInt();
    s.durability = settings.value(key(kDurability), s.durability).toString();
    s.queueCapacity = settings.value(key(kQueueCapacity), s.queueCapacity).toLongLong();
    s.batchSize = settings.value(key(kBatchSize), s.batchSize).toLongLong();
    s.batchWindowMs = settings.value(key(kBatchWindow), s.batchWindowMs).toInt();
    s.exportFolder = settings.value(key(kExportFolder), s.exportFolder).toString();
    s.exportIntervalSeconds = settings.value(key(kExportInterval), s.exportIntervalSeconds).toInt();
    s.csvByteOrderMark = settings.value(key(kCsvBom), s.csvByteOrderMark).toBool();
    s.pseudonymiseVoters = settings.value(key(kPseudonymise), s.pseudonymiseVoters).toBool();
    s.casparCgHost = settings.value(key(kCasparHost), s.casparCgHost).toString();
    s.casparCgPort = settings.value(key(kCasparPort), s.casparCgPort).toInt();
    s.casparCgChannelLayer = settings.value(key(kCasparChannelLayer), s.casparCgChannelLayer).toString();
    s.casparCgTemplateLayer = settings.value(key(kCasparTemplateLayer), s.casparCgTemplateLayer).toInt();
    s.casparCgTemplate = settings.value(key(kCasparTemplate), s.casparCgTemplate).toString();
    s.themeScale = settings.value(key(kThemeScale), s.themeScale).toDouble();
    s.audiencePage = settings.value(key(kAudiencePage), s.audiencePage).toBool();
    s.adminTokenFile = settings.value(key(kAdminTokenFile), s.adminTokenFile).toString();
    return s;
}

void ConsoleSettings::save(QSettings &settings) const
{
    settings.setValue(key(kBind), bindAddress);
    settings.setValue(key(kPort), port);
    settings.setValue(key(kIoThreads), ioThreads);
    settings.setValue(key(kDurability), durability);
    settings.setValue(key(kQueueCapacity), queueCapacity);
    settings.setValue(key(kBatchSize), batchSize);
    settings.setValue(key(kBatchWindow), batchWindowMs);
    settings.setValue(key(kExportFolder), exportFolder);
    settings.setValue(key(kExportInterval), exportIntervalSeconds);
    settings.setValue(key(kCsvBom), csvByteOrderMark);
    settings.setValue(key(kPseudonymise), pseudonymiseVoters);
    settings.setValue(key(kCasparHost), casparCgHost);
    settings.setValue(key(kCasparPort), casparCgPort);
    settings.setValue(key(kCasparChannelLayer), casparCgChannelLayer);
    settings.setValue(key(kCasparTemplateLayer), casparCgTemplateLayer);
    settings.setValue(key(kCasparTemplate), casparCgTemplate);
    settings.setValue(key(kThemeScale), themeScale);
    settings.setValue(key(kAudiencePage), audiencePage);
    settings.setValue(key(kAdminTokenFile), adminTokenFile);
    settings.sync();
}

QString ConsoleSettings::validate() const
{
    if (QHostAddress(bindAddress).isNull())
        return u"bind address \"%1\" is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for the LAN)"_s.arg(
            bindAddress);
    if (port < 0 || port > 65535)
        return u"port %1 is not between 0 and 65535"_s.arg(port);
    if (ioThreads < 0 || ioThreads > 256)
        return u"I/O threads must be 0 (one per core) to 256"_s;
    if (durability != u"full" && durability != u"normal")
        return u"durability must be full or normal"_s;
    if (queueCapacity < 1 || queueCapacity > 100'000'000)
        return u"queue capacity must be 1 to 100000000 votes"_s;
    if (batchSize < 1 || batchSize > 1'000'000)
        return u"batch size must be 1 to 1000000 votes"_s;
    if (batchWindowMs < 0 || batchWindowMs > 10'000)
        return u"batch window must be 0 to 10000 ms"_s;
    if (exportIntervalSeconds < 1 || exportIntervalSeconds > 3600)
        return u"export interval must be 1 to 3600 s"_s;
    if (!exportFolder.isEmpty() && QDir::isRelativePath(exportFolder))
        return u"export folder \"%1\" must be an absolute path"_s.arg(exportFolder);
    if (!casparCgHost.isEmpty()) {
        if (casparCgPort < 1 || casparCgPort > 65535)
            return u"CasparCG port %1 is not between 1 and 65535"_s.arg(casparCgPort);
        const QString problem = casparCgSettings().validate();
        if (!problem.isEmpty())
            return problem;
    }
    if (themeScale < 0.5 || themeScale > 3.0)
        return u"theme scale must be 0.5 to 3.0"_s;
    // Absolute: the console may be started from any folder.
    if (!adminTokenFile.isEmpty() && QDir::isRelativePath(adminTokenFile))
        return u"admin token file \"%1\" must be an absolute path"_s.arg(adminTokenFile);
    return {};
}

QString ConsoleSettings::adminTokenFileProblem() const
{
    if (adminTokenFile.isEmpty())
        return {};
    QByteArray token;
    QString problem;
    if (!AdminToken::readFile(adminTokenFile, &token, &problem))
        return problem;
    return {};
}

void ConsoleSettings::applyTo(Engine::Options *options) const
{
    options->bindAddress = QHostAddress(bindAddress);
    options->port = quint16(port);
    options->ioThreads = ioThreads > 0 ? ioThreads : qMax(1, QThread::idealThreadCount());
    options->durability = durability == u"normal" ? Durability::Normal : Durability::Full;
    options->queueCapacity = queueCapacity;
    options->batchSize = batchSize;
    options->batchWindowMs = batchWindowMs;
    options->serveAudiencePage = audiencePage;
    options->feeds.exportFolder = exportFolder;
    options->feeds.exportIntervalMs = exportIntervalSeconds * 1000;
    options->feeds.csvByteOrderMark = csvByteOrderMark;
    options->feeds.pseudonymiseVoters = pseudonymiseVoters;
    options->feeds.casparCg = !casparCgHost.isEmpty();
    options->feeds.casparCgSettings = casparCgSettings();
}

CasparCgClient::Settings ConsoleSettings::casparCgSettings() const
{
    CasparCgClient::Settings settings;
    settings.host = casparCgHost;
    settings.port = quint16(qBound(0, casparCgPort, 65535));
    settings.channelLayer = casparCgChannelLayer;
    settings.templateLayer = casparCgTemplateLayer;
    settings.templateName = casparCgTemplate;
    settings.loadMode = casparCgTemplate.isEmpty() ? CasparCgClient::LoadMode::UpdateOnly
                                                   : CasparCgClient::LoadMode::AddOnFirstConnect;
    return settings;
}

QString ConsoleSettings::effectiveExportFolder() const
{
    if (!exportFolder.isEmpty())
        return exportFolder;
    // Next to the default database (CommandLine::defaultDatabasePath), as the engine derives it.
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(u"export"_s);
}
