#include "store/sqlitestore.h"

#include <limits>
#include <sqlite3.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include "store/faultinjection.h"

using namespace Qt::Literals::StringLiterals;

// A prepared statement for the cold paths (sessions, counters, events): finalised when it
// goes out of scope, so an early return cannot leak it.
class SqliteStore::Statement final
{
public:
    Statement(sqlite3 *db, const char *sql)
    {
        m_ok = sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) == SQLITE_OK;
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    bool ok() const { return m_ok; }
    sqlite3_stmt *get() const { return m_stmt; }
    void bind(int index, qint64 value)
    {
        m_ok = m_ok && sqlite3_bind_int64(m_stmt, index, value) == SQLITE_OK;
    }
    void bind(int index, const QString &value)
    {
        const QByteArray utf8 = value.toUtf8();
        m_ok = m_ok && sqlite3_bind_text(m_stmt, index, utf8.constData(), int(utf8.size()),
                                         SQLITE_TRANSIENT) == SQLITE_OK;
    }
    // SQLITE_ROW or SQLITE_DONE on success.
    int step() { return m_ok ? sqlite3_step(m_stmt) : SQLITE_MISUSE; }

private:
    sqlite3_stmt *m_stmt = nullptr;
    bool m_ok = false;
};

namespace {
QString columnText(sqlite3_stmt *stmt, int column)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, column));
    return QString::fromUtf8(text, sqlite3_column_bytes(stmt, column));
}
} // namespace

SqliteStore::SqliteStore(QString path, Durability durability)
    : m_path(std::move(path))
    , m_durability(durability)
{}

SqliteStore::~SqliteStore()
{
    close();
}

QString SqliteStore::lastError() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : u"the store is not open"_s;
}

bool SqliteStore::fail(QString *error, const QString &what) const
{
    if (error)
        *error = u"%1 (%2): %3"_s.arg(what, m_path, lastError());
    return false;
}

bool SqliteStore::exec(const char *sql, QString *error)
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) == SQLITE_OK)
        return true;
    if (error)
        *error =
            u"%1 failed on %2: %3"_s.arg(QString::fromUtf8(sql).left(60), m_path, QString::fromUtf8(message));
    sqlite3_free(message);
    return false;
}

