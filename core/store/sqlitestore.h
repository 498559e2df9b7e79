#pragma once

#include "store/votestore.h"

struct sqlite3;
struct sqlite3_stmt;

// The embedded store: one SQLite file in WAL mode, written through one connection with
// SQLite's C API (QtSql's per-value QVariant boxing costs more than the insert itself on the
// hot path). The vote log is append-only (no upsert: dedup state lives in memory and is
// rebuilt from the log on start, DESIGN.md §6).
class SqliteStore final : public VoteStore
{
public:
    SqliteStore(QString path, Durability durability);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore &) = delete;
    SqliteStore &operator=(const SqliteStore &) = delete;

    bool open(QString *error) override;
    void close() override;
    QString location() const override { return m_path; }

    std::optional<SessionRecord> loadSession(qint64 sessionId, QString *error) override;
    QList<SessionRecord> loadSessions(QString *error) override;
    bool saveSession(const SessionRecord &record, QString *error) override;
    qint64 currentSessionId(QString *error) override;
    bool setCurrentSessionId(qint64 sessionId, QString *error) override;
    qint64 maxSessionId(QString *error) override;
    bool deleteDraftSession(qint64 sessionId, QString *error) override;

    bool appendVotes(const std::vector<VoteRow> &rows, QString *error) override;
    qint64 maxVoteSeq(QString *error) override;
    bool forEachVote(qint64 sessionId, const std::function<void(const VoteRow &)> &visit,
                     QString *error) override;
    bool forEachVoteAfter(qint64 sessionId, qint64 afterSeq, qint64 limit,
                          const std::function<void(const VoteRow &)> &visit, QString *error) override;
    qint64 voteCount(qint64 sessionId, QString *error) override;
    int hasVotes(qint64 sessionId, QString *error) override;

    QMap<QString, qint64> loadCounters(qint64 sessionId, QString *error) override;
    bool saveCounters(qint64 sessionId, const QMap<QString, qint64> &counters, QString *error) override;

    using VoteStore::appendEvent;
    bool appendEvent(const EventRow &event, QString *error) override;
    QList<EventRow> loadEvents(qint64 sessionId, QString *error) override;
    bool savePublished(const PublishedRecord &record, QString *error) override;
    std::optional<PublishedRecord> loadPublished(qint64 sessionId, QString *error) override;

    bool beginTransaction(QString *error) override;
    bool commitTransaction(QString *error) override;
    void rollbackTransaction() override;

    static constexpr int SchemaVersion = 4;

private:
    class Statement;
    bool exec(const char *sql, QString *error);
    bool migrate(QString *error);
    QString lastError() const;
    bool fail(QString *error, const QString &what) const;
    std::optional<SessionRecord> recordFrom(sqlite3_stmt *row, QString *error);

    const QString m_path;
    const Durability m_durability;
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_insertVote = nullptr; // prepared once: the writer's hot path
    sqlite3_stmt *m_begin = nullptr;
    sqlite3_stmt *m_commit = nullptr;
    sqlite3_stmt *m_rollback = nullptr;
};
