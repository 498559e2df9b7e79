#include "store/sqlitestore.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlError>
#include <QVariant>

using namespace Qt::Literals::StringLiterals;

namespace {
QAtomicInteger<quint64> g_connectionSerial;

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QString describe(const QSqlError &e)
{
    return e.text().isEmpty() ? u"unknown SQLite error"_s : e.text();
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

bool SqliteStore::open(QString *error)
{
    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath()))
        return fail(error, u"cannot create the folder %1"_s.arg(info.absolutePath()));

    m_connectionName = u"votedesk-store-%1"_s.arg(g_connectionSerial.fetchAndAddRelaxed(1));
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    db.setDatabaseName(m_path);
    if (!db.open())
        return fail(error, u"cannot open %1: %2"_s.arg(m_path, describe(db.lastError())));

    // WAL: readers never block the writer and a commit is one sequential append.
    // synchronous=FULL fsyncs the WAL on every commit (the 202 promise, DESIGN.md §2);
    // NORMAL survives a process crash but not a power cut. A large autocheckpoint keeps
    // checkpoints out of the way of the commit path (DESIGN.md §6).
    const QString synchronous = m_durability == Durability::Full ? u"FULL"_s : u"NORMAL"_s;
    QSqlQuery pragma(db);
    if (!pragma.exec(u"PRAGMA journal_mode=WAL"_s) || !pragma.next() ||
        pragma.value(0).toString().compare(u"wal"_s, Qt::CaseInsensitive) != 0) {
        return fail(error, u"cannot switch %1 to WAL mode: %2"_s.arg(m_path, describe(pragma.lastError())));
    }
    pragma.finish();
    if (!exec(u"PRAGMA synchronous="_s + synchronous, error) ||
        !exec(u"PRAGMA wal_autocheckpoint=20000"_s, error) || !exec(u"PRAGMA cache_size=-65536"_s, error) ||
        !exec(u"PRAGMA busy_timeout=5000"_s, error)) {
        return false;
    }
    if (!migrate(error))
        return false;

    m_insertVote = std::make_unique<QSqlQuery>(db);
    if (!m_insertVote->prepare(u"INSERT INTO votes(seq, session_id, voter, option, received_at_ms) "
                               u"VALUES (?, ?, ?, ?, ?)"_s)) {
        return fail(error, u"cannot prepare the vote insert: %1"_s.arg(describe(m_insertVote->lastError())));
    }
    return true;
}

void SqliteStore::close()
{
    if (m_connectionName.isEmpty())
        return;
    m_insertVote.reset();
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
}

bool SqliteStore::exec(const QString &sql, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(sql))
        return fail(error, u"%1 failed on %2: %3"_s.arg(sql.left(60), m_path, describe(query.lastError())));
    return true;
}

bool SqliteStore::migrate(QString *error)
{
    QSqlQuery version(QSqlDatabase::database(m_connectionName, false));
    if (!version.exec(u"PRAGMA user_version"_s) || !version.next())
        return fail(error, u"cannot read the schema version of %1"_s.arg(m_path));
    const int current = version.value(0).toInt();
    version.finish(); // an unfinished statement would block the schema transaction's commit
    if (current > SchemaVersion) {
        return fail(error,
                    u"%1 was written by a newer votedesk (schema %2, this build knows %3)"_s.arg(m_path)
                        .arg(current)
                        .arg(SchemaVersion));
    }
    if (current == SchemaVersion)
        return true;

    const QString statements[] = {
        u"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"_s,
        u"CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, definition TEXT NOT NULL, "
        u"state TEXT NOT NULL, length_ms INTEGER NOT NULL, opened_at_ms INTEGER NOT NULL DEFAULT 0, "
        u"closes_at_ms INTEGER NOT NULL DEFAULT 0, closed_at_ms INTEGER NOT NULL DEFAULT 0, "
        u"created_at_ms INTEGER NOT NULL DEFAULT 0)"_s,
        // The vote log: append-only, seq is the order in which votes were accepted.
        u"CREATE TABLE IF NOT EXISTS votes (seq INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, "
        u"voter TEXT NOT NULL, option TEXT NOT NULL, received_at_ms INTEGER NOT NULL)"_s,
        // Both columns only grow, so inserts land on the right edge of the index.
        u"CREATE INDEX IF NOT EXISTS votes_by_session ON votes (session_id, seq)"_s,
        u"CREATE TABLE IF NOT EXISTS counters (session_id INTEGER NOT NULL, name TEXT NOT NULL, "
        u"value INTEGER NOT NULL, PRIMARY KEY (session_id, name)) WITHOUT ROWID"_s,
        u"CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, "
        u"at_ms INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)"_s,
        u"PRAGMA user_version = %1"_s.arg(SchemaVersion),
    };
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction())
        return fail(error, u"cannot start the schema transaction on %1"_s.arg(m_path));
    for (const QString &sql : statements) {
        if (!exec(sql, error)) {
            db.rollback();
            return false;
        }
    }
    if (!db.commit())
        return fail(error, u"cannot commit the schema of %1: %2"_s.arg(m_path, describe(db.lastError())));
    return true;
}