bool SqliteStore::open(QString *error)
{
    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath())) {
        if (error)
            *error = u"cannot create the folder %1"_s.arg(info.absolutePath());
        return false;
    }
    // NOMUTEX: one thread owns the connection (the journal writer), so SQLite's own
    // connection mutex would only cost time.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(QFile::encodeName(m_path).constData(), &m_db, flags, nullptr) != SQLITE_OK) {
        fail(error, u"cannot open the database"_s);
        close();
        return false;
    }
    sqlite3_extended_result_codes(m_db, 1);

    // WAL: readers never block the writer and a commit is one sequential append.
    // synchronous=FULL fsyncs the WAL on every commit (the 202 promise, DESIGN.md §2);
    // NORMAL survives a process crash but not a power cut. A large autocheckpoint keeps
    // checkpoints out of the way of the commit path (DESIGN.md §6).
    {
        Statement mode(m_db, "PRAGMA journal_mode=WAL");
        if (mode.step() != SQLITE_ROW ||
            QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(mode.get(), 0))).toLower() !=
                "wal") {
            fail(error, u"cannot switch to WAL mode"_s);
            close();
            return false;
        }
    }
    const char *synchronous =
        m_durability == Durability::Full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (!exec(synchronous, error) || !exec("PRAGMA wal_autocheckpoint=20000", error) ||
        !exec("PRAGMA cache_size=-65536", error) || !exec("PRAGMA busy_timeout=5000", error) ||
        !migrate(error)) {
        close();
        return false;
    }
    // Test hook (FaultInjection, crash point "checkpoint"): checkpoints often enough for a
    // short test to be killed in the middle of one.
    if (const int pages = FaultInjection::walAutocheckpointPages(); pages > 0) {
        if (!exec(QByteArray("PRAGMA wal_autocheckpoint=" + QByteArray::number(pages)).constData(), error)) {
            close();
            return false;
        }
    }

    const bool prepared =
        sqlite3_prepare_v3(m_db,
                           "INSERT INTO votes (seq, session_id, voter, option, received_at_ms, client_addr) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           -1, SQLITE_PREPARE_PERSISTENT, &m_insertVote, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v3(m_db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &m_begin, nullptr) ==
            SQLITE_OK &&
        sqlite3_prepare_v3(m_db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &m_commit, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v3(m_db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &m_rollback, nullptr) ==
            SQLITE_OK;
    if (!prepared) {
        fail(error, u"cannot prepare the vote log statements"_s);
        close();
        return false;
    }
    return true;
}

void SqliteStore::close()
{
    for (sqlite3_stmt **stmt : {&m_insertVote, &m_begin, &m_commit, &m_rollback}) {
        sqlite3_finalize(*stmt);
        *stmt = nullptr;
    }
    if (m_db) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
}

bool SqliteStore::migrate(QString *error)
{
    int current = 0;
    {
        Statement version(m_db, "PRAGMA user_version");
        if (version.step() != SQLITE_ROW)
            return fail(error, u"cannot read the schema version"_s);
        current = sqlite3_column_int(version.get(), 0);
    }
    if (current > SchemaVersion) {
        if (error) {
            *error = u"%1 was written by a newer votedesk (schema %2, this build knows %3)"_s.arg(m_path)
                         .arg(current)
                         .arg(SchemaVersion);
        }
        return false;
    }
    if (current == SchemaVersion)
        return true;

    // Schema 1 kept the vote log in a rowid table plus an index on (session_id, seq): every
    // group commit rewrote the right-most pages of two B-trees. Schema 2 clusters the log by
    // (session_id, seq) in one WITHOUT ROWID B-tree, which serves replay and paging alike and
    // halves the pages a commit writes to the WAL.
    const char *const fresh[] = {
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, definition TEXT NOT NULL, "
        "state TEXT NOT NULL, length_ms INTEGER NOT NULL, opened_at_ms INTEGER NOT NULL DEFAULT 0, "
        "closes_at_ms INTEGER NOT NULL DEFAULT 0, closed_at_ms INTEGER NOT NULL DEFAULT 0, "
        "created_at_ms INTEGER NOT NULL DEFAULT 0)",
        // The vote log: append-only; seq (unique across sessions) is the order of acceptance.
        "CREATE TABLE IF NOT EXISTS votes (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "voter TEXT NOT NULL, option TEXT NOT NULL, received_at_ms INTEGER NOT NULL, "
        "PRIMARY KEY (session_id, seq)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS counters (session_id INTEGER NOT NULL, name TEXT NOT NULL, "
        "value INTEGER NOT NULL, PRIMARY KEY (session_id, name)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, "
        "at_ms INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)",
    };
    const char *const fromVersion1[] = {
        "CREATE TABLE votes_v2 (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, voter TEXT NOT NULL, "
        "option TEXT NOT NULL, received_at_ms INTEGER NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID",
        "INSERT INTO votes_v2 SELECT session_id, seq, voter, option, received_at_ms FROM votes",
        "DROP TABLE votes",
        "ALTER TABLE votes_v2 RENAME TO votes",
    };
    // Schema 3: the event log becomes the operator audit log (who did it; append-only, so the
    // store itself refuses an edit) and the last published picture of each session is kept,
    // so a restart puts back on air what was on air.
    const char *const toVersion3[] = {
        "ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT 'system'",
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TABLE IF NOT EXISTS published (session_id INTEGER PRIMARY KEY, version INTEGER NOT NULL, "
        "published_at_ms INTEGER NOT NULL, final INTEGER NOT NULL, picture TEXT NOT NULL)",
    };
    // Schema 4: each vote keeps its client's address (16 bytes, NULL for older votes), so an
    // operator's exclusion of an address range can be applied by the recount that certifies.
    const char *const toVersion4[] = {
        "ALTER TABLE votes ADD COLUMN client_addr BLOB",
    };
    std::vector<const char *> statements{"BEGIN"};
    if (current == 1)
        statements.insert(statements.end(), std::begin(fromVersion1), std::end(fromVersion1));
    else if (current == 0)
        statements.insert(statements.end(), std::begin(fresh), std::end(fresh));
    if (current < 3)
        statements.insert(statements.end(), std::begin(toVersion3), std::end(toVersion3));
    statements.insert(statements.end(), std::begin(toVersion4), std::end(toVersion4));
    statements.push_back("PRAGMA user_version = 4");
    statements.push_back("COMMIT");
    for (const char *sql : statements) {
        if (!exec(sql, error)) {
            exec("ROLLBACK", nullptr);
            return false;
        }
    }
    return true;
}

std::optional<SessionRecord> SqliteStore::recordFrom(sqlite3_stmt *row, QString *error)
{
    SessionRecord record;
    const qint64 id = sqlite3_column_int64(row, 0);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(columnText(row, 1).toUtf8(), &parseError);
    QString problem;
    if (!doc.isObject() || !SessionDefinition::fromJson(doc.object(), &record.definition, &problem)) {
        if (error) {
            *error = u"session %1 in %2 is unreadable: %3"_s.arg(id).arg(
                m_path, problem.isEmpty() ? parseError.errorString() : problem);
        }
        return std::nullopt;
    }
    record.definition.id = id;
    if (!parseWindowState(columnText(row, 2), &record.window.state)) {
        if (error)
            *error = u"session %1 has an unknown state \"%2\""_s.arg(id).arg(columnText(row, 2));
        return std::nullopt;
    }
    record.window.lengthMs = sqlite3_column_int64(row, 3);
    record.window.openedAtMs = sqlite3_column_int64(row, 4);
    record.window.closesAtMs = sqlite3_column_int64(row, 5);
    record.window.closedAtMs = sqlite3_column_int64(row, 6);
    record.createdAtMs = sqlite3_column_int64(row, 7);
    return record;
}

std::optional<SessionRecord> SqliteStore::loadSession(qint64 sessionId, QString *error)
{
    Statement query(m_db,
                    "SELECT id, definition, state, length_ms, opened_at_ms, closes_at_ms, closed_at_ms, "
                    "created_at_ms FROM sessions WHERE id = ?");
    query.bind(1, sessionId);
    const int rc = query.step();
    if (rc == SQLITE_ROW)
        return recordFrom(query.get(), error);
    if (rc == SQLITE_DONE) {
        if (error)
            *error = u"session %1 is not in %2"_s.arg(sessionId).arg(m_path);
    } else {
        fail(error, u"cannot read session %1"_s.arg(sessionId));
    }
    return std::nullopt;
}

QList<SessionRecord> SqliteStore::loadSessions(QString *error)
{
    QList<SessionRecord> records;
    Statement query(m_db,
                    "SELECT id, definition, state, length_ms, opened_at_ms, closes_at_ms, closed_at_ms, "
                    "created_at_ms FROM sessions ORDER BY id");
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) {
        if (auto record = recordFrom(query.get(), error))
            records.append(*record);
    }
    if (rc != SQLITE_DONE)
        fail(error, u"cannot list sessions"_s);
    return records;
}

bool SqliteStore::saveSession(const SessionRecord &record, QString *error)
{
    Statement query(m_db, "INSERT OR REPLACE INTO sessions (id, definition, state, length_ms, opened_at_ms, "
                          "closes_at_ms, closed_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    query.bind(1, record.definition.id);
    query.bind(2,
               QString::fromUtf8(QJsonDocument(record.definition.toJson()).toJson(QJsonDocument::Compact)));
    query.bind(3, windowStateName(record.window.state));
    query.bind(4, record.window.lengthMs);
    query.bind(5, record.window.openedAtMs);
    query.bind(6, record.window.closesAtMs);
    query.bind(7, record.window.closedAtMs);
    query.bind(8, record.createdAtMs);
    if (query.step() != SQLITE_DONE)
        return fail(error, u"cannot save session %1"_s.arg(record.definition.id));
    return true;
}

qint64 SqliteStore::currentSessionId(QString *error)
{
    Statement query(m_db, "SELECT value FROM meta WHERE key = 'current_session'");
    const int rc = query.step();
    if (rc == SQLITE_ROW)
        return columnText(query.get(), 0).toLongLong();
    if (rc != SQLITE_DONE)
        fail(error, u"cannot read the current session"_s);
    return 0;
}

bool SqliteStore::setCurrentSessionId(qint64 sessionId, QString *error)
{
    Statement query(m_db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('current_session', ?)");
    query.bind(1, QString::number(sessionId));
    if (query.step() != SQLITE_DONE)
        return fail(error, u"cannot set the current session"_s);
    return true;
}

qint64 SqliteStore::maxSessionId(QString *error)
{
    // A deleted draft's id is never handed out again: its audit lines stay in the log under
    // that id, and must not become another session's.
    Statement query(
        m_db, "SELECT MAX((SELECT COALESCE(MAX(id), 0) FROM sessions), "
              "COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'deleted_session_max'), 0))");
    if (query.step() != SQLITE_ROW) {
        fail(error, u"cannot read session ids"_s);
        return -1;
    }
    return sqlite3_column_int64(query.get(), 0);
}

bool SqliteStore::appendVotes(const std::vector<VoteRow> &rows, QString *error)
{
    if (!m_insertVote)
        return fail(error, u"the store is not open"_s);
    const int began = sqlite3_step(m_begin);
    sqlite3_reset(m_begin);
    if (began != SQLITE_DONE)
        return fail(error, u"cannot begin a transaction"_s);
    for (const VoteRow &row : rows) {
        // SQLITE_STATIC: the views outlive the step; nothing is copied twice.
        sqlite3_bind_int64(m_insertVote, 1, row.seq);
        sqlite3_bind_int64(m_insertVote, 2, row.sessionId);
        sqlite3_bind_text(m_insertVote, 3, row.voter.data(), int(row.voter.size()), SQLITE_STATIC);
        sqlite3_bind_text(m_insertVote, 4, row.option.data(), int(row.option.size()), SQLITE_STATIC);
        sqlite3_bind_int64(m_insertVote, 5, row.receivedAtMs);
        if (row.clientAddress.isEmpty())
            sqlite3_bind_null(m_insertVote, 6);
        else
            sqlite3_bind_blob(m_insertVote, 6, row.clientAddress.data(), int(row.clientAddress.size()),
                              SQLITE_STATIC);
        const int rc = sqlite3_step(m_insertVote);
        sqlite3_reset(m_insertVote);
        if (rc != SQLITE_DONE) {
            const QString message = lastError();
            sqlite3_step(m_rollback);
            sqlite3_reset(m_rollback);
            if (error)
                *error = u"cannot append vote %1 to %2: %3"_s.arg(row.seq).arg(m_path, message);
            return false;
        }
    }
    sqlite3_clear_bindings(m_insertVote);
    const int committed = sqlite3_step(m_commit);
    sqlite3_reset(m_commit);
    if (committed != SQLITE_DONE) {
        const QString message = lastError();
        if (!sqlite3_get_autocommit(m_db)) {
            sqlite3_step(m_rollback);
            sqlite3_reset(m_rollback);
        }
        if (error)
            *error = u"cannot commit %1 votes to %2: %3"_s.arg(rows.size()).arg(m_path, message);
        return false;
    }
    return true;
}

qint64 SqliteStore::maxVoteSeq(QString *error)
{
    // seq is unique across sessions but the log is clustered by session: the largest seq is the
    // largest of each session's last one. Both lookups are seeks in the primary key, so this
    // costs a few probes per session, not a scan of the log.
    Statement nextSession(m_db,
                          "SELECT session_id FROM votes WHERE session_id > ? ORDER BY session_id LIMIT 1");
    Statement lastSeq(m_db, "SELECT MAX(seq) FROM votes WHERE session_id = ?");
    if (!nextSession.ok() || !lastSeq.ok()) {
        fail(error, u"cannot read the vote log"_s);
        return -1;
    }
    qint64 max = 0;
    qint64 session = std::numeric_limits<qint64>::min();
    for (;;) {
        sqlite3_reset(nextSession.get());
        sqlite3_bind_int64(nextSession.get(), 1, session);
        const int rc = sqlite3_step(nextSession.get());
        if (rc == SQLITE_DONE)
            return max;
        if (rc != SQLITE_ROW)
            break;
        session = sqlite3_column_int64(nextSession.get(), 0);
        sqlite3_reset(lastSeq.get());
        sqlite3_bind_int64(lastSeq.get(), 1, session);
        if (sqlite3_step(lastSeq.get()) != SQLITE_ROW)
            break;
        max = qMax(max, sqlite3_column_int64(lastSeq.get(), 0));
    }
    fail(error, u"cannot read the vote log"_s);
    return -1;
}

bool SqliteStore::forEachVote(qint64 sessionId, const std::function<void(const VoteRow &)> &visit,
                              QString *error)
{
    return forEachVoteAfter(sessionId, 0, -1, visit, error);
}

bool SqliteStore::forEachVoteAfter(qint64 sessionId, qint64 afterSeq, qint64 limit,
                                   const std::function<void(const VoteRow &)> &visit, QString *error)
{
    // LIMIT -1 is no limit in SQLite. The (session_id, seq) index serves both the filter and
    // the order.
    Statement query(
        m_db,
        "SELECT seq, voter, option, received_at_ms, client_addr FROM votes WHERE session_id = ? AND seq > ? "
        "ORDER BY seq LIMIT ?");
    query.bind(1, sessionId);
    query.bind(2, afterSeq);
    query.bind(3, limit);
    VoteRow row;
    row.sessionId = sessionId;
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) {
        sqlite3_stmt *stmt = query.get();
        row.seq = sqlite3_column_int64(stmt, 0);
        row.voter = QByteArrayView(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 1)),
                                   sqlite3_column_bytes(stmt, 1));
        row.option = QByteArrayView(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 2)),
                                    sqlite3_column_bytes(stmt, 2));
        row.receivedAtMs = sqlite3_column_int64(stmt, 3);
        row.clientAddress = QByteArrayView(static_cast<const char *>(sqlite3_column_blob(stmt, 4)),
                                           sqlite3_column_bytes(stmt, 4));
        visit(row);
    }
    if (rc != SQLITE_DONE)
        return fail(error, u"reading the vote log stopped"_s);
    return true;
}

