// votedesk-loadgen end to end: the built binary against a real core Engine in this process
// (loopback, port 0) and against a stub that answers 503 + Retry-After. A clean run is
// verified; a vote deleted from or slipped into the store afterwards makes the verification
// fail; Retry-After is honoured; a server that goes away is "could not verify", never success.
// With an admin token on the server, the loadgen's admin calls carry it, from afar too (through
// a proxy the server trusts), and a missing or wrong one is named.
#include <memory>
#include <sys/stat.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"
#include "integration/httpclient.h"
#include "loadshape.h"

using namespace Qt::Literals::StringLiterals;

// Answers POST /v1/votes with 503 + Retry-After: 1 the first time it sees a voter (or every
// time, when told to) and 202 with a receipt afterwards; GET /v1/session with a two-option
// session. Remembers, per voter, how long after its 503 the retry arrived.
class RetryStub final : public QObject
{
    Q_OBJECT

public:
    explicit RetryStub(bool alwaysRefuse)
        : m_alwaysRefuse(alwaysRefuse)
    {
        m_clock.start();
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { serve(socket); });
            }
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }

    quint16 port() const { return m_server.serverPort(); }
    const QMap<QByteArray, int> &attempts() const { return m_attempts; }
    const QList<qint64> &retryWaitsMs() const { return m_waitsMs; }

private:
    void serve(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        QByteArray out;
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                break;
            const QByteArray head = buffer.left(end);
            static const QRegularExpression lengthRx(u"content-length:\\s*(\\d+)"_s,
                                                     QRegularExpression::CaseInsensitiveOption);
            const auto match = lengthRx.match(QString::fromLatin1(head));
            const qsizetype length = match.hasMatch() ? match.captured(1).toLongLong() : 0;
            if (buffer.size() < end + 4 + length)
                break;
            const QByteArray body = buffer.mid(end + 4, length);
            buffer.remove(0, end + 4 + length);
            out += answer(head, body);
        }
        socket->write(out);
    }

    QByteArray answer(const QByteArray &head, const QByteArray &body)
    {
        auto response = [](const QByteArray &status, const QByteArray &extra,
                           const QByteArray &json) -> QByteArray {
            return "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                   QByteArray::number(json.size()) + "\r\n" + extra + "\r\n" + json;
        };
        if (head.startsWith("GET /v1/session ")) {
            return response("200 OK", {},
                            "{\"id\":1,\"state\":\"open\",\"policy\":\"last_wins\","
                            "\"options\":[{\"key\":\"A\"},{\"key\":\"B\"}]}");
        }
        if (!head.startsWith("POST /v1/votes "))
            return response("404 Not Found", {}, "{\"error\":\"not_found\",\"message\":\"no\"}");
        const QByteArray voter = QJsonDocument::fromJson(body).object().value(u"voter"_s).toString().toUtf8();
        const int attempt = ++m_attempts[voter];
        const qint64 nowMs = m_clock.nsecsElapsed() / 1'000'000;
        if (attempt > 1)
            m_waitsMs.append(nowMs - m_refusedAtMs.value(voter));
        if (m_alwaysRefuse || attempt == 1) {
            m_refusedAtMs[voter] = nowMs;
            return response("503 Service Unavailable", "Retry-After: 1\r\n",
                            "{\"error\":\"overloaded\",\"message\":\"retry shortly\"}");
        }
        return response("202 Accepted", {},
                        "{\"status\":\"accepted\",\"receipt\":\"1-" + QByteArray::number(++m_seq) + "\"}");
    }

    const bool m_alwaysRefuse;
    QTcpServer m_server;
    QElapsedTimer m_clock;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QMap<QByteArray, int> m_attempts;
    QHash<QByteArray, qint64> m_refusedAtMs;
    QList<qint64> m_waitsMs;
    qint64 m_seq = 0;
};

