#pragma once

#include <optional>

#include <QList>
#include <QString>

#include "export/publishedresults.h"
#include "store/votestore.h"
#include "tally/tallysnapshot.h"

// A stored session opened read-only from the session list: its definition and window, its
// results recounted from its vote log under its own rule, its audit log and the last picture
// it published. Plain value type.
struct SessionView
{
    SessionSummary summary;
    TallySnapshot tally;                       // recounted from the store
    QList<AuditEntry> audit;                   // oldest first
    std::optional<PublishedResults> published; // the last picture on air, if any
    bool ok = false;
    QString error; // why it could not be read (ok == false)
};

// Reads past sessions on a connection of its own, so that a recount of a long vote log never
// holds up the journal writer's commits (WAL: readers and the writer do not block each other).
// Blocking: call it on a pool thread, never on the UI or writer thread.
namespace SessionArchive {
SessionView load(const QString &databasePath, qint64 sessionId);
} // namespace SessionArchive
