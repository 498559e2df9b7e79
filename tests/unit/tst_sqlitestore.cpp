#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "store/sqlitestore.h"

using namespace Qt::Literals::StringLiterals;

class TestSqliteStore final : public QObject
{
    Q_OBJECT

private:
    QString path() const { return m_dir->filePath(u"store.db"_s); }

    static SessionRecord record(qint64 id)
    {
        SessionRecord r;
        r.definition = SessionDefinition::demo();
        r.definition.id = id;
        r.window.lengthMs = r.definition.windowMs;
        r.createdAtMs = 1000 + id;
        return r;
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void opensInWalModeWithTheSchema()
    {
        SqliteStore store(path(), Durability::Full);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QCOMPARE(store.maxVoteSeq(&error), 0);
        QCOMPARE(store.maxSessionId(&error), 0);
        QCOMPARE(store.currentSessionId(&error), 0);
        store.close();

        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"check"_s);
        db.setDatabaseName(path());
        QVERIFY(db.open());
        {
            QSqlQuery query(db);
            QVERIFY(query.exec(u"PRAGMA journal_mode"_s) && query.next());
            QCOMPARE(query.value(0).toString(), u"wal"_s);
            QVERIFY(query.exec(u"PRAGMA user_version"_s) && query.next());
            QCOMPARE(query.value(0).toInt(), SqliteStore::SchemaVersion);
        }
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"check"_s);
    }

    void sessionsRoundTrip()
    {
        QString error;
        {
            SqliteStore store(path(), Durability::Normal);
            QVERIFY(store.open(&error));
            SessionRecord a = record(1);
            a.window.state = WindowState::Open;
            a.window.openedAtMs = 5000;
            a.window.closesAtMs = 65000;
            QVERIFY2(store.saveSession(a, &error), qPrintable(error));
            QVERIFY(store.saveSession(record(2), &error));
            QVERIFY(store.setCurrentSessionId(1, &error));
            // Saving again replaces.
            a.window.closesAtMs = 95000;
            QVERIFY(store.saveSession(a, &error));
        }
        SqliteStore store(path(), Durability::Normal);
        QVERIFY(store.open(&error));
        QCOMPARE(store.currentSessionId(&error), 1);
        QCOMPARE(store.maxSessionId(&error), 2);
        const auto loaded = store.loadSession(1, &error);
        QVERIFY2(loaded.has_value(), qPrintable(error));
        QCOMPARE(loaded->definition.title, SessionDefinition::demo().title);
        QCOMPARE(loaded->definition.options.size(), 4);
        QCOMPARE(loaded->window.state, WindowState::Open);
        QCOMPARE(loaded->window.openedAtMs, 5000);
        QCOMPARE(loaded->window.closesAtMs, 95000);
        QCOMPARE(loaded->createdAtMs, 1001);
        QCOMPARE(store.loadSessions(&error).size(), 2);
        QVERIFY(!store.loadSession(7, &error).has_value());
        QVERIFY(error.contains(u"7"_s));
    }

    void voteLogAppendsAndReplaysInOrder()
    {
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY(store.open(&error));
        // Rows view their text, so the bytes live in these lists for the call.
        QList<QByteArray> voters;
        QList<QByteArray> options;
        for (int i = 1; i <= 1000; ++i) {
            voters.append("voter-" + QByteArray::number(i));
            options.append(QByteArray(1, char('A' + i % 4)));
        }
        std::vector<VoteRow> batch;
        for (int i = 1; i <= 1000; ++i)
            batch.push_back({i, i % 2 + 1, voters[i - 1], options[i - 1], 10'000 + i});
        QVERIFY2(store.appendVotes(batch, &error), qPrintable(error));
        QCOMPARE(store.maxVoteSeq(&error), 1000);
        QCOMPARE(store.voteCount(1, &error), 500);
        QCOMPARE(store.voteCount(2, &error), 500);

        QList<qint64> seqs;
        QVERIFY(store.forEachVote(
            2,
            [&](const VoteRow &row) {
                seqs.append(row.seq);
                QCOMPARE(row.voter.toByteArray(), "voter-" + QByteArray::number(row.seq));
                QCOMPARE(row.option.toByteArray(), QByteArray(1, char('A' + row.seq % 4)));
                QCOMPARE(row.receivedAtMs, 10'000 + row.seq);
            },
            &error));
        QCOMPARE(seqs.size(), 500);
        QVERIFY(std::is_sorted(seqs.begin(), seqs.end()));
        QCOMPARE(seqs.first(), 1);
    }

    void clientAddressRoundTrips()
    {
        // Schema 4: the 16 address bytes come back as stored; a vote without one reads empty.
        QString error;
        SqliteStore store(path(), Durability::Normal);
        QVERIFY2(store.open(&error), qPrintable(error));
        QVERIFY(store.saveSession(record(1), &error));
        const QByteArray address = QByteArray::fromHex("00000000000000000000ffffcb007142"); // 203.0.113.66
        QVERIFY2(
            store.appendVotes({VoteRow{1, 1, "v1", "A", 10, address}, VoteRow{2, 1, "v2", "A", 11}}, &error),
            qPrintable(error));
        QList<QByteArray> read;
        QVERIFY(store.forEachVote(
            1, [&read](const VoteRow &row) { read.append(row.clientAddress.toByteArray()); }, &error));
        QCOMPARE(read, (QList<QByteArray>{address, QByteArray()}));
    }

    void aFailedBatchStoresNothing()
    {
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY(store.open(&error));
        QVERIFY(store.appendVotes({{1, 1, "a", "A", 1}}, &error));
        // The second row reuses seq 1: the whole batch must be rolled back.
        const std::vector<VoteRow> bad = {{2, 1, "b", "B", 2}, {1, 1, "c", "C", 3}};
        QVERIFY(!store.appendVotes(bad, &error));
        QVERIFY(!error.isEmpty());
        QCOMPARE(store.voteCount(1, &error), 1);
        QCOMPARE(store.maxVoteSeq(&error), 1);
        // And the store is still usable afterwards.
        QVERIFY2(store.appendVotes({{2, 1, "b", "B", 2}}, &error), qPrintable(error));
        QCOMPARE(store.voteCount(1, &error), 2);
    }

    void countersAndEvents()
    {
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY(store.open(&error));
        QVERIFY(store.saveCounters(1, {{u"invalid_json"_s, 3}, {u"window_closed"_s, 9}}, &error));
        QVERIFY(store.saveCounters(1, {{u"invalid_json"_s, 4}}, &error));
        const auto counters = store.loadCounters(1, &error);
        QCOMPARE(counters.value(u"invalid_json"_s), 4);
        QCOMPARE(counters.value(u"window_closed"_s), 9);
        QVERIFY(store.loadCounters(2, &error).isEmpty());
        QVERIFY(store.appendEvent(1, 1234, u"lines_opened"_s, u"closes at …"_s, &error));
    }

    // The audit log: who, when, what, in order; the store refuses to change or delete a line,
    // whoever asks (here a second connection, as a hand with the sqlite3 shell would).
    void auditLogIsAppendOnly()
    {
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY(store.open(&error));
        QVERIFY(store.appendEvent(EventRow{0, 1, 100, u"lines_opened"_s, u"closes at …"_s, u"console"_s},
                                  &error));
        QVERIFY(store.appendEvent(
            EventRow{0, 2, 150, u"session_activated"_s, u"other"_s, u"admin-api 127.0.0.1"_s}, &error));
        QVERIFY(store.appendEvent(1, 200, u"lines_closed"_s, u"closed on time"_s, &error)); // the system's
        const QList<EventRow> events = store.loadEvents(1, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].kind, u"lines_opened"_s);
        QCOMPARE(events[0].actor, u"console"_s);
        QCOMPARE(events[0].atMs, 100);
        QCOMPARE(events[0].sessionId, 1);
        QCOMPARE(events[1].actor, u"system"_s);
        QVERIFY(events[0].id < events[1].id);
        QCOMPARE(store.loadEvents(2, &error).first().actor, u"admin-api 127.0.0.1"_s);
        QVERIFY(store.loadEvents(3, &error).isEmpty());

        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"editor"_s);
            db.setDatabaseName(path());
            QVERIFY(db.open());
            QSqlQuery query(db);
            QVERIFY(!query.exec(u"UPDATE events SET actor = 'nobody'"_s));
            QVERIFY2(query.lastError().text().contains(u"append-only"_s),
                     qPrintable(query.lastError().text()));
            QVERIFY(!query.exec(u"DELETE FROM events WHERE kind = 'lines_closed'"_s));
            db.close();
        }
        QSqlDatabase::removeDatabase(u"editor"_s);
        QCOMPARE(store.loadEvents(1, &error).size(), 2);
        QCOMPARE(store.loadEvents(1, &error).first().actor, u"console"_s);
    }

    void publishedPictureIsKeptPerSession()
    {
        QString error;
        {
            SqliteStore store(path(), Durability::Full);
            QVERIFY(store.open(&error));
            QVERIFY(!store.loadPublished(1, &error));
            QVERIFY(error.isEmpty()); // never published is not an error
            QVERIFY(store.savePublished(PublishedRecord{1, 1, 500, false, R"({"exact":[1,2]})"}, &error));
            QVERIFY(store.savePublished(PublishedRecord{1, 2, 600, true, R"({"exact":[3,2]})"}, &error));
            QVERIFY(store.savePublished(PublishedRecord{2, 7, 700, false, "{}"}, &error));
        }
        SqliteStore store(path(), Durability::Full);
        QVERIFY(store.open(&error));
        const std::optional<PublishedRecord> first = store.loadPublished(1, &error);
        QVERIFY(first);
        QCOMPARE(first->version, 2u); // the last one replaces the one before
        QCOMPARE(first->publishedAtMs, 600);
        QVERIFY(first->final);
        QCOMPARE(first->picture, QByteArray(R"({"exact":[3,2]})"));
        QCOMPARE(store.loadPublished(2, &error)->version, 7u);
    }

    void transactionsLandTogetherOrNotAtAll()
    {
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY(store.open(&error));
        QVERIFY(store.beginTransaction(&error));
        QVERIFY(store.saveSession(record(1), &error));
        QVERIFY(store.appendEvent(1, 10, u"finalized"_s, u"x"_s, &error));
        store.rollbackTransaction();
        QVERIFY(!store.loadSession(1, &error));
        QVERIFY(store.loadEvents(1, &error).isEmpty());

        QVERIFY(store.beginTransaction(&error));
        QVERIFY(store.saveSession(record(1), &error));
        QVERIFY(store.savePublished(PublishedRecord{1, 1, 5, true, "{}"}, &error));
        QVERIFY2(store.commitTransaction(&error), qPrintable(error));
        QVERIFY(store.loadSession(1, &error));
        QVERIFY(store.loadPublished(1, &error));
        // The vote log's own transactions still work afterwards.
        QVERIFY(store.appendVotes({{1, 1, "a", "A", 1}}, &error));
    }

    void migratesASchema2Database()
    {
        // Schema 2: the event log had no actor; every line then was the system's or unknown.
        {
            SqliteStore store(path(), Durability::Full);
            QString error;
            QVERIFY(store.open(&error));
        }
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"v2"_s);
            db.setDatabaseName(path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            for (
                const QString &sql :
                {u"ALTER TABLE votes DROP COLUMN client_addr"_s, // schema 4's
                 u"DROP TABLE published"_s, u"DROP TRIGGER events_append_only_update"_s,
                 u"DROP TRIGGER events_append_only_delete"_s, u"DROP TABLE events"_s,
                 u"CREATE TABLE events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, at_ms INTEGER "
                 u"NOT "
                 u"NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)"_s,
                 u"INSERT INTO events (session_id, at_ms, kind, detail) VALUES (1, 5, 'lines_opened', 'old')"_s,
                 u"PRAGMA user_version = 2"_s})
                QVERIFY2(q.exec(sql), qPrintable(sql + u": "_s + q.lastError().text()));
            db.close();
        }
        QSqlDatabase::removeDatabase(u"v2"_s);
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY2(store.open(&error), qPrintable(error));
        const QList<EventRow> events = store.loadEvents(1, &error);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].actor, u"system"_s);
        QCOMPARE(events[0].detail, u"old"_s);
        QVERIFY(store.savePublished(PublishedRecord{1, 1, 1, false, "{}"}, &error));
    }

    void migratesASchema1Log()
    {
        // A database written by the first release: rowid vote log plus a (session, seq) index.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"v1"_s);
            db.setDatabaseName(path());
            QVERIFY(db.open());
            QSqlQuery q(db);
            for (
                const QString &sql :
                {u"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"_s,
                 u"CREATE TABLE sessions (id INTEGER PRIMARY KEY, definition TEXT NOT NULL, state TEXT NOT "
                 u"NULL, "
                 u"length_ms INTEGER NOT NULL, opened_at_ms INTEGER NOT NULL DEFAULT 0, closes_at_ms INTEGER "
                 u"NOT "
                 u"NULL DEFAULT 0, closed_at_ms INTEGER NOT NULL DEFAULT 0, created_at_ms INTEGER NOT NULL "
                 u"DEFAULT 0)"_s,
                 u"CREATE TABLE votes (seq INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, voter TEXT NOT "
                 u"NULL, "
                 u"option TEXT NOT NULL, received_at_ms INTEGER NOT NULL)"_s,
                 u"CREATE INDEX votes_by_session ON votes (session_id, seq)"_s,
                 u"CREATE TABLE counters (session_id INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT "
                 u"NULL, PRIMARY KEY (session_id, name)) WITHOUT ROWID"_s,
                 u"CREATE TABLE events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, at_ms INTEGER "
                 u"NOT "
                 u"NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)"_s,
                 u"INSERT INTO votes VALUES (1, 1, 'a', 'A', 10), (2, 2, 'b', 'B', 20), (3, 1, 'c', 'C', 30)"_s,
                 u"PRAGMA user_version = 1"_s}) {
                QVERIFY2(q.exec(sql), qPrintable(sql));
            }
            db.close();
        }
        QSqlDatabase::removeDatabase(u"v1"_s);
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY2(store.open(&error), qPrintable(error));
        QCOMPARE(store.maxVoteSeq(&error), 3);
        QList<qint64> seqs;
        QVERIFY(store.forEachVote(
            1, [&](const VoteRow &row) { seqs.append(row.seq); }, &error));
        QCOMPARE(seqs, (QList<qint64>{1, 3}));
        QVERIFY(store.appendVotes({{4, 2, "d", "D", 40}}, &error));
        QCOMPARE(store.voteCount(2, &error), 2);
    }

    void refusesANewerSchemaAndAnUnwritableFolder()
    {
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"future"_s);
            db.setDatabaseName(path());
            QVERIFY(db.open());
            QSqlQuery(db).exec(u"PRAGMA user_version = 99"_s);
            db.close();
        }
        QSqlDatabase::removeDatabase(u"future"_s);
        QString error;
        SqliteStore store(path(), Durability::Full);
        QVERIFY(!store.open(&error));
        QVERIFY2(error.contains(u"newer"_s), qPrintable(error));

        SqliteStore nowhere(u"/proc/votedesk-cannot-be-here/store.db"_s, Durability::Full);
        QVERIFY(!nowhere.open(&error));
        QVERIFY2(error.contains(u"/proc/votedesk-cannot-be-here"_s), qPrintable(error));
    }

    void onlyADraftIsDeletedAndItsIdNeverReturns()
    {
        QString error;
        SqliteStore store(path(), Durability::Normal);
        QVERIFY2(store.open(&error), qPrintable(error));
        SessionRecord voted = record(1);
        voted.window.state = WindowState::Closed;
        voted.window.openedAtMs = 5000;
        SessionRecord opened = record(2); // opened, no vote came
        opened.window.state = WindowState::Closed;
        opened.window.openedAtMs = 6000;
        for (const SessionRecord &r : {voted, opened, record(3), record(4)})
            QVERIFY2(store.saveSession(r, &error), qPrintable(error));
        QVERIFY(store.setCurrentSessionId(4, &error));
        const QByteArray voter = "v1";
        const QByteArray option = "A";
        QVERIFY(store.appendVotes({VoteRow{1, 1, voter, option, 5500}}, &error));
        QCOMPARE(store.hasVotes(1, &error), 1);
        QCOMPARE(store.hasVotes(3, &error), 0);

        QVERIFY(!store.deleteDraftSession(1, &error));
        QVERIFY2(error.contains(u"has votes"_s), qPrintable(error));
        QVERIFY(!store.deleteDraftSession(2, &error));
        QVERIFY2(error.contains(u"was opened"_s), qPrintable(error));
        QVERIFY(!store.deleteDraftSession(4, &error));
        QVERIFY2(error.contains(u"current session"_s), qPrintable(error));
        QVERIFY(!store.deleteDraftSession(9, &error));
        QCOMPARE(store.loadSessions(&error).size(), 4); // refusals changed nothing

        // The newest session goes: its id must not be handed out again.
        QVERIFY(store.setCurrentSessionId(3, &error));
        QVERIFY2(store.deleteDraftSession(4, &error), qPrintable(error));
        QCOMPARE(store.loadSessions(&error).size(), 3);
        QVERIFY(!store.loadSession(4, &error));
        QCOMPARE(store.maxSessionId(&error), 4);
        QVERIFY(store.saveSession(record(5), &error));
        QCOMPARE(store.maxSessionId(&error), 5);
    }
};

QTEST_GUILESS_MAIN(TestSqliteStore)
#include "tst_sqlitestore.moc"
