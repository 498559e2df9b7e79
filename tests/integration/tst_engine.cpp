// The whole core over loopback: HTTP -> validation -> queue -> journal writer -> SQLite ->
// tally -> snapshot -> results/CSV, window control through the admin API, and restarts on
// the same database.
#include <memory>

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"
#include "export/csvwriter.h"
#include "export/resulttable.h"
#include "httpclient.h"

using namespace Qt::Literals::StringLiterals;

// A raw keep-alive client that pipelines requests and reads the answers back in order,
// so a test can match every answer to its vote.
class PipelinedClient final
{
public:
    struct Answer
    {
        int status = 0;
        QByteArray headers;
        QByteArray body;
    };

    explicit PipelinedClient(quint16 port) { m_socket.connectToHost(QHostAddress::LocalHost, port); }

    bool waitConnected() { return m_socket.waitForConnected(5000); }

    void sendVote(const QByteArray &voter, const QByteArray &option)
    {
        const QByteArray body = "{\"voter\":\"" + voter + "\",\"option\":\"" + option + "\"}";
        m_socket.write(
            "POST /v1/votes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
            QByteArray::number(body.size()) + "\r\n\r\n" + body);
    }

    // Parses what has arrived; returns how many answers are complete so far.
    qsizetype poll()
    {
        m_buffer += m_socket.readAll();
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                break;
            const QByteArray head = m_buffer.left(end);
            const qsizetype lengthAt = head.toLower().indexOf("content-length:");
            const qsizetype length =
                lengthAt < 0 ? 0
                             : head.mid(lengthAt + 15, head.indexOf('\r', lengthAt) - lengthAt - 15)
                                   .trimmed()
                                   .toLongLong();
            if (m_buffer.size() < end + 4 + length)
                break;
            Answer answer;
            answer.status = head.mid(9, 3).toInt();
            answer.headers = head;
            answer.body = m_buffer.mid(end + 4, length);
            m_answers.append(answer);
            m_buffer.remove(0, end + 4 + length);
        }
        return m_answers.size();
    }

    const QList<Answer> &answers() const { return m_answers; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
    QList<Answer> m_answers;
};