qint64 SqliteStore::voteCount(qint64 sessionId, QString *error)
{
    Statement query(m_db, "SELECT COUNT(*) FROM votes WHERE session_id = ?");
    query.bind(1, sessionId);
    if (query.step() != SQLITE_ROW) {
        fail(error, u"cannot count votes"_s);
        return -1;
    }
    return sqlite3_column_int64(query.get(), 0);
}

int SqliteStore::hasVotes(qint64 sessionId, QString *error)
{
    Statement query(m_db, "SELECT EXISTS (SELECT 1 FROM votes WHERE session_id = ?)");
    query.bind(1, sessionId);
    if (query.step() != SQLITE_ROW) {
        fail(error, u"cannot read the vote log of session %1"_s.arg(sessionId));
        return -1;
    }
    return sqlite3_column_int(query.get(), 0) != 0 ? 1 : 0;
}

bool SqliteStore::deleteDraftSession(qint64 sessionId, QString *error)
{
    // Checked and deleted in one transaction: nothing can log a vote in between (this
    // connection is the only writer), and a half-deleted session never exists.
    if (!exec("BEGIN IMMEDIATE", error))
        return false;
    auto refuse = [this, error](const QString &message) {
        exec("ROLLBACK", nullptr);
        if (error)
            *error = message;
        return false;
    };
    QString problem;
    const std::optional<SessionRecord> record = loadSession(sessionId, &problem);
    if (!record)
        return refuse(problem.isEmpty() ? u"there is no session %1"_s.arg(sessionId) : problem);
    const qint64 current = currentSessionId(&problem);
    if (!problem.isEmpty())
        return refuse(problem);
    if (current == sessionId)
        return refuse(
            u"\u201c%1\u201d is the current session; switch to another one before deleting it"_s.arg(
                record->definition.title));
    const int votes = hasVotes(sessionId, &problem);
    if (votes != 0)
        return refuse(votes < 0 ? problem
                                : u"\u201c%1\u201d has votes; a session with votes is kept"_s.arg(
                                      record->definition.title));
    if (record->window.openedAtMs != 0 ||
        (record->window.state != WindowState::Draft && record->window.state != WindowState::Ready))
        return refuse(u"\u201c%1\u201d was opened (%2); only a draft, never opened, can be deleted"_s.arg(
            record->definition.title, windowStateName(record->window.state)));
    for (const char *sql : {"DELETE FROM sessions WHERE id = ?", "DELETE FROM counters WHERE session_id = ?",
                            "DELETE FROM published WHERE session_id = ?",
                            "INSERT OR REPLACE INTO meta (key, value) VALUES ('deleted_session_max', "
                            "MAX(?1, COALESCE((SELECT CAST(value AS INTEGER) FROM meta "
                            "WHERE key = 'deleted_session_max'), 0)))"}) {
        Statement query(m_db, sql);
        query.bind(1, sessionId);
        if (query.step() != SQLITE_DONE)
            return refuse(u"cannot delete session %1: %2"_s.arg(sessionId).arg(lastError()));
    }
    return exec("COMMIT", error) || refuse(u"cannot delete session %1"_s.arg(sessionId));
}

