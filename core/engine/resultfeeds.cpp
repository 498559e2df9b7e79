#include "engine/resultfeeds.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSaveFile>

#include "export/feedwriter.h"
#include "export/finalreport.h"
#include "export/resultspack.h"
#include "export/votereplay.h"

using namespace Qt::Literals::StringLiterals;

Q_LOGGING_CATEGORY(lcFeeds, "votedesk.feeds")

namespace {
bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QString native(const QString &path)
{
    return QDir::toNativeSeparators(path);
}

// SHA-256 of a file, streamed (the pack may hold millions of votes).
bool digestOfFile(const QString &path, const QString &name, FileDigest *digest, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(error, u"cannot read back \"%1\": %2"_s.arg(native(path), file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return fail(error, u"cannot read back \"%1\": %2"_s.arg(native(path), file.errorString()));
    *digest = FileDigest{name, hash.result().toHex(), file.size()};
    return true;
}
} // namespace

ResultDocuments::Options FeedOptions::documents() const
{
    ResultDocuments::Options options;
    options.csvByteOrderMark = csvByteOrderMark;
    return options;
}

QString FeedOptions::validate() const
{
    if (exportIntervalMs < AutoExporter::kMinIntervalMs || exportIntervalMs > 3'600'000)
        return u"the export interval must be %1 ms to 1 h"_s.arg(AutoExporter::kMinIntervalMs);
    if (!exportFolder.isEmpty() && QDir::isRelativePath(exportFolder))
        return u"the export folder must be an absolute path, not \"%1\""_s.arg(exportFolder);
    if (casparCg)
        return casparCgSettings.validate();
    return {};
}

ResultFeeds::ResultFeeds(FeedOptions options, QString databasePath, AutoExporter::Source source,
                         QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_databasePath(std::move(databasePath))
    , m_source(std::move(source))
{
    if (m_options.exportFiles) {
        m_defaultFolder = !m_options.exportFolder.isEmpty()
                              ? QDir::cleanPath(m_options.exportFolder)
                              : QFileInfo(m_databasePath).absoluteDir().filePath(u"export"_s);
    }
}

ResultFeeds::~ResultFeeds()
{
    stop();
}

bool ResultFeeds::prepare(QString *error) const
{
    const QString problem = m_options.validate();
    if (!problem.isEmpty())
        return fail(error, problem);
    // Only the folder votedesk chose itself is created; one the operator named must exist.
    if (m_options.exportFiles && m_options.exportFolder.isEmpty() && !QDir().mkpath(m_defaultFolder))
        return fail(error, u"cannot create the export folder %1"_s.arg(native(m_defaultFolder)));
    return true;
}

void ResultFeeds::start(const SessionDefinition &session)
{
    if (m_running)
        return;
    if (m_options.exportFiles) {
        m_exporter = std::make_unique<AutoExporter>(m_source);
        connect(m_exporter.get(), &AutoExporter::checked, this, &ResultFeeds::onChecked);
    }
    if (m_options.casparCg) {
        m_casparCg = std::make_unique<CasparCgClient>();
        CasparCgClient::Settings settings = m_options.casparCgSettings;
        settings.documents = m_options.documents();
        QString error;
        if (!m_casparCg->start(settings, &error)) { // validated by prepare(): not expected
            qCWarning(lcFeeds).noquote() << error;
            m_casparCg.reset();
        }
    }
    m_running = true;
    setSession(session);
    if (m_casparCg && m_source)
        m_casparCg->publish(m_source()); // what is on air after a restart
}

void ResultFeeds::stop()
{
    m_running = false;
    // Waits for its thread: a write in progress ends, no temporary file stays behind.
    m_exporter.reset();
    // Stopped, not destroyed: the I/O threads may read its status until the server is gone.
    if (m_casparCg)
        m_casparCg->stop();
}

QString ResultFeeds::folderFor(const SessionDefinition &session) const
{
    if (!m_options.exportFiles)
        return {};
    return session.exportFolder.isEmpty() ? m_defaultFolder : QDir::cleanPath(session.exportFolder);
}

QString ResultFeeds::currentFolder() const
{
    QMutexLocker lock(&m_statusMutex);
    return m_folder;
}

QString ResultFeeds::lastError() const
{
    QMutexLocker lock(&m_statusMutex);
    return m_lastError;
}

void ResultFeeds::setSession(const SessionDefinition &session)
{
    if (!m_running || !m_exporter)
        return;
    const QString folder = folderFor(session);
    {
        QMutexLocker lock(&m_statusMutex);
        if (folder == m_folder)
            return;
        m_folder = folder;
    }
    restartExporter();
}

void ResultFeeds::restartExporter()
{
    AutoExporter::Settings settings;
    settings.folder = currentFolder();
    settings.intervalMs = m_options.exportIntervalMs;
    settings.documents = m_options.documents();
    qCInfo(lcFeeds).noquote() << "feed files go to" << native(settings.folder);
    m_exporter->start(settings); // a new folder gets all four files at the first check
}

void ResultFeeds::published(const PublishedResultsPtr &results)
{
    if (!m_running)
        return;
    if (m_exporter)
        m_exporter->exportNow();
    if (m_casparCg && results)
        m_casparCg->publish(results);
}

void ResultFeeds::onChecked(const FeedWriter::Outcome &outcome)
{
    m_filesWritten.fetch_add(outcome.written.size(), std::memory_order_relaxed);
    if (!outcome.errors.isEmpty()) {
        m_failures.fetch_add(outcome.errors.size(), std::memory_order_relaxed);
        const QString message = outcome.errors.join(u"; "_s);
        {
            QMutexLocker lock(&m_statusMutex);
            m_lastError = message;
        }
        if (!m_failingNow.exchange(true, std::memory_order_relaxed)) {
            qCWarning(lcFeeds).noquote() << "the feed files cannot be written:" << message;
            Q_EMIT exportFailed(message);
        }
        return;
    }
    // Nothing published yet says nothing about the folder: only a check that wrote or found
    // every file current clears the alert.
    if (outcome.upToDate && outcome.publishVersion > 0 &&
        m_failingNow.exchange(false, std::memory_order_relaxed)) {
        qCInfo(lcFeeds) << "the feed files are written again";
        Q_EMIT exportRecovered();
    }
}

QList<Metrics::Sample> ResultFeeds::metricSamples() const
{
    QList<Metrics::Sample> samples{
        {"votedesk_export_files_written_total", "counter", "Feed files replaced in the export folder",
         double(m_filesWritten.load(std::memory_order_relaxed))},
        {"votedesk_export_failures_total", "counter",
         "Feed file writes that failed (the last good file stays)",
         double(m_failures.load(std::memory_order_relaxed))},
        {"votedesk_export_failing", "gauge", "1 while the export folder does not take the feed files",
         failing() ? 1.0 : 0.0},
    };
    if (m_casparCg) {
        const CasparCgClient::Status status = m_casparCg->status();
        samples.append({"votedesk_casparcg_connected", "gauge",
                        "1 while the AMCP connection to CasparCG is up",
                        status.state == CasparCgClient::State::Connected ? 1.0 : 0.0});
        samples.append({"votedesk_casparcg_acknowledged_version", "gauge",
                        "Publish version CasparCG last acknowledged", double(status.acknowledgedVersion)});
    }
    return samples;
}

QJsonObject ResultFeeds::statusJson() const
{
    QJsonObject object{{u"folder"_s, native(currentFolder())},
                       {u"failing"_s, failing()},
                       {u"last_error"_s, lastError()},
                       {u"files_written"_s, m_filesWritten.load(std::memory_order_relaxed)},
                       {u"failures"_s, m_failures.load(std::memory_order_relaxed)}};
    if (m_casparCg) {
        const CasparCgClient::Status status = m_casparCg->status();
        object.insert(u"casparcg"_s,
                      QJsonObject{{u"state"_s, CasparCgClient::stateName(status.state)},
                                  {u"host"_s, m_options.casparCgSettings.host},
                                  {u"port"_s, int(m_options.casparCgSettings.port)},
                                  {u"channel_layer"_s, m_options.casparCgSettings.channelLayer},
                                  {u"sent_version"_s, qint64(status.sentVersion)},
                                  {u"acknowledged_version"_s, qint64(status.acknowledgedVersion)},
                                  {u"last_error"_s, status.lastError}});
    } else {
        object.insert(u"casparcg"_s, QJsonValue::Null);
    }
    return object;
}

FinalWriter ResultFeeds::finalWriter() const
{
    if (!m_options.exportFiles)
        return {};
    FinalConfig base;
    base.documents = m_options.documents();
    base.pseudonymiseVoters = m_options.pseudonymiseVoters;
    base.secretFolder = QFileInfo(m_databasePath).absoluteDir().filePath(u"secrets"_s);
#ifdef VOTEDESK_VERSION
    base.appVersion = QStringLiteral(VOTEDESK_VERSION);
#endif
    const QString defaultFolder = m_defaultFolder;
    // Runs on the journal writer's thread: captures values only.
    return [base, defaultFolder](const FinalizationInputs &inputs, const VoteLogReader &log,
                                 FinalFiles *written, QString *error) {
        FinalConfig config = base;
        const QString own = inputs.results.session.exportFolder;
        config.folder = own.isEmpty() ? defaultFolder : QDir::cleanPath(own);
        return writeFinalFiles(config, inputs, log, written, error);
    };
}

QString ResultFeeds::packName(qint64 sessionId)
{
    return u"results-pack-%1.zip"_s.arg(sessionId);
}

bool ResultFeeds::pseudonymSecret(const QString &secretFolder, qint64 sessionId, QByteArray *secret,
                                  QString *error)
{
    const QString path = QDir(secretFolder).filePath(u"session-%1.key"_s.arg(sessionId));
    QFile existing(path);
    if (existing.exists()) {
        if (!existing.open(QIODevice::ReadOnly))
            return fail(error, u"cannot read the pseudonym secret %1: %2"_s.arg(native(path),
                                                                                existing.errorString()));
        *secret = QByteArray::fromHex(existing.readAll().trimmed());
        if (secret->size() < 16)
            return fail(error, u"the pseudonym secret %1 is damaged"_s.arg(native(path)));
        return true;
    }
    if (!QDir().mkpath(secretFolder))
        return fail(error, u"cannot create %1"_s.arg(native(secretFolder)));
    QFile::setPermissions(secretFolder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error,
                    u"cannot write the pseudonym secret %1: %2"_s.arg(native(path), file.errorString()));
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    file.write(bytes.toHex() + '\n');
    if (!file.commit())
        return fail(error,
                    u"cannot write the pseudonym secret %1: %2"_s.arg(native(path), file.errorString()));
    *secret = bytes;
    return true;
}

bool ResultFeeds::writeFinalFiles(const FinalConfig &config, const FinalizationInputs &inputs,
                                  const VoteLogReader &log, FinalFiles *written, QString *error)
{
    const PublishedResults &results = inputs.results;
    if (config.folder.isEmpty())
        return true; // no export: nothing to write
    const QDir folder(config.folder);
    if (!folder.exists())
        return fail(error, u"the export folder %1 does not exist"_s.arg(native(config.folder)));
    written->folder = folder.absolutePath();
    written->files.clear();

    // 1. The final feeds: the files the graphics read, now saying FINAL.
    FeedWriter feeds(config.folder, config.documents);
    const FeedWriter::Outcome outcome = feeds.write(results);
    if (!outcome.errors.isEmpty())
        return fail(error, outcome.errors.join(u"; "_s));
    written->files.append(FinalReport::documentDigests(results, config.documents));

    // 2. The results pack, which writes the two reports beside it (as packed).
    ResultsPackInputs pack;
    FinalReportInputs &report = pack.report;
    report.results = results;
    report.countingRule = results.session.rule().describe();
    report.audit = inputs.audit;
    report.samples = inputs.metrics;
    report.rejectedByReason = inputs.rejectedByReason;
    report.late = inputs.late;
    report.generatedAtMs = inputs.finalizedAtMs;
    report.appVersion = config.appVersion;
    pack.rule = results.session.rule();
    pack.documents = config.documents;
    pack.reportFolder = config.folder;
    if (config.pseudonymiseVoters &&
        !pseudonymSecret(config.secretFolder, results.session.id, &pack.pseudonymSecret, error))
        return false;
    const VoteReplay::Source votes = [&log](const VoteReplay::Visit &visit, QString *readError) {
        return log(
            [&visit](const VoteRow &row) {
                // Late votes are refused at the edge (409) and never stored: every row counts.
                visit(ReplayVote{row.seq, row.voter, row.option, row.receivedAtMs, false, row.clientAddress});
            },
            readError);
    };
    const QString packPath = folder.filePath(packName(results.session.id));
    const ResultsPack::Outcome packed = ResultsPack::write(packPath, pack, votes);
    if (!packed.ok)
        return fail(error, packed.error);
    for (const FileDigest &file : packed.files) {
        if (file.name.startsWith(u"final-report."_s))
            written->files.append(file);
    }
    FileDigest packDigest;
    if (!digestOfFile(packPath, packName(results.session.id), &packDigest, error))
        return false;
    written->files.append(packDigest);
    qCInfo(lcFeeds).noquote() << "final files of session" << results.session.id
                              << "written:" << written->describe();
    return true;
}