std::optional<SessionRecord> SqliteStore::recordFrom(QSqlQuery &query, QString *error)
{
    SessionRecord record;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(query.value(1).toString().toUtf8(), &parseError);
    QString problem;
    if (!doc.isObject() || !SessionDefinition::fromJson(doc.object(), &record.definition, &problem)) {
        fail(error, u"session %1 in %2 is unreadable: %3"_s.arg(query.value(0).toLongLong())
                        .arg(m_path, problem.isEmpty() ? parseError.errorString() : problem));
        return std::nullopt;
    }
    record.definition.id = query.value(0).toLongLong();
    if (!parseWindowState(query.value(2).toString(), &record.window.state)) {
        fail(error, u"session %1 has an unknown state \"%2\""_s.arg(record.definition.id)
                        .arg(query.value(2).toString()));
        return std::nullopt;
    }
    record.window.lengthMs = query.value(3).toLongLong();
    record.window.openedAtMs = query.value(4).toLongLong();
    record.window.closesAtMs = query.value(5).toLongLong();
    record.window.closedAtMs = query.value(6).toLongLong();
    record.createdAtMs = query.value(7).toLongLong();
    return record;
}

std::optional<SessionRecord> SqliteStore::loadSession(qint64 sessionId, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.prepare(u"SELECT id, definition, state, length_ms, opened_at_ms, closes_at_ms, closed_at_ms, "
                  u"created_at_ms FROM sessions WHERE id = ?"_s);
    query.addBindValue(sessionId);
    if (!query.exec()) {
        fail(error, u"cannot read session %1: %2"_s.arg(sessionId).arg(describe(query.lastError())));
        return std::nullopt;
    }
    if (!query.next()) {
        fail(error, u"session %1 is not in %2"_s.arg(sessionId).arg(m_path));
        return std::nullopt;
    }
    return recordFrom(query, error);
}

QList<SessionRecord> SqliteStore::loadSessions(QString *error)
{
    QList<SessionRecord> records;
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(u"SELECT id, definition, state, length_ms, opened_at_ms, closes_at_ms, closed_at_ms, "
                    u"created_at_ms FROM sessions ORDER BY id"_s)) {
        fail(error, u"cannot list sessions: %1"_s.arg(describe(query.lastError())));
        return records;
    }
    while (query.next()) {
        if (auto record = recordFrom(query, error))
            records.append(*record);
    }
    return records;
}

bool SqliteStore::saveSession(const SessionRecord &record, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.prepare(u"INSERT OR REPLACE INTO sessions (id, definition, state, length_ms, opened_at_ms, "
                  u"closes_at_ms, closed_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s);
    query.addBindValue(record.definition.id);
    query.addBindValue(
        QString::fromUtf8(QJsonDocument(record.definition.toJson()).toJson(QJsonDocument::Compact)));
    query.addBindValue(windowStateName(record.window.state));
    query.addBindValue(record.window.lengthMs);
    query.addBindValue(record.window.openedAtMs);
    query.addBindValue(record.window.closesAtMs);
    query.addBindValue(record.window.closedAtMs);
    query.addBindValue(record.createdAtMs);
    if (!query.exec())
        return fail(
            error,
            u"cannot save session %1: %2"_s.arg(record.definition.id).arg(describe(query.lastError())));
    return true;
}

qint64 SqliteStore::currentSessionId(QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(u"SELECT value FROM meta WHERE key = 'current_session'"_s)) {
        fail(error, u"cannot read the current session: %1"_s.arg(describe(query.lastError())));
        return 0;
    }
    return query.next() ? query.value(0).toLongLong() : 0;
}

bool SqliteStore::setCurrentSessionId(qint64 sessionId, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.prepare(u"INSERT OR REPLACE INTO meta (key, value) VALUES ('current_session', ?)"_s);
    query.addBindValue(QString::number(sessionId));
    if (!query.exec())
        return fail(error, u"cannot set the current session: %1"_s.arg(describe(query.lastError())));
    return true;
}

qint64 SqliteStore::maxSessionId(QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(u"SELECT COALESCE(MAX(id), 0) FROM sessions"_s) || !query.next()) {
        fail(error, u"cannot read session ids: %1"_s.arg(describe(query.lastError())));
        return -1;
    }
    return query.value(0).toLongLong();
}

