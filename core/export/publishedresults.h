#pragma once

#include <memory>

#include <QMap>
#include <QString>

#include "session/sessiondefinition.h"
#include "session/votingwindow.h"
#include "tally/tallysnapshot.h"

// What the graphics get: one frozen picture of a session's results, taken when the operator
// publishes (or when auto-publish does). Feeds, files and the public results endpoints are
// all rendered from the last one, never from the live tally, so nothing reaches the air that
// the operator has not taken. Plain value type; crosses threads as a shared const pointer.
struct PublishedResults
{
    SessionDefinition session;
    TallySnapshot tally; // exact airs; raw is for reports
    WindowRecord window;
    quint64 publishVersion = 0; // grows with every publish of the session (1 = first)
    qint64 publishedAtMs = 0;   // wall clock
    bool final = false;         // certified by finalize: recounted from the store and matched
    bool rehearsal = false;     // a rehearsal session: every document says so
};

using PublishedResultsPtr = std::shared_ptr<const PublishedResults>;

// One line of the operator audit log (append-only, stored with the session).
struct AuditEntry
{
    qint64 atMs = 0;
    QString kind;   // lines_opened, lines_extended, lines_closed, results_published, finalized, ...
    QString detail; // human text
    QString actor;  // "console", "admin-api 127.0.0.1", "system"
};