// Stands between the loadgen and the engine as a proxy on another machine would: each
// connection is relayed as is, with "X-Forwarded-For: 203.0.113.7" added to its first request,
// so the engine, which trusts this proxy, treats the loadgen as a remote client. The loadgen's
// admin calls are one request per connection, so every one of them comes "from afar"; its vote
// connections carry the header on their first request only, which votes do not need.
class ForwardingProxy final : public QObject
{
    Q_OBJECT

public:
    explicit ForwardingProxy(quint16 upstreamPort)
        : m_upstreamPort(upstreamPort)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *client = m_server.nextPendingConnection())
                relay(client);
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }

    quint16 port() const { return m_server.serverPort(); }

private:
    void relay(QTcpSocket *client)
    {
        client->setParent(this);
        auto *upstream = new QTcpSocket(this);
        auto head = std::make_shared<QByteArray>(); // the first request line, until it is complete
        auto forwarded = std::make_shared<bool>(false);
        // Written while connecting is buffered by QAbstractSocket and sent once connected.
        upstream->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
        connect(client, &QTcpSocket::readyRead, this, [=] {
            QByteArray bytes = client->readAll();
            if (!*forwarded) {
                *head += bytes;
                const qsizetype lineEnd = head->indexOf("\r\n");
                if (lineEnd < 0)
                    return;
                head->insert(lineEnd + 2, "X-Forwarded-For: 203.0.113.7\r\n");
                *forwarded = true;
                bytes = std::exchange(*head, {});
            }
            upstream->write(bytes);
        });
        connect(upstream, &QTcpSocket::readyRead, this, [=] { client->write(upstream->readAll()); });
        connect(client, &QTcpSocket::disconnected, upstream, &QTcpSocket::disconnectFromHost);
        connect(upstream, &QTcpSocket::disconnected, this, [=] {
            client->write(upstream->readAll());
            client->disconnectFromHost();
        });
    }

    const quint16 m_upstreamPort;
    QTcpServer m_server;
};

class TestLoadgen final : public QObject
{
    Q_OBJECT

private:
    struct Run
    {
        int exitCode = -1;
        QString out;
        QString err;
        QJsonObject report;
    };

