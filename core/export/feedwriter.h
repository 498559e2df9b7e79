#pragma once

#include <array>
#include <optional>

#include <QString>
#include <QStringList>

#include "export/publishedresults.h"
#include "export/resultdocuments.h"

// Keeps the four result documents (results.csv, results-wide.csv, results.json,
// results.xml) of the latest publish in one folder, for graphics engines that poll files.
//
// - A file changes only when it is handed results of another publish (session id, publish
//   version, final or rehearsal differ from what the file holds): calling write() every
//   second with the same publish costs a comparison, not a disk write.
// - Each file is replaced atomically (QSaveFile: temporary file in the same folder, flushed
//   and fsync'd, then renamed over the old one), so a reader polling in a tight loop sees the
//   old file or the new one, never a partial or empty one.
// - A file that cannot be written keeps its last good content, its error names it, and it is
//   tried again on the next write() even with the same publish; files that were written are
//   not rewritten.
// - The folder is not created: a missing folder is a typo or an unmounted share, and files
//   written where nobody looks would pass for a working feed.
//
// Blocks on disk (fsync; seconds on a stalled network share): call it from a worker thread,
// never the UI thread (AutoExporter does). Not thread-safe; one thread at a time.
class FeedWriter final
{
public:
    struct Outcome
    {
        quint64 publishVersion = 0; // of the results looked at
        QStringList written;        // file names replaced by this call
        QStringList errors;         // one per file that failed: "cannot write \"<path>\": <reason>"
        bool upToDate = false;      // every file now holds this publish

        bool changed() const { return !written.isEmpty(); }
    };

    explicit FeedWriter(QString folder, ResultDocuments::Options options = {});

    const QString &folder() const { return m_folder; }
    const ResultDocuments::Options &options() const { return m_options; }

    Outcome write(const PublishedResults &results);
    // True when every file holds this publish (write() would not touch the disk).
    bool isCurrent(const PublishedResults &results) const;

    // The atomic replacement write() uses, for the final report and anything else written
    // beside the feeds. On Windows a rename that a reader blocks (a graphics engine holding
    // the file open without FILE_SHARE_DELETE makes MoveFileEx fail with a sharing violation)
    // is retried with backoff for about a third of a second; elsewhere rename(2) replaces the
    // file whatever its readers do, so there is one attempt. The folder must exist.
    static bool replaceFile(const QString &path, const QByteArray &content, QString *error);

private:
    struct Key
    {
        qint64 sessionId = 0;
        quint64 publishVersion = 0;
        bool final = false;
        bool rehearsal = false;

        bool operator==(const Key &) const = default;
    };
    static Key keyOf(const PublishedResults &results);

    QString m_folder;
    ResultDocuments::Options m_options;
    std::array<std::optional<Key>, ResultDocuments::kKinds.size()> m_written; // what each file holds
};
