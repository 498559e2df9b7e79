#pragma once

#include <functional>
#include <vector>

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>

#include "export/finalreport.h"
#include "export/publishedresults.h"
#include "metrics/metricssampler.h"
#include "session/countexclusion.h"
#include "store/votestore.h"
#include "tally/tally.h"

// The files finalization left in the export folder, each with its SHA-256: named in the
// finalize answer, the "finalized" audit line and the console.
struct FinalFiles
{
    QString folder;          // absolute
    QList<FileDigest> files; // names relative to folder, in the order written

    bool isEmpty() const { return files.isEmpty(); }
    // "results.csv, …, results-pack-3.zip (sha256 9f…)" — the pack's digest in full.
    QString describe() const;
    // {"folder":…,"files":[{"name","sha256","bytes"}]}
    QJsonObject toJson() const;
};

// Everything the final report and the results pack are made of, gathered by the engine when a
// session is certified (Engine::finalizeResults). Plain data; the feed side renders it.
struct FinalizationInputs
{
    PublishedResults results;               // the certified picture (final = true): session, tally
                                            // (raw, exact, accepted, unique voters), window times
    QList<AuditEntry> audit;                // the operator audit log, oldest first, ending with "finalized"
    QList<SecondSample> metrics;            // the per-second pipeline series (last 10 minutes), oldest first
    QMap<QString, qint64> rejectedByReason; // error code -> votes refused with it
    qint64 rejected = 0;                    // every vote answered with an error
    qint64 late = 0;                        // of which after the close (409 window_closed): never tallied
    qint64 accepted = 0;                    // votes stored and counted raw
    qint64 uniqueVoters = 0;
    qint64 openedAtMs = 0;
    qint64 closesAtMs = 0; // the planned close, after every extension
    qint64 closedAtMs = 0; // the actual close instant
    qint64 finalizedAtMs = 0;
    QList<qint64> extendedAtMs; // when the operator extended the window, from the audit log
    QString databasePath;
    // What the final writer wrote (filled on the writer thread by it; empty without one).
    FinalFiles written;
};

Q_DECLARE_METATYPE(FinalizationInputs)

// The feed side's final step (final files, report, results pack), called by finalization once
// the recount from the store matched the live tally and before the final state is stored. Runs
// on the journal writer thread: the store lives there and reads nothing else while it runs (the
// lines are closed, so no vote waits for it); `log` reads the session's vote log, in seq order,
// during the call only. Lists what it wrote in *written (the answer and the audit line name
// them). Returns false with *error to refuse the finalization: nothing is stored, the session
// stays closed and the operator may try again (files already written are rewritten then).
using FinalWriter = std::function<bool(const FinalizationInputs &inputs, const VoteLogReader &log,
                                       FinalFiles *written, QString *error)>;

// A re-tally of the stored vote log under another counting rule, next to the live tally
// (Engine::replayPolicy). Nothing is changed by it.
struct PolicyReplay
{
    bool ok = false;
    QString error;
    qint64 sessionId = 0;
    CountingRule rule;     // the one replayed
    CountingRule liveRule; // the session's own
    TallyCounts replayed;
    TallyCounts live;
    QList<TallyDifference> differences; // live vs replayed (TallyDifference::recount = the replay)
    CountExclusions exclusions;         // applied to `replayed`, as the certification will
    qint64 excludedVotes = 0;
};

Q_DECLARE_METATYPE(PolicyReplay)

// Who did something, for the audit log.
namespace Actor {
inline QString console()
{
    return QStringLiteral("console");
}
inline QString system()
{
    return QStringLiteral("system");
}
QString adminApi(const QString &peerAddress); // "admin-api 127.0.0.1"
} // namespace Actor

AuditEntry auditEntryFrom(const EventRow &event);
// [{"kind":"voter","value":…,"reason":…,"actor":…,"at_ms":…}, …]
QJsonArray exclusionsJson(const CountExclusions &exclusions);
// [{"at":"2026-…Z","at_ms":…,"kind":…,"detail":…,"actor":…}, …]
QByteArray auditLogJson(const QList<AuditEntry> &entries);

// [{"field":"exact","option":"A","live":3,"recount":2}, …] (option absent for totals).
QJsonArray differencesJson(const QList<TallyDifference> &differences, const SessionDefinition &session);
// "exact A: live 3, recount 2; accepted: live 9, recount 8"
QString describeDifferences(const QList<TallyDifference> &differences, const SessionDefinition &session);
// "A 3 · B 2 · C 0"
QString describeCounts(const std::vector<qint64> &counts, const SessionDefinition &session);

// A published picture for the admin API: {"session","version","final","state","published_at",
// "exact":{…},"raw":{…},"accepted","unique_voters"}.
QJsonObject publishedJson(const PublishedResults &results);

// GET /v1/admin/replay: {"session","policy","option_cap","live_policy","exact":{…},"raw":{…},
// "live_exact":{…},"live_raw":{…},"accepted","unique_voters","differences":[{"option","live","replay"}]}
QByteArray policyReplayJson(const PolicyReplay &replay, const SessionDefinition &session);