class TestEngine final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(const Clock &clock = SystemClock::instance(),
                                        qsizetype queueCapacity = 100'000)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.queueCapacity = queueCapacity;
        options.workersMax = 4;
        auto engine = std::make_unique<Engine>(options, clock);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    // Reads the vote log straight from the file, as a second reader would (WAL allows it).
    QList<QPair<QString, QString>> storedVotes(qint64 sessionId)
    {
        QList<QPair<QString, QString>> rows;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"reader"_s);
            db.setDatabaseName(m_dir->filePath(u"votedesk.db"_s));
            db.setConnectOptions(u"QSQLITE_OPEN_READONLY"_s);
            if (db.open()) {
                QSqlQuery query(db);
                query.prepare(u"SELECT voter, option FROM votes WHERE session_id = ? ORDER BY seq"_s);
                query.addBindValue(sessionId);
                query.exec();
                while (query.next())
                    rows.append({query.value(0).toString(), query.value(1).toString()});
            }
        }
        QSqlDatabase::removeDatabase(u"reader"_s);
        return rows;
    }

    QList<QPair<qint64, QString>> storedVotesWithSeq(qint64 sessionId)
    {
        QList<QPair<qint64, QString>> rows;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"reader-seq"_s);
            db.setDatabaseName(m_dir->filePath(u"votedesk.db"_s));
            db.setConnectOptions(u"QSQLITE_OPEN_READONLY"_s);
            if (db.open()) {
                QSqlQuery query(db);
                query.prepare(u"SELECT seq, voter FROM votes WHERE session_id = ? ORDER BY seq"_s);
                query.addBindValue(sessionId);
                query.exec();
                while (query.next())
                    rows.append({query.value(0).toLongLong(), query.value(1).toString()});
            }
        }
        QSqlDatabase::removeDatabase(u"reader-seq"_s);
        return rows;
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void startsWithTheDemoSession()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QVERIFY(engine->port() != 0);
        QCOMPARE(engine->session().question, u"Which act goes through?"_s);
        QCOMPARE(engine->windowStatus().state, WindowState::Ready);

        HttpClient client(engine->port());
        const auto session = client.get(u"/v1/session"_s);
        QCOMPARE(session.status, 200);
        QCOMPARE(session.json().value(u"state"_s).toString(), u"ready"_s);
        QCOMPARE(session.json().value(u"question"_s).toString(), u"Which act goes through?"_s);
        QCOMPARE(session.json().value(u"options"_s).toArray().size(), 4);
        QCOMPARE(session.header("Access-Control-Allow-Origin"), QByteArray("*"));
        QCOMPARE(client.get(u"/healthz"_s).status, 200);
        QCOMPARE(client.get(u"/readyz"_s).status, 200);
        QCOMPARE(engine->ingestUrl(), u"http://127.0.0.1:%1/v1/votes"_s.arg(engine->port()));
    }

    void consoleFiguresOfThePipeline()
    {
        auto engine = startEngine(SystemClock::instance(), 12'345);
        QVERIFY(engine);
        QCOMPARE(engine->queueCapacity(), 12'345);

        // The database and its WAL exist once the store is open; the figure counts both (the
        // writer may still be appending to the WAL, so compare with what cannot shrink).
        const QString path = engine->databasePath();
        const qint64 size = engine->storeSizeBytes();
        QVERIFY2(size >= QFileInfo(path).size() && size > 0, qPrintable(QString::number(size)));
        QVERIFY(QFileInfo::exists(path + u"-wal"_s));
        // Asked again within the second: the cached figure, no new stat().
        QCOMPARE(engine->storeSizeBytes(), size);

        // Uptime runs on the sampler's clock: a sample taken now is no later than the uptime.
        const qint64 first = engine->uptimeMs();
        QTest::qWait(30);
        QVERIFY(engine->uptimeMs() >= first + 30);
        QTRY_VERIFY_WITH_TIMEOUT(engine->latestMetrics().atMs != 0, 3000);
        QVERIFY(engine->latestMetrics().atMs <= engine->uptimeMs() + 1);

        engine->stop();
        QCOMPARE(engine->uptimeMs(), 0);
    }

    void voteBeforeOpenIsRefused()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        const auto response = client.vote(u"u1"_s, u"B"_s);
        QCOMPARE(response.status, 409);
        QCOMPARE(response.json().value(u"error"_s).toString(), u"window_not_open"_s);
        QVERIFY(!response.json().value(u"message"_s).toString().isEmpty());
        QCOMPARE(engine->counters().rejected, 1);
        QCOMPARE(engine->counters().rejectedByReason.value(u"window_not_open"_s), 1);
        QCOMPARE(engine->tally()->accepted, 0);
    }

    void voteIsStoredTalliedAndExported()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        const auto opened = client.admin(u"open"_s);
        QCOMPARE(opened.status, 200);
        QCOMPARE(opened.json().value(u"state"_s).toString(), u"open"_s);
        QVERIFY(opened.json().value(u"remaining_ms"_s).toInteger() > 0);
        QCOMPARE(engine->windowStatus().state, WindowState::Open);

        const auto accepted = client.vote(u"u1"_s, u"B"_s);
        QCOMPARE(accepted.status, 202);
        QCOMPARE(accepted.json().value(u"status"_s).toString(), u"accepted"_s);
        const QString receipt = accepted.json().value(u"receipt"_s).toString();
        QVERIFY(!receipt.isEmpty());
        // Pages on other origins read their receipt (the answer is deferred to the commit);
        // the admin API is not readable cross-origin.
        QCOMPARE(accepted.header("Access-Control-Allow-Origin"), QByteArray("*"));
        QVERIFY(opened.header("Access-Control-Allow-Origin").isEmpty());

        // A 202 means stored: the row is in the file and in the tally right now.
        QCOMPARE(storedVotes(engine->session().id), (QList<QPair<QString, QString>>{{u"u1"_s, u"B"_s}}));
        QJsonObject results = client.adminResults();
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"B"_s).toInteger(), 1);
        QCOMPARE(results.value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 1);
        QCOMPARE(results.value(u"accepted"_s).toInteger(), 1);

        // The voter changes their mind: raw counts both, exact (last_wins) only the latest.
        QCOMPARE(client.vote(u"u1"_s, u"C"_s).status, 202);
        QCOMPARE(client.post(u"/v1/votes"_s, "voter=u2&option=C", "application/x-www-form-urlencoded").status,
                 202);
        const auto third = client.vote(u"u3"_s, u"A"_s);
        QCOMPARE(third.status, 202);
        QVERIFY(third.json().value(u"receipt"_s).toString() != receipt);
        results = client.adminResults();
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"B"_s).toInteger(), 1);
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"C"_s).toInteger(), 2);
        QCOMPARE(results.value(u"exact"_s).toObject().value(u"B"_s).toInteger(), 0);
        QCOMPARE(results.value(u"exact"_s).toObject().value(u"C"_s).toInteger(), 2);
        QCOMPARE(results.value(u"exact"_s).toObject().value(u"A"_s).toInteger(), 1);
        QCOMPARE(results.value(u"unique_voters"_s).toInteger(), 3);
        QCOMPARE(engine->tally()->uniqueVoters, 3);

        // Nothing leaves the building before the operator publishes (visibility on_publish).
        const auto unpublished = client.get(u"/v1/results.csv"_s);
        QCOMPARE(unpublished.status, 404);
        QCOMPARE(unpublished.json().value(u"error"_s).toString(), u"not_published"_s);
        const auto published = client.admin(u"publish"_s);
        QCOMPARE(published.status, 200);
        QCOMPARE(published.json().value(u"version"_s).toInteger(), 1);

        // The broadcast CSV of the exact tally.
        const auto csv = client.get(u"/v1/results.csv"_s);
        QCOMPARE(csv.status, 200);
        QVERIFY(csv.header("Content-Type").startsWith("text/csv"));
        QCOMPARE(csv.body, QByteArray("rank,key,label,votes,percent\r\n"
                                      "1,C,Act C,2,66.7\r\n"
                                      "2,A,Act A,1,33.3\r\n"
                                      "3,B,Act B,0,0.0\r\n"
                                      "3,D,Act D,0,0.0\r\n"));
        const ResultTable table = ResultTable::compute(engine->session(), engine->tally()->exact);
        QCOMPARE(CsvWriter::longForm(table, {}), csv.body);

        // The public JSON results carry an ETag and answer 304 when nothing changed.
        const auto json = client.get(u"/v1/results"_s);
        QCOMPARE(json.status, 200);
        QCOMPARE(json.json().value(u"total"_s).toInteger(), 3);
        const QByteArray etag = json.header("ETag");
        QVERIFY(!etag.isEmpty());
        QCOMPARE(client.get(u"/v1/results"_s, {{"If-None-Match", etag}}).status, 304);

        const QString metrics = QString::fromUtf8(client.get(u"/metrics"_s).body);
        QVERIFY(metrics.contains(u"votedesk_votes_persisted_total 4"_s));
    }

    void everyInvalidVoteGetsItsCodeAndIsCounted_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::newRow("invalid json")
            << QByteArray("application/json") << QByteArray("{voter:") << 400 << u"invalid_json"_s;
        QTest::newRow("not an object")
            << QByteArray("application/json") << QByteArray("[1,2]") << 400 << u"invalid_json"_s;
        QTest::newRow("missing voter")
            << QByteArray("application/json") << QByteArray(R"({"option":"A"})") << 400 << u"missing_field"_s;
        QTest::newRow("missing option")
            << QByteArray("application/json") << QByteArray(R"({"voter":"u1"})") << 400 << u"missing_field"_s;
        QTest::newRow("bad voter chars")
            << QByteArray("application/json") << QByteArray(R"({"voter":"u 1","option":"A"})") << 400
            << u"invalid_voter"_s;
        QTest::newRow("voter too long")
            << QByteArray("application/json")
            << ("{\"voter\":\"" + QByteArray(65, 'x') + "\",\"option\":\"A\"}") << 400 << u"invalid_voter"_s;
        QTest::newRow("number voter")
            << QByteArray("application/json") << QByteArray(R"({"voter":7,"option":"A"})") << 400
            << u"invalid_voter"_s;
        QTest::newRow("unknown option")
            << QByteArray("application/json") << QByteArray(R"({"voter":"u1","option":"Z"})") << 400
            << u"unknown_option"_s;
        QTest::newRow("text/plain") << QByteArray("text/plain") << QByteArray("u1,A") << 415
                                    << u"unsupported_media_type"_s;
        QTest::newRow("too large") << QByteArray("application/json") << QByteArray(5000, ' ') << 413
                                   << u"payload_too_large"_s;
    }

    void everyInvalidVoteGetsItsCodeAndIsCounted()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        const auto response = client.post(u"/v1/votes"_s, body, contentType);
        QCOMPARE(response.status, status);
        QCOMPARE(response.json().value(u"error"_s).toString(), code);
        QTRY_COMPARE(engine->counters().rejectedByReason.value(code), 1);
        QCOMPARE(engine->counters().rejected, 1);
        QCOMPARE(client.adminResults().value(u"rejected"_s).toInteger(), 1);
        QCOMPARE(engine->tally()->accepted, 0);
        QVERIFY(storedVotes(engine->session().id).isEmpty());
    }

    void closeFreezesResultsAndRefusesLateVotes()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QSignalSpy windowChanged(engine.get(), &ConsoleBackend::windowChanged);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"u1"_s, u"A"_s).status, 202);
        QCOMPARE(client.vote(u"u2"_s, u"D"_s).status, 202);

        const auto closed = client.admin(u"close"_s);
        QCOMPARE(closed.status, 200);
        QVERIFY(closed.json().value(u"closed_at"_s).toString().size() > 0);
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(client.adminResults().value(u"state"_s).toString(), u"closed"_s);
        QVERIFY(windowChanged.count() >= 3); // opened, closing, closed

        const quint64 frozenVersion = engine->tally()->version;
        const auto late = client.vote(u"u3"_s, u"A"_s);
        QCOMPARE(late.status, 409);
        QCOMPARE(late.json().value(u"error"_s).toString(), u"window_closed"_s);
        QCOMPARE(engine->counters().late, 1);
        QCOMPARE(engine->tally()->version, frozenVersion);
        QCOMPARE(engine->tally()->accepted, 2);

        // Window control refuses what the state machine refuses, with a code.
        const auto reopen = client.admin(u"open"_s);
        QCOMPARE(reopen.status, 409);
        QCOMPARE(reopen.json().value(u"error"_s).toString(), u"window_closed"_s);
        QString error;
        QVERIFY(!engine->extendLines(30, &error));
        QVERIFY(error.contains(u"closed"_s));
    }

    void adminRefusesBadActions()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"close"_s).json().value(u"error"_s).toString(), u"window_not_open"_s);
        QCOMPARE(client.admin(u"explode"_s).status, 400);
        QCOMPARE(client.post(u"/v1/admin/window"_s, "{").status, 400);
        QCOMPARE(
            client.post(u"/v1/admin/window"_s, "action=open", "application/x-www-form-urlencoded").status,
            415);
        QCOMPARE(client.get(u"/v1/nothing"_s).status, 404);
        QCOMPARE(client.get(u"/v1/votes"_s).status, 405);
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.admin(u"open"_s).json().value(u"error"_s).toString(), u"window_open"_s);
    }

    void extendMovesTheCloseInstant()
    {
        ManualClock clock;
        auto engine = startEngine(clock);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        const qint64 closesAt = engine->windowStatus().closesAtMs;
        QCOMPARE(closesAt, clock.nowMs() + engine->session().windowMs);
        const auto extended = client.admin(u"extend"_s, 30);
        QCOMPARE(extended.status, 200);
        QCOMPARE(engine->windowStatus().closesAtMs, closesAt + 30'000);
        QCOMPARE(extended.json().value(u"closes_at_ms"_s).toInteger(), closesAt + 30'000);
    }

    void windowClosesOnTimeByTheClock()
    {
        ManualClock clock;
        auto engine = startEngine(clock);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QVERIFY(engine->openLines(nullptr));
        QCOMPARE(client.vote(u"early"_s, u"A"_s).status, 202);

        clock.advanceMs(engine->session().windowMs - 1);
        engine->checkDeadline();
        QCOMPARE(engine->windowStatus().state, WindowState::Open);
        QCOMPARE(client.vote(u"last-ms"_s, u"B"_s).status, 202);

        clock.advanceMs(1); // the close instant itself is already closed
        const auto late = client.vote(u"late"_s, u"A"_s);
        QCOMPARE(late.status, 409);
        QCOMPARE(late.json().value(u"error"_s).toString(), u"window_closed"_s);
        engine->checkDeadline();
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(engine->windowStatus().closedAtMs, engine->windowStatus().closesAtMs);
        QCOMPARE(engine->tally()->accepted, 2);
    }

    void restartKeepsEveryAcknowledgedVote()
    {
        QList<QString> receipts;
        qint64 sessionId = 0;
        std::vector<qint64> exactBefore;
        {
            auto engine = startEngine();
            QVERIFY(engine);
            sessionId = engine->session().id;
            HttpClient client(engine->port());
            QCOMPARE(client.admin(u"open"_s).status, 200);
            for (int i = 0; i < 40; ++i) {
                const auto response = client.vote(u"voter-%1"_s.arg(i % 25), QString(QChar(u'A' + i % 4)));
                QCOMPARE(response.status, 202);
                receipts.append(response.json().value(u"receipt"_s).toString());
            }
            QCOMPARE(client.post(u"/v1/votes"_s, "{", "application/json").status, 400);
            QCOMPARE(client.admin(u"close"_s).status, 200);
            QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
            exactBefore = engine->tally()->exact;
            engine->stop();
        }
        QCOMPARE(storedVotes(sessionId).size(), 40);

        auto engine = startEngine();
        QVERIFY(engine);
        QCOMPARE(engine->session().id, sessionId);
        QCOMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(engine->tally()->accepted, 40);
        QCOMPARE(engine->tally()->uniqueVoters, 25);
        QCOMPARE(engine->tally()->exact, exactBefore);
        QCOMPARE(engine->counters().rejectedByReason.value(u"invalid_json"_s), 1);
        QCOMPARE(QSet<QString>(receipts.begin(), receipts.end()).size(), 40); // receipts are unique
    }

    void restartWhileOpenResumesTheCountdown()
    {
        ManualClock clock;
        qint64 closesAt = 0;
        {
            auto engine = startEngine(clock);
            QVERIFY(engine);
            QVERIFY(engine->openLines(nullptr));
            closesAt = engine->windowStatus().closesAtMs;
            HttpClient client(engine->port());
            QCOMPARE(client.vote(u"u1"_s, u"A"_s).status, 202);
        }
        clock.advanceMs(10'000);
        {
            auto engine = startEngine(clock);
            QVERIFY(engine);
            QCOMPARE(engine->windowStatus().state, WindowState::Open);
            QCOMPARE(engine->windowStatus().closesAtMs, closesAt);
            QCOMPARE(engine->tally()->accepted, 1);
            HttpClient client(engine->port());
            QCOMPARE(client.vote(u"u2"_s, u"B"_s).status, 202);
        }
        // Down past the close instant: the window comes back closed, with both votes.
        clock.setNowMs(closesAt + 60'000);
        auto engine = startEngine(clock);
        QVERIFY(engine);
        QTRY_COMPARE(engine->windowStatus().state, WindowState::Closed);
        QCOMPARE(engine->windowStatus().closedAtMs, closesAt);
        QCOMPARE(engine->tally()->accepted, 2);
    }

    void secondInstanceOnTheSameDatabaseIsRefused()
    {
        auto first = startEngine();
        QVERIFY(first);
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        Engine second(options);
        QString error;
        QVERIFY(!second.start(&error));
        QVERIFY2(error.contains(u"in use"_s), qPrintable(error));
    }

    void portInUseIsReported()
    {
        auto first = startEngine();
        QVERIFY(first);
        QTemporaryDir other;
        Engine::Options options;
        options.databasePath = other.filePath(u"votedesk.db"_s);
        options.port = first->port();
        Engine second(options);
        QString error;
        QVERIFY(!second.start(&error));
        QVERIFY2(error.contains(QString::number(first->port())), qPrintable(error));
    }

    void createSessionMakesItCurrent()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QSignalSpy sessionChanged(engine.get(), &ConsoleBackend::sessionChanged);
        HttpClient client(engine->port());
        const QJsonObject definition{
            {u"title"_s, u"Semi-final"_s},
            {u"question"_s, u"Who stays?"_s},
            {u"window_seconds"_s, 90},
            {u"policy"_s, u"first_wins"_s},
            {u"options"_s,
             QJsonArray{
                 QJsonObject{{u"key"_s, u"X"_s}, {u"label"_s, u"Xavier"_s}},
                 QJsonObject{{u"key"_s, u"Y"_s}, {u"label"_s, u"Yasmin"_s}, {u"colour"_s, u"#112233"_s}}}}};
        const auto created = client.postJson(u"/v1/admin/sessions"_s, definition);
        QCOMPARE(created.status, 201);
        const qint64 id = created.json().value(u"id"_s).toInteger();
        QVERIFY(id > 1);
        QCOMPARE(sessionChanged.count(), 1);
        QCOMPARE(engine->session().title, u"Semi-final"_s);
        QCOMPARE(engine->session().policy, VotePolicy::FirstWins);
        QCOMPARE(client.get(u"/v1/session"_s).json().value(u"question"_s).toString(), u"Who stays?"_s);

        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"v"_s, u"Y"_s).status, 202);
        QCOMPARE(client.vote(u"v"_s, u"X"_s).status, 202);
        QCOMPARE(client.vote(u"w"_s, u"A"_s).json().value(u"error"_s).toString(), u"unknown_option"_s);
        const QJsonObject results = client.adminResults();
        QCOMPARE(results.value(u"session"_s).toInteger(), id);
        QCOMPARE(results.value(u"exact"_s).toObject().value(u"Y"_s).toInteger(), 1); // first wins
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"X"_s).toInteger(), 1);

        // No switching while the lines are open.
        const auto busy = client.postJson(u"/v1/admin/sessions"_s, definition);
        QCOMPARE(busy.status, 409);
        QCOMPARE(busy.json().value(u"error"_s).toString(), u"window_open"_s);

        QJsonObject invalid = definition;
        invalid.insert(u"options"_s, QJsonArray{QJsonObject{{u"key"_s, u"X"_s}}});
        QCOMPARE(client.postJson(u"/v1/admin/sessions"_s, invalid).status, 400);

        // The new session is the current one after a restart.
        engine.reset();
        engine = startEngine();
        QVERIFY(engine);
        QCOMPARE(engine->session().id, id);
        QCOMPARE(engine->tally()->accepted, 2);
    }

    void concurrentClientsEveryAckIsStoredAndNothingElse()
    {
        // A small queue so that some votes are refused (503) while others are taken: every
        // 202 must be in the store with its receipt, and no refused vote may be.
        auto engine = startEngine(SystemClock::instance(), 150);
        QVERIFY(engine);
        QVERIFY(engine->openLines(nullptr));
        constexpr int kClients = 40;
        constexpr int kVotesPerClient = 50;
        std::vector<std::unique_ptr<PipelinedClient>> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.push_back(std::make_unique<PipelinedClient>(engine->port()));
            QVERIFY(clients.back()->waitConnected());
        }
        for (int c = 0; c < kClients; ++c) {
            for (int v = 0; v < kVotesPerClient; ++v) {
                clients[std::size_t(c)]->sendVote("c" + QByteArray::number(c) + "-v" + QByteArray::number(v),
                                                  QByteArray(1, char('A' + (c + v) % 4)));
            }
        }
        QTRY_VERIFY_WITH_TIMEOUT(
            std::all_of(clients.begin(), clients.end(),
                        [](const auto &client) { return client->poll() == kVotesPerClient; }),
            30'000);

        QMap<QString, QString> ackedReceipts; // voter -> receipt
        int refused = 0;
        for (int c = 0; c < kClients; ++c) {
            const auto &answers = clients[std::size_t(c)]->answers();
            for (int v = 0; v < kVotesPerClient; ++v) {
                const auto &answer = answers[v];
                const QString voter = u"c%1-v%2"_s.arg(c).arg(v);
                if (answer.status == 202) {
                    ackedReceipts.insert(
                        voter, QJsonDocument::fromJson(answer.body).object().value(u"receipt"_s).toString());
                } else {
                    QCOMPARE(answer.status, 503);
                    QVERIFY(answer.headers.contains("Retry-After: "));
                    QCOMPARE(QJsonDocument::fromJson(answer.body).object().value(u"error"_s).toString(),
                             u"overloaded"_s);
                    ++refused;
                }
            }
        }
        QCOMPARE(ackedReceipts.size() + refused, kClients * kVotesPerClient);
        QVERIFY(!ackedReceipts.isEmpty());

        const auto stored = storedVotesWithSeq(engine->session().id);
        QCOMPARE(stored.size(), ackedReceipts.size());
        for (const auto &[seq, voter] : stored) {
            QVERIFY2(ackedReceipts.contains(voter),
                     qPrintable(voter + u" is stored but was not acknowledged"_s));
            QCOMPARE(ackedReceipts.value(voter), u"%1-%2"_s.arg(engine->session().id).arg(seq));
        }
        QCOMPARE(engine->tally()->accepted, qint64(ackedReceipts.size()));
        QCOMPARE(engine->counters().rejectedByReason.value(u"overloaded"_s), refused);
    }

    void fullQueueAnswers503WithRetryAfter()
    {
        auto engine = startEngine(SystemClock::instance(), 5);
        QVERIFY(engine);
        QVERIFY(engine->openLines(nullptr));
        // Hold the database's write lock so the writer cannot commit: the five admitted votes
        // stay in the pipeline and fill it.
        QSqlDatabase blocker = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"blocker"_s);
        blocker.setDatabaseName(m_dir->filePath(u"votedesk.db"_s));
        QVERIFY(blocker.open());
        QSqlQuery lock(blocker);
        QVERIFY(lock.exec(u"BEGIN IMMEDIATE"_s));

        PipelinedClient client(engine->port());
        QVERIFY(client.waitConnected());
        for (int v = 0; v < 5; ++v)
            client.sendVote("held-" + QByteArray::number(v), "A");
        QTRY_COMPARE(engine->counters().queueDepth, 5);
        PipelinedClient second(engine->port());
        QVERIFY(second.waitConnected());
        second.sendVote("overflow", "B");
        QTRY_COMPARE(second.poll(), 1);
        const auto &refused = second.answers().first();
        QCOMPARE(refused.status, 503);
        QVERIFY(refused.headers.contains("Retry-After: 1"));
        QCOMPARE(QJsonDocument::fromJson(refused.body).object().value(u"error"_s).toString(),
                 u"overloaded"_s);
        QCOMPARE(engine->counters().rejectedByReason.value(u"overloaded"_s), 1);
        QCOMPARE(client.poll(), 0); // the held votes are not answered before they are stored

        QVERIFY(lock.exec(u"ROLLBACK"_s));
        lock.finish();
        QTRY_COMPARE_WITH_TIMEOUT(client.poll(), 5, 10'000);
        for (const auto &answer : client.answers())
            QCOMPARE(answer.status, 202);
        QCOMPARE(storedVotes(engine->session().id).size(), 5);
        blocker.close();
        blocker = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"blocker"_s);
    }

    void voteLogExportPagesThroughTheLog()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        HttpClient client(engine->port());
        QVERIFY(engine->openLines(nullptr));
        QStringList receipts;
        for (int i = 0; i < 7; ++i)
            receipts.append(client.vote(u"log-%1"_s.arg(i), u"C"_s).json().value(u"receipt"_s).toString());
        const auto all = client.get(u"/v1/admin/votes"_s);
        QCOMPARE(all.status, 200);
        QCOMPARE(all.header("X-Votedesk-Session"), QByteArray::number(engine->session().id));
        const QList<QByteArray> lines = all.body.trimmed().split('\n');
        QCOMPARE(lines.size(), 8);
        QCOMPARE(lines[0].trimmed(), QByteArray("seq,voter,option,received_at_ms"));
        for (int i = 0; i < 7; ++i) {
            const QList<QByteArray> fields = lines[i + 1].trimmed().split(',');
            QCOMPARE(u"%1-%2"_s.arg(engine->session().id).arg(QString::fromLatin1(fields[0])), receipts[i]);
            QCOMPARE(fields[1], "log-" + QByteArray::number(i));
            QCOMPARE(fields[2], QByteArray("C"));
        }
        const qint64 third = lines[3].split(',')[0].toLongLong();
        const auto page = client.get(u"/v1/admin/votes?after=%1&limit=2"_s.arg(third));
        QCOMPARE(page.status, 200);
        const QList<QByteArray> pageLines = page.body.trimmed().split('\n');
        QCOMPARE(pageLines.size(), 3);
        QCOMPARE(pageLines[1].split(',')[1], QByteArray("log-3"));
        QCOMPARE(pageLines[2].split(',')[1], QByteArray("log-4"));
        QCOMPARE(client.get(u"/v1/admin/votes?limit=0"_s).status, 400);
        QCOMPARE(client.get(u"/v1/admin/votes?after=x"_s).status, 400);
    }

    void servesTheAudiencePageUnlessTurnedOff()
    {
        {
            auto engine = startEngine();
            QVERIFY(engine);
            HttpClient client(engine->port());
            const auto page = client.get(u"/"_s);
            QCOMPARE(page.status, 200);
            QVERIFY(page.header("Content-Type").startsWith("text/html"));
            QVERIFY(page.body.contains("/audience.js"));
            QVERIFY(page.header("Content-Security-Policy").contains("frame-ancestors 'none'"));
            QCOMPARE(client.get(u"/vote"_s).body, page.body);
            QVERIFY(client.get(u"/audience.js"_s).header("Content-Type").startsWith("text/javascript"));
            QCOMPARE(client.get(u"/"_s, {{"If-None-Match", page.header("ETag")}}).status, 304);
        }
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.serveAudiencePage = false;
        Engine engine(options);
        QVERIFY(engine.start(nullptr));
        HttpClient client(engine.port());
        QCOMPARE(client.get(u"/"_s).status, 404);
        QCOMPARE(client.get(u"/audience.js"_s).status, 404);
    }

    void pipelinedVotesAreAnsweredInOrder()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QVERIFY(engine->openLines(nullptr));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, engine->port());
        QVERIFY(socket.waitForConnected(5000));
        QByteArray requests;
        for (int i = 0; i < 10; ++i) {
            const QByteArray body = "{\"voter\":\"p" + QByteArray::number(i) + "\",\"option\":\"A\"}";
            requests +=
                "POST /v1/votes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                QByteArray::number(body.size()) + "\r\n\r\n" + body;
        }
        requests += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        socket.write(requests);
        QByteArray answers;
        QTRY_VERIFY((answers += socket.readAll()).count("HTTP/1.1 ") == 11);
        QCOMPARE(answers.count("HTTP/1.1 202 "), 10);
        // The health answer was ready first but must come last.
        QVERIFY(answers.lastIndexOf("HTTP/1.1 200 ") > answers.lastIndexOf("HTTP/1.1 202 "));
        QCOMPARE(engine->tally()->accepted, 10);
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
