#include "export/feedwriter.h"

#include <QDir>
#include <QFileInfo>
#include <QThread>

#include "export/csvwriter.h"

namespace {
#ifdef Q_OS_WIN
// 10 + 20 + 40 + 80 + 160 ms: a graphics engine reads a results file in well under that,
// and the whole retry stays inside one auto-export tick.
constexpr int kRenameAttempts = 6;
constexpr unsigned long kFirstBackoffMs = 10;
#else
constexpr int kRenameAttempts = 1;
constexpr unsigned long kFirstBackoffMs = 0;
#endif
} // namespace

FeedWriter::FeedWriter(QString folder, ResultDocuments::Options options)
    : m_folder(std::move(folder))
    , m_options(options)
{}

FeedWriter::Key FeedWriter::keyOf(const PublishedResults &results)
{
    return Key{results.session.id, results.publishVersion, results.final, results.rehearsal};
}

bool FeedWriter::isCurrent(const PublishedResults &results) const
{
    const Key key = keyOf(results);
    for (const std::optional<Key> &written : m_written) {
        if (written != key)
            return false;
    }
    return true;
}

FeedWriter::Outcome FeedWriter::write(const PublishedResults &results)
{
    Outcome outcome;
    outcome.publishVersion = results.publishVersion;
    const Key key = keyOf(results);
    const QDir folder(m_folder);
    for (const ResultDocuments::Kind kind : ResultDocuments::kKinds) {
        std::optional<Key> &written = m_written[std::size_t(kind)];
        if (written == key)
            continue;
        const QString name = ResultDocuments::fileName(kind);
        QString error;
        if (replaceFile(folder.filePath(name), ResultDocuments::render(kind, results, m_options), &error)) {
            written = key;
            outcome.written.append(name);
        } else {
            outcome.errors.append(error);
        }
    }
    outcome.upToDate = outcome.errors.isEmpty();
    return outcome;
}

bool FeedWriter::replaceFile(const QString &path, const QByteArray &content, QString *error)
{
    unsigned long backoffMs = kFirstBackoffMs;
    for (int attempt = 1;; ++attempt) {
        if (CsvWriter::writeFile(path, content, error))
            return true;
        // Retrying cannot bring back a missing folder; only a blocked rename is worth a wait.
        if (attempt >= kRenameAttempts || !QFileInfo(path).absoluteDir().exists())
            return false;
        QThread::msleep(backoffMs);
        backoffMs *= 2;
    }
}
