#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QList>
#include <QMap>
#include <QString>

#include "session/sessiondefinition.h"
#include "session/votingwindow.h"

// A vote as the journal writes it. seq is the log order: the exact result is recomputed by
// replaying the log in seq order. The text fields are views: when writing, into the caller's
// votes for the duration of appendVotes(); when reading, into the store's row for the
// duration of the visit.
struct VoteRow
{
    qint64 seq = 0;
    qint64 sessionId = 0;
    QByteArrayView voter;  // ASCII, 1-64 bytes
    QByteArrayView option; // the option key, UTF-8
    qint64 receivedAtMs = 0;
    // The client's address as 16 bytes (IPv4 mapped into IPv6); empty when not recorded (votes
    // stored before schema 4, the canary's).
    QByteArrayView clientAddress = {};
};

struct SessionRecord
{
    SessionDefinition definition; // definition.id is the record's key
    WindowRecord window;
    qint64 createdAtMs = 0;
};

// A session as the session list shows it.
struct SessionSummary
{
    SessionRecord record;
    bool hasVotes = false;
    bool current = false; // the session the engine runs

    // Never opened and nothing logged: it may still be made current as it is, or deleted.
    bool isDraft() const
    {
        return !hasVotes && record.window.openedAtMs == 0 &&
               (record.window.state == WindowState::Draft || record.window.state == WindowState::Ready);
    }
};

// One line of the operator audit log as stored: append-only (the store refuses to change or
// delete one), in the order written.
struct EventRow
{
    qint64 id = 0; // assigned by the store: the order of the log
    qint64 sessionId = 0;
    qint64 atMs = 0;
    QString kind;   // lines_opened, results_published, finalized, ...
    QString detail; // human text
    QString actor;  // "console", "admin-api 127.0.0.1", "system"
};

// The last picture of a session's results that was published. The picture itself is the
// engine's serialisation (JSON); the store only keeps it, one per session, replaced on
// every publish, so a restart puts back on air what was on air.
struct PublishedRecord
{
    qint64 sessionId = 0;
    quint64 version = 0;
    qint64 publishedAtMs = 0;
    bool final = false;
    QByteArray picture;
};

// Reads a session's vote log in seq order, visiting each row; false (with *error) if the read
// stopped. Handed out by the thread that owns the store, valid only as long as it says.
using VoteLogReader = std::function<bool(const std::function<void(const VoteRow &)> &visit, QString *error)>;

enum class Durability
{
    Full = 1, // fsync on every group commit: a 202 survives a power cut
    Normal    // WAL without fsync per commit: survives a process crash, not a power cut
};

// Where sessions, window state, the vote log, counters and the event log live. Knows
// nothing of requests. Not thread-safe: exactly one thread (the journal writer) owns an
// open store; its connection is created and used only there.
class VoteStore
{
public:
    virtual ~VoteStore() = default;

    virtual bool open(QString *error) = 0;
    virtual void close() = 0;
    virtual QString location() const = 0;

    virtual std::optional<SessionRecord> loadSession(qint64 sessionId, QString *error) = 0;
    virtual QList<SessionRecord> loadSessions(QString *error) = 0;
    virtual bool saveSession(const SessionRecord &record, QString *error) = 0; // insert or replace
    virtual qint64 currentSessionId(QString *error) = 0;                       // 0 when none
    virtual bool setCurrentSessionId(qint64 sessionId, QString *error) = 0;
    virtual qint64 maxSessionId(QString *error) = 0;
    // Removes a draft: a session never opened, with no vote logged and not current. Refused
    // (false, *error naming why) for anything else; the audit log keeps its lines (append-only).
    virtual bool deleteDraftSession(qint64 sessionId, QString *error) = 0;

    // Appends the rows in one transaction (a group commit); all or nothing.
    virtual bool appendVotes(const std::vector<VoteRow> &rows, QString *error) = 0;
    virtual qint64 maxVoteSeq(QString *error) = 0;
    // Replays a session's log in seq order. Returns false on a read error.
    virtual bool forEachVote(qint64 sessionId, const std::function<void(const VoteRow &)> &visit,
                             QString *error) = 0;
    // Up to `limit` votes of a session with seq > afterSeq, in seq order.
    virtual bool forEachVoteAfter(qint64 sessionId, qint64 afterSeq, qint64 limit,
                                  const std::function<void(const VoteRow &)> &visit, QString *error) = 0;
    virtual qint64 voteCount(qint64 sessionId, QString *error) = 0;
    // Whether the session logged any vote: 1 or 0, -1 on a read error. One index probe, unlike
    // voteCount(), so it can be asked for every session of a list.
    virtual int hasVotes(qint64 sessionId, QString *error) = 0;

    virtual QMap<QString, qint64> loadCounters(qint64 sessionId, QString *error) = 0;
    virtual bool saveCounters(qint64 sessionId, const QMap<QString, qint64> &counters, QString *error) = 0;

    // The audit log. id is assigned (event.id is ignored).
    virtual bool appendEvent(const EventRow &event, QString *error) = 0;
    bool appendEvent(qint64 sessionId, qint64 atMs, const QString &kind, const QString &detail,
                     QString *error)
    {
        return appendEvent(EventRow{0, sessionId, atMs, kind, detail, QStringLiteral("system")}, error);
    }
    // A session's audit log, oldest first. On a read error returns what it has and sets *error.
    virtual QList<EventRow> loadEvents(qint64 sessionId, QString *error) = 0;

    virtual bool savePublished(const PublishedRecord &record, QString *error) = 0; // replaces
    // std::nullopt with *error untouched when the session was never published.
    virtual std::optional<PublishedRecord> loadPublished(qint64 sessionId, QString *error) = 0;

    // Groups the cold-path writes of one decision (finalize: state, picture, audit line) so
    // that they land together or not at all. Not for the vote log (appendVotes is its own).
    virtual bool beginTransaction(QString *error) = 0;
    virtual bool commitTransaction(QString *error) = 0;
    virtual void rollbackTransaction() = 0;
};