QMap<QString, qint64> SqliteStore::loadCounters(qint64 sessionId, QString *error)
{
    QMap<QString, qint64> counters;
    Statement query(m_db, "SELECT name, value FROM counters WHERE session_id = ?");
    query.bind(1, sessionId);
    int rc;
    while ((rc = query.step()) == SQLITE_ROW)
        counters.insert(columnText(query.get(), 0), sqlite3_column_int64(query.get(), 1));
    if (rc != SQLITE_DONE)
        fail(error, u"cannot read counters"_s);
    return counters;
}

bool SqliteStore::saveCounters(qint64 sessionId, const QMap<QString, qint64> &counters, QString *error)
{
    if (!exec("BEGIN", error))
        return false;
    for (auto it = counters.cbegin(); it != counters.cend(); ++it) {
        Statement query(m_db, "INSERT OR REPLACE INTO counters (session_id, name, value) VALUES (?, ?, ?)");
        query.bind(1, sessionId);
        query.bind(2, it.key());
        query.bind(3, it.value());
        if (query.step() != SQLITE_DONE) {
            fail(error, u"cannot save counters"_s);
            exec("ROLLBACK", nullptr);
            return false;
        }
    }
    return exec("COMMIT", error);
}

bool SqliteStore::appendEvent(const EventRow &event, QString *error)
{
    Statement query(m_db,
                    "INSERT INTO events (session_id, at_ms, kind, detail, actor) VALUES (?, ?, ?, ?, ?)");
    query.bind(1, event.sessionId);
    query.bind(2, event.atMs);
    query.bind(3, event.kind);
    query.bind(4, event.detail);
    query.bind(5, event.actor.isEmpty() ? u"system"_s : event.actor);
    if (query.step() != SQLITE_DONE)
        return fail(error, u"cannot log event %1"_s.arg(event.kind));
    return true;
}

