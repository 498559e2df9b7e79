#include "engine/sessionarchive.h"

#include "engine/finalization.h"
#include "engine/publishing.h"
#include "store/sqlitestore.h"
#include "tally/tally.h"

using namespace Qt::Literals::StringLiterals;

SessionView SessionArchive::load(const QString &databasePath, qint64 sessionId)
{
    SessionView view;
    // Durability only matters for writes, and this connection makes none.
    SqliteStore store(databasePath, Durability::Normal);
    if (!store.open(&view.error))
        return view;
    std::optional<SessionRecord> record = store.loadSession(sessionId, &view.error);
    if (!record)
        return view;
    const SessionDefinition &session = record->definition;
    const int votes = store.hasVotes(sessionId, &view.error);
    const qint64 current = store.currentSessionId(&view.error);
    if (votes < 0 || !view.error.isEmpty())
        return view;
    view.summary = SessionSummary{*record, votes > 0, current == sessionId};

    Tally tally(sessionId, int(session.options.size()), session.rule());
    qint64 unknown = 0;
    const bool read = store.forEachVote(
        sessionId,
        [&](const VoteRow &row) {
            const int index = session.indexOf(row.option);
            if (index < 0)
                ++unknown; // cannot happen for votes the pipeline validated; not counted
            else
                tally.apply(row.voter, index);
        },
        &view.error);
    if (!read)
        return view;
    view.tally = tally.snapshot(record->window.closedAtMs);

    for (const EventRow &event : store.loadEvents(sessionId, &view.error))
        view.audit.append(auditEntryFrom(event));
    if (!view.error.isEmpty())
        return view;
    if (const std::optional<PublishedRecord> picture = store.loadPublished(sessionId, &view.error)) {
        PublishedResults results;
        QString problem;
        if (fromPublishedRecord(*picture, session, &results, &problem))
            view.published = results;
    }
    if (!view.error.isEmpty())
        return view;
    view.ok = true;
    return view;
}