    // adminToken: the server's; its admin API then believes X-Forwarded-For from loopback (the
    // ForwardingProxy), so a client can be remote here.
    std::unique_ptr<Engine> startEngine(qsizetype queueCapacity = 100'000, const QByteArray &adminToken = {})
    {
        Engine::Options options;
        if (!adminToken.isEmpty()) {
            options.access.adminToken = adminToken;
            options.access.trustedProxies.push_back(*IpRange::parse(u"127.0.0.1"_s));
        }
        options.queueCapacity = queueCapacity;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.workersMax = 2;
        options.durability = Durability::Normal; // the test is about counting, not fsync
        auto engine = std::make_unique<Engine>(options);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    QString url(quint16 port) const { return u"http://127.0.0.1:%1"_s.arg(port); }
    QString path(const QString &name) const { return m_dir->filePath(name); }

    void waitFor(QProcess &process, int timeoutMs)
    {
        // The event loop keeps running meanwhile: the engine's admin actions are queued to
        // this thread.
        QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, timeoutMs);
    }

    void start(QProcess &process, const QStringList &arguments)
    {
        process.setProgram(QStringLiteral(VOTEDESK_LOADGEN_BINARY));
        process.setArguments(arguments);
        process.start();
        QVERIFY(process.waitForStarted(10'000));
    }

    Run finish(QProcess &process, const QString &report = {})
    {
        Run run;
        waitFor(process, 60'000);
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = QString::fromUtf8(process.readAllStandardOutput());
        run.err = QString::fromUtf8(process.readAllStandardError());
        if (!report.isEmpty()) {
            QFile file(report);
            if (file.open(QIODevice::ReadOnly))
                run.report = QJsonDocument::fromJson(file.readAll()).object();
        }
        return run;
    }

    Run loadgen(const QStringList &arguments, const QString &report = {},
                const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
    {
        QProcess process;
        process.setProcessEnvironment(environment);
        start(process, arguments);
        return finish(process, report);
    }

    static QProcessEnvironment withoutAdminToken()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(u"VOTEDESK_ADMIN_TOKEN"_s);
        return environment;
    }

    // A token file with this content and mode; empty on failure.
    QString tokenFile(const QByteArray &token, mode_t mode)
    {
        static int n = 0;
        const QString file = path(u"admin-%1.token"_s.arg(++n));
        QFile out(file);
        if (!out.open(QIODevice::WriteOnly) || out.write(token + '\n') != token.size() + 1)
            return {};
        out.close();
        return ::chmod(QFile::encodeName(file).constData(), mode) == 0 ? file : QString();
    }

    // One sample of the engine's /metrics ("name" or "name{label=\"value\"}"); -1 when absent.
    static double metric(quint16 port, const QByteArray &series)
    {
        HttpClient http(port);
        const HttpClient::Response response = http.get(u"/metrics"_s);
        for (const QByteArray &line : response.body.split('\n')) {
            if (line.startsWith(QByteArray(series + ' ')))
                return line.mid(series.size() + 1).toDouble();
        }
        return -1;
    }

    // A second connection to the store, as an intruder (or a bug) would write to it.
    bool tamper(const QString &sql)
    {
        bool ok = false;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"tamper"_s);
            db.setDatabaseName(path(u"votedesk.db"_s));
            db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=5000"_s);
            if (db.open()) {
                QSqlQuery query(db);
                ok = query.exec(sql) && query.numRowsAffected() == 1;
                if (!ok)
                    qWarning() << query.lastError().text();
            }
        }
        QSqlDatabase::removeDatabase(u"tamper"_s);
        return ok;
    }

    static QString explain(const Run &run)
    {
        return u"exit %1\n%2\n%3"_s.arg(run.exitCode).arg(run.out, run.err);
    }

    // A small verified run with --record, for the tamper tests to spoil.
    void recordedRun(Engine &engine, const QString &record)
    {
        const Run run = loadgen({u"--url"_s, url(engine.port()), u"--new-session"_s, u"--rate"_s, u"300"_s,
                                 u"--duration"_s, u"1s"_s, u"--connections"_s, u"2"_s, u"--verify"_s,
                                 u"--record"_s, record, u"--quiet"_s});
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"VERDICT: VERIFIED"_s), qPrintable(explain(run)));
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void cleanSpikeIsVerified()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        const QString report = path(u"report.json"_s);
        const QString chart = path(u"chart.html"_s);
        const Run run = loadgen({u"--url"_s,
                                 url(engine->port()),
                                 u"--new-session"_s,
                                 u"--profile"_s,
                                 u"spike:peak=600,rise=500ms,decay=1s,base=50"_s,
                                 u"--voters"_s,
                                 u"300"_s,
                                 u"--repeat-ratio"_s,
                                 u"0.3"_s,
                                 u"--invalid-ratio"_s,
                                 u"0.05"_s,
                                 u"--options"_s,
                                 u"A:40,B:30,C:20,D:10"_s,
                                 u"--connections"_s,
                                 u"4"_s,
                                 u"--pipeline"_s,
                                 u"8"_s,
                                 u"--seed"_s,
                                 u"5"_s,
                                 u"--verify"_s,
                                 u"--report"_s,
                                 report,
                                 u"--chart"_s,
                                 chart},
                                report);
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"VERDICT: VERIFIED"_s), qPrintable(explain(run)));
        QVERIFY2(run.err.contains(u"[   1s] sent"_s), qPrintable(run.err)); // the progress line

        // The shape's count, exactly: every vote the schedule made due was sent.
        const qint64 planned = LoadShape::spike(600, 500, 1000, 50).dueBy(1500);
        QCOMPARE(run.report.value(u"planned"_s).toInteger(), planned);
        QCOMPARE(run.report.value(u"sent"_s).toInteger(), planned);
        const qint64 acked = run.report.value(u"acked"_s).toInteger();
        QCOMPARE(acked + run.report.value(u"4xx"_s).toInteger(), planned);
        QVERIFY(run.report.value(u"4xx"_s).toInteger() > 0); // the malformed votes were refused...
        QCOMPARE(run.report.value(u"unexpected_answers"_s).toInteger(), 0); // ...each with its own code
        QCOMPARE(engine->tally()->accepted, acked);
        QVERIFY(engine->tally()->uniqueVoters <= 300);
        const QJsonObject verdict = run.report.value(u"verdict"_s).toObject();
        QCOMPARE(verdict.value(u"outcome"_s).toString(), u"verified"_s);
        QCOMPARE(verdict.value(u"acked_found"_s).toInteger(), acked);
        QVERIFY(!run.report.value(u"seconds"_s).toArray().isEmpty());

        QFile html(chart);
        QVERIFY(html.open(QIODevice::ReadOnly));
        const QByteArray page = html.readAll();
        QVERIFY(page.contains("<svg"));
        QVERIFY(page.contains("VERDICT: VERIFIED"));
        QVERIFY(!page.contains("<script")); // self-contained, nothing fetched
    }

    void everyPolicyIsVerified_data()
    {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<int>("optionCap");
        QTest::newRow("last_wins") << u"last_wins"_s << 0;
        QTest::newRow("first_wins") << u"first_wins"_s << 0;
        QTest::newRow("unlimited") << u"unlimited"_s << 0;
        QTest::newRow("capped:3") << u"capped:3"_s << 0;
        QTest::newRow("capped:5, option cap 2") << u"capped:5"_s << 2;
        QTest::newRow("unlimited, option cap 1") << u"unlimited"_s << 1;
    }

    void everyPolicyIsVerified()
    {
        QFETCH(QString, policy);
        QFETCH(int, optionCap);
        auto engine = startEngine();
        QVERIFY(engine);
        const QString report = path(u"report.json"_s);
        // Few voters voting often: the policies (and caps) give visibly different exact tallies.
        QStringList arguments{u"--url"_s,
                              url(engine->port()),
                              u"--new-session"_s,
                              u"--policy"_s,
                              policy,
                              u"--profile"_s,
                              u"ramp:from=100,to=500"_s,
                              u"--duration"_s,
                              u"1s"_s,
                              u"--voters"_s,
                              u"40"_s,
                              u"--repeat-ratio"_s,
                              u"0.6"_s,
                              u"--connections"_s,
                              u"3"_s,
                              u"--verify"_s,
                              u"--report"_s,
                              report,
                              u"--quiet"_s};
        if (optionCap > 0)
            arguments << u"--option-cap"_s << QString::number(optionCap);
        const Run run = loadgen(arguments, report);
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"VERDICT: VERIFIED"_s), qPrintable(explain(run)));
        CountingRule expected;
        QVERIFY(CountingRule::parsePolicy(policy, &expected));
        expected.optionCap = optionCap;
        QCOMPARE(engine->session().rule(), expected);
        QVERIFY2(run.out.contains(u"(%1)"_s.arg(expected.describe())), qPrintable(explain(run)));
        QCOMPARE(run.report.value(u"planned"_s).toInteger(), 300); // (100 + 500) / 2 over 1 s
        QCOMPARE(run.report.value(u"acked"_s).toInteger(), 300);
        // The caps bit: fewer votes count than were stored (40 voters, 300 votes).
        if (expected.policy == VotePolicy::Capped || optionCap > 0) {
            qint64 exact = 0;
            for (const qint64 n : engine->tally()->exact)
                exact += n;
            QVERIFY2(exact < 300, qPrintable(QString::number(exact)));
        }
    }

    // --verify-record under capped:N with an option cap (it used to stop at "unknown policy",
    // exit 3): verified as recorded, and a log changed behind the server's back fails.
    void aCappedRunIsVerifiedFromItsRecord()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        const QString record = path(u"run.csv"_s);
        const Run run = loadgen({u"--url"_s, url(engine->port()), u"--new-session"_s, u"--policy"_s,
                                 u"capped:2"_s, u"--option-cap"_s, u"1"_s, u"--rate"_s, u"200"_s,
                                 u"--duration"_s, u"1s"_s, u"--voters"_s, u"10"_s, u"--repeat-ratio"_s,
                                 u"0.8"_s, u"--record"_s, record, u"--quiet"_s});
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        const Run verified = loadgen({u"--url"_s, url(engine->port()), u"--verify-record"_s, record});
        QVERIFY2(verified.exitCode == 0, qPrintable(explain(verified)));
        QVERIFY2(verified.out.contains(u"VERDICT: VERIFIED"_s) &&
                     verified.out.contains(u"(capped:2, at most 1 per option)"_s),
                 qPrintable(explain(verified)));
        const qint64 session = engine->session().id;
        QVERIFY(tamper(u"UPDATE votes SET option = CASE option WHEN 'A' THEN 'B' ELSE 'A' END WHERE seq = "
                       u"(SELECT seq FROM votes WHERE session_id = %1 ORDER BY seq LIMIT 1)"_s.arg(session)));
        const Run verify = loadgen({u"--url"_s, url(engine->port()), u"--verify-record"_s, record});
        QCOMPARE(verify.exitCode, 1);
        QVERIFY2(verify.out.contains(u"VERDICT: FAILED"_s), qPrintable(explain(verify)));
        QVERIFY2(!verify.out.contains(u"unknown policy"_s) && !verify.out.contains(u"COULD NOT VERIFY"_s),
                 qPrintable(explain(verify)));
    }

    void deletedVoteFailsVerification()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        const QString record = path(u"run.csv"_s);
        recordedRun(*engine, record);
        const qint64 session = engine->session().id;
        QVERIFY(tamper(u"DELETE FROM votes WHERE seq = (SELECT seq FROM votes WHERE session_id = %1 "
                       u"ORDER BY seq LIMIT 1 OFFSET 17)"_s.arg(session)));

        const Run run = loadgen({u"--url"_s, url(engine->port()), u"--verify-record"_s, record});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains(u"VERDICT: FAILED: 1 acknowledged votes are missing from the vote log"_s),
                 qPrintable(explain(run)));
        QVERIFY2(!run.out.contains(u"VERIFIED"_s), qPrintable(explain(run)));
    }

    void injectedVoteFailsVerification()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        const QString record = path(u"run.csv"_s);
        recordedRun(*engine, record);
        const qint64 session = engine->session().id;
        QVERIFY(tamper(u"INSERT INTO votes (seq, session_id, voter, option, received_at_ms) "
                       u"SELECT MAX(seq) + 1000, %1, 'intruder', 'A', 0 FROM votes"_s.arg(session)));

        const Run run = loadgen({u"--url"_s, url(engine->port()), u"--verify-record"_s, record});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains(u"VERDICT: FAILED"_s), qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"1 votes in the log were not sent by this run"_s),
                 qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"intruder for A"_s), qPrintable(explain(run)));
        // The server's live tally never saw the row: its counts disagree with its log too.
        QVERIFY2(run.out.contains(u"raw tally"_s), qPrintable(explain(run)));
    }

    void retryAfterIsHonoured()
    {
        RetryStub stub(false);
        QVERIFY(stub.port() != 0);
        const QString report = path(u"report.json"_s);
        QProcess process;
        start(process, {u"--url"_s, url(stub.port()), u"--rate"_s, u"10"_s, u"--duration"_s, u"1s"_s,
                        u"--connections"_s, u"2"_s, u"--report"_s, report, u"--quiet"_s});
        const Run run = finish(process, report);
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QCOMPARE(run.report.value(u"sent"_s).toInteger(), 10);
        QCOMPARE(run.report.value(u"retries"_s).toInteger(), 10);
        QCOMPARE(run.report.value(u"requests"_s).toInteger(), 20);
        QCOMPARE(run.report.value(u"acked"_s).toInteger(), 10);
        QCOMPARE(run.report.value(u"5xx"_s).toInteger(), 10);
        QCOMPARE(run.report.value(u"by_status"_s).toObject(), (QJsonObject{{u"202"_s, 10}}));
        QCOMPARE(stub.attempts().size(), 10);
        QCOMPARE(stub.retryWaitsMs().size(), 10);
        // The retry came no sooner than the server asked (a lower bound, not a timing race).
        for (qint64 waited : stub.retryWaitsMs())
            QVERIFY2(waited >= 1000, qPrintable(QString::number(waited)));
    }

    void overloadedServerIsRetriedAndVerified()
    {
        // A pipeline that holds two votes and a burst of 500: most get 503 overloaded and
        // come back after Retry-After. However the timing falls, a 503 must not be stored
        // and a retried vote must be stored once: the verdict does not depend on it.
        auto engine = startEngine(2);
        QVERIFY(engine);
        const QString report = path(u"report.json"_s);
        const Run run =
            loadgen({u"--url"_s, url(engine->port()), u"--new-session"_s, u"--rate"_s, u"10000"_s,
                     u"--duration"_s, u"50ms"_s, u"--connections"_s, u"16"_s, u"--pipeline"_s, u"8"_s,
                     u"--max-retries"_s, u"2"_s, u"--verify"_s, u"--report"_s, report, u"--quiet"_s},
                    report);
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"VERDICT: VERIFIED"_s), qPrintable(explain(run)));
        const qint64 acked = run.report.value(u"acked"_s).toInteger();
        QCOMPARE(engine->tally()->accepted, acked);
        QCOMPARE(acked + run.report.value(u"retries_given_up"_s).toInteger(), 500);
        qInfo() << "503 answers:" << run.report.value(u"5xx"_s).toInteger()
                << "retries:" << run.report.value(u"retries"_s).toInteger();
    }

    void retriesAreBounded()
    {
        RetryStub stub(true);
        const QString report = path(u"report.json"_s);
        QProcess process;
        start(process, {u"--url"_s, url(stub.port()), u"--rate"_s, u"5"_s, u"--duration"_s, u"1s"_s,
                        u"--max-retries"_s, u"2"_s, u"--report"_s, report, u"--quiet"_s});
        const Run run = finish(process, report);
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QCOMPARE(run.report.value(u"sent"_s).toInteger(), 5);
        QCOMPARE(run.report.value(u"retries"_s).toInteger(), 10);
        QCOMPARE(run.report.value(u"retries_given_up"_s).toInteger(), 5);
        for (int attempts : stub.attempts())
            QCOMPARE(attempts, 3);
    }

    void serverGoneCannotBeVerified()
    {
        auto engine = startEngine();
        QVERIFY(engine);
        QProcess process;
        start(process, {u"--url"_s, url(engine->port()), u"--new-session"_s, u"--rate"_s, u"200"_s,
                        u"--duration"_s, u"3s"_s, u"--connections"_s, u"2"_s, u"--verify"_s, u"--timeout"_s,
                        u"2s"_s, u"--drain-timeout"_s, u"2s"_s});
        // Once votes flow (the first progress line), the server goes away.
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += process.readAllStandardError()).contains("[   1s] sent"), 20'000);
        engine.reset();
        const Run run = finish(process);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.out.contains(u"VERDICT: COULD NOT VERIFY"_s), qPrintable(explain(run)));
        QVERIFY2(!run.out.contains(u"VERDICT: VERIFIED"_s), qPrintable(explain(run)));
    }

    void nothingListeningCannotBeVerified()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        const Run run =
            loadgen({u"--url"_s, url(port), u"--rate"_s, u"10"_s, u"--duration"_s, u"1s"_s, u"--verify"_s});
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains(u"could not verify"_s), qPrintable(explain(run)));
    }

    // Through a proxy the server trusts, the loadgen is a remote client: its admin calls
    // (create the session, open it, read results and the vote log) are let in by the token alone.
    void adminCallsCarryTheTokenFromAfar_data()
    {
        QTest::addColumn<bool>("fromEnvironment");
        QTest::newRow("--admin-token-file") << false;
        QTest::newRow("VOTEDESK_ADMIN_TOKEN") << true;
    }

    void adminCallsCarryTheTokenFromAfar()
    {
        QFETCH(bool, fromEnvironment);
        const QByteArray token = "loadgen-admin-token-0123456789";
        auto engine = startEngine(100'000, token);
        QVERIFY(engine);
        ForwardingProxy proxy(engine->port());
        QVERIFY(proxy.port() != 0);
        QStringList arguments{u"--url"_s,    url(proxy.port()),  u"--new-session"_s,
                              u"--rate"_s,   u"200"_s,           u"--duration"_s,
                              u"1s"_s,       u"--connections"_s, u"2"_s,
                              u"--verify"_s, u"--quiet"_s};
        QProcessEnvironment environment = withoutAdminToken();
        if (fromEnvironment) {
            environment.insert(u"VOTEDESK_ADMIN_TOKEN"_s, QString::fromLatin1(token));
        } else {
            const QString file = tokenFile(token, 0600);
            QVERIFY(!file.isEmpty());
            arguments << u"--admin-token-file"_s << file;
        }
        const Run run = loadgen(arguments, {}, environment);
        QVERIFY2(run.exitCode == 0, qPrintable(explain(run)));
        QVERIFY2(run.out.contains(u"VERDICT: VERIFIED"_s), qPrintable(explain(run)));
        QVERIFY(engine->tally()->accepted > 0);
        // Let in by the token, none refused: created, opened, results twice, the vote log.
        QVERIFY(metric(engine->port(), "votedesk_admin_token_accepted_total") >= 4);
        QCOMPARE(metric(engine->port(), R"(votedesk_admin_refused_total{reason="token_missing"})"), 0.0);
        QCOMPARE(metric(engine->port(), R"(votedesk_admin_refused_total{reason="token_wrong"})"), 0.0);
    }

    // No token from afar, or a wrong one (refused on loopback too): exit 3 and a message that
    // names the answer and what to do; nothing is created or sent.
    void aMissingOrWrongTokenIsNamed_data()
    {
        QTest::addColumn<bool>("throughProxy");
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<QString>("hint");
        QTest::newRow("none, from afar") << true << QByteArray() << u"needs its admin token"_s;
        QTest::newRow("wrong, from afar")
            << true << QByteArray("not-the-servers-token-000") << u"was refused"_s;
        QTest::newRow("wrong, on loopback")
            << false << QByteArray("not-the-servers-token-000") << u"was refused"_s;
    }

    void aMissingOrWrongTokenIsNamed()
    {
        QFETCH(bool, throughProxy);
        QFETCH(QByteArray, token);
        QFETCH(QString, hint);
        auto engine = startEngine(100'000, "loadgen-admin-token-0123456789");
        QVERIFY(engine);
        const qint64 demoSession = engine->session().id;
        ForwardingProxy proxy(engine->port());
        QStringList arguments{u"--url"_s,
                              url(throughProxy ? proxy.port() : engine->port()),
                              u"--new-session"_s,
                              u"--rate"_s,
                              u"50"_s,
                              u"--duration"_s,
                              u"1s"_s,
                              u"--verify"_s};
        if (!token.isEmpty()) {
            const QString file = tokenFile(token, 0600);
            QVERIFY(!file.isEmpty());
            arguments << u"--admin-token-file"_s << file;
        }
        const Run run = loadgen(arguments, {}, withoutAdminToken());
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains(u"cannot create a session: 401 invalid_token"_s), qPrintable(explain(run)));
        QVERIFY2(run.err.contains(hint), qPrintable(explain(run)));
        QCOMPARE(engine->session().id, demoSession);
        QCOMPARE(engine->tally()->accepted, 0);
    }

    void aTokenFileOthersCanReadIsRefused()
    {
        const QString file = tokenFile("loadgen-admin-token-0123456789", 0644);
        QVERIFY(!file.isEmpty());
        const Run run = loadgen({u"--url"_s, u"http://127.0.0.1:1"_s, u"--admin-token-file"_s, file});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(file) && run.err.contains(u"readable by others"_s),
                 qPrintable(explain(run)));
    }

    void badCommandLineExitsTwo()
    {
        const Run run = loadgen({u"--url"_s, u"http://127.0.0.1:1"_s, u"--rate"_s, u"-5"_s});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(u"--rate"_s), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestLoadgen)
#include "tst_loadgen.moc"