QList<EventRow> SqliteStore::loadEvents(qint64 sessionId, QString *error)
{
    QList<EventRow> events;
    Statement query(m_db,
                    "SELECT id, at_ms, kind, detail, actor FROM events WHERE session_id = ? ORDER BY id");
    query.bind(1, sessionId);
    int rc;
    while ((rc = query.step()) == SQLITE_ROW) {
        sqlite3_stmt *row = query.get();
        events.append(EventRow{sqlite3_column_int64(row, 0), sessionId, sqlite3_column_int64(row, 1),
                               columnText(row, 2), columnText(row, 3), columnText(row, 4)});
    }
    if (rc != SQLITE_DONE)
        fail(error, u"cannot read the audit log of session %1"_s.arg(sessionId));
    return events;
}

bool SqliteStore::savePublished(const PublishedRecord &record, QString *error)
{
    Statement query(m_db, "INSERT OR REPLACE INTO published (session_id, version, published_at_ms, final, "
                          "picture) VALUES (?, ?, ?, ?, ?)");
    query.bind(1, record.sessionId);
    query.bind(2, qint64(record.version));
    query.bind(3, record.publishedAtMs);
    query.bind(4, qint64(record.final ? 1 : 0));
    query.bind(5, QString::fromUtf8(record.picture));
    if (query.step() != SQLITE_DONE)
        return fail(error, u"cannot save the published results of session %1"_s.arg(record.sessionId));
    return true;
}

std::optional<PublishedRecord> SqliteStore::loadPublished(qint64 sessionId, QString *error)
{
    Statement query(m_db,
                    "SELECT version, published_at_ms, final, picture FROM published WHERE session_id = ?");
    query.bind(1, sessionId);
    const int rc = query.step();
    if (rc == SQLITE_ROW) {
        sqlite3_stmt *row = query.get();
        return PublishedRecord{sessionId, quint64(sqlite3_column_int64(row, 0)), sqlite3_column_int64(row, 1),
                               sqlite3_column_int64(row, 2) != 0, columnText(row, 3).toUtf8()};
    }
    if (rc != SQLITE_DONE)
        fail(error, u"cannot read the published results of session %1"_s.arg(sessionId));
    return std::nullopt;
}

bool SqliteStore::beginTransaction(QString *error)
{
    return exec("BEGIN IMMEDIATE", error);
}

bool SqliteStore::commitTransaction(QString *error)
{
    if (exec("COMMIT", error))
        return true;
    rollbackTransaction();
    return false;
}

void SqliteStore::rollbackTransaction()
{
    if (m_db && !sqlite3_get_autocommit(m_db))
        exec("ROLLBACK", nullptr);
}