bool SqliteStore::appendVotes(const std::vector<VoteRow> &rows, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!m_insertVote)
        return fail(error, u"the store %1 is not open"_s.arg(m_path));
    if (!db.transaction())
        return fail(error, u"cannot begin a transaction on %1: %2"_s.arg(m_path, describe(db.lastError())));
    for (const VoteRow &row : rows) {
        m_insertVote->bindValue(0, row.seq);
        m_insertVote->bindValue(1, row.sessionId);
        m_insertVote->bindValue(2, row.voter);
        m_insertVote->bindValue(3, row.option);
        m_insertVote->bindValue(4, row.receivedAtMs);
        if (!m_insertVote->exec()) {
            const QString message = describe(m_insertVote->lastError());
            db.rollback();
            return fail(error, u"cannot append vote %1 to %2: %3"_s.arg(row.seq).arg(m_path, message));
        }
    }
    if (!db.commit()) {
        const QString message = describe(db.lastError());
        db.rollback();
        return fail(error, u"cannot commit %1 votes to %2: %3"_s.arg(rows.size()).arg(m_path, message));
    }
    return true;
}

qint64 SqliteStore::maxVoteSeq(QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    if (!query.exec(u"SELECT COALESCE(MAX(seq), 0) FROM votes"_s) || !query.next()) {
        fail(error, u"cannot read the vote log: %1"_s.arg(describe(query.lastError())));
        return -1;
    }
    return query.value(0).toLongLong();
}

bool SqliteStore::forEachVote(qint64 sessionId, const std::function<void(const VoteRow &)> &visit,
                              QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.setForwardOnly(true);
    query.prepare(
        u"SELECT seq, voter, option, received_at_ms FROM votes WHERE session_id = ? ORDER BY seq"_s);
    query.addBindValue(sessionId);
    if (!query.exec())
        return fail(error, u"cannot read the vote log: %1"_s.arg(describe(query.lastError())));
    VoteRow row;
    row.sessionId = sessionId;
    while (query.next()) {
        row.seq = query.value(0).toLongLong();
        row.voter = query.value(1).toString();
        row.option = query.value(2).toString();
        row.receivedAtMs = query.value(3).toLongLong();
        visit(row);
    }
    if (query.lastError().isValid())
        return fail(error, u"reading the vote log stopped: %1"_s.arg(describe(query.lastError())));
    return true;
}

qint64 SqliteStore::voteCount(qint64 sessionId, QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.prepare(u"SELECT COUNT(*) FROM votes WHERE session_id = ?"_s);
    query.addBindValue(sessionId);
    if (!query.exec() || !query.next()) {
        fail(error, u"cannot count votes: %1"_s.arg(describe(query.lastError())));
        return -1;
    }
    return query.value(0).toLongLong();
}

QMap<QString, qint64> SqliteStore::loadCounters(qint64 sessionId, QString *error)
{
    QMap<QString, qint64> counters;
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.prepare(u"SELECT name, value FROM counters WHERE session_id = ?"_s);
    query.addBindValue(sessionId);
    if (!query.exec()) {
        fail(error, u"cannot read counters: %1"_s.arg(describe(query.lastError())));
        return counters;
    }
    while (query.next())
        counters.insert(query.value(0).toString(), query.value(1).toLongLong());
    return counters;
}

bool SqliteStore::saveCounters(qint64 sessionId, const QMap<QString, qint64> &counters, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction())
        return fail(error, u"cannot begin a transaction on %1: %2"_s.arg(m_path, describe(db.lastError())));
    QSqlQuery query(db);
    query.prepare(u"INSERT OR REPLACE INTO counters (session_id, name, value) VALUES (?, ?, ?)"_s);
    for (auto it = counters.cbegin(); it != counters.cend(); ++it) {
        query.bindValue(0, sessionId);
        query.bindValue(1, it.key());
        query.bindValue(2, it.value());
        if (!query.exec()) {
            const QString message = describe(query.lastError());
            db.rollback();
            return fail(error, u"cannot save counters: %1"_s.arg(message));
        }
    }
    if (!db.commit()) {
        const QString message = describe(db.lastError());
        db.rollback();
        return fail(error, u"cannot commit counters: %1"_s.arg(message));
    }
    return true;
}

bool SqliteStore::appendEvent(qint64 sessionId, qint64 atMs, const QString &kind, const QString &detail,
                              QString *error)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.prepare(u"INSERT INTO events (session_id, at_ms, kind, detail) VALUES (?, ?, ?, ?)"_s);
    query.addBindValue(sessionId);
    query.addBindValue(atMs);
    query.addBindValue(kind);
    query.addBindValue(detail);
    if (!query.exec())
        return fail(error, u"cannot log event %1: %2"_s.arg(kind, describe(query.lastError())));
    return true;
}
