// The feeds end to end, on a running engine over loopback: open -> votes -> close -> publish
// -> finalize, with the four documents over HTTP (404 before publish, ETag/304, CORS,
// content types), the same bytes in the export folder, the CasparCG push to a fake AMCP
// server, the final files and the results pack on disk with their SHA-256, read back with
// Python's csv, zipfile and hashlib as a graphics operator and an adjudicator would.
#include <memory>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "engine/engine.h"
#include "engine/publisheddocuments.h"
#include "export/resultspack.h"
#include "httpclient.h"
#include "unit/exporttestsupport.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr int kWaitMs = 20'000; // a bound for a stuck test, not a timing expectation

// CasparCG's AMCP port on loopback: keeps every line received, answers each "202 CG OK".
class FakeCaspar final : public QObject
{
public:
    FakeCaspar()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                    m_buffer += socket->readAll();
                    qsizetype end;
                    while ((end = m_buffer.indexOf("\r\n")) >= 0) {
                        m_lines.append(m_buffer.left(end));
                        m_buffer.remove(0, end + 2);
                        socket->write("202 CG OK\r\n");
                    }
                });
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    const QList<QByteArray> &lines() const { return m_lines; }

private:
    QTcpServer m_server;
    QByteArray m_buffer;
    QList<QByteArray> m_lines;
};

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QByteArray sha256(const QByteArray &bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

const QList<std::pair<QString, ResultDocuments::Kind>> kFeeds{
    {u"/v1/results.json"_s, ResultDocuments::Kind::Json},
    {u"/v1/results.csv"_s, ResultDocuments::Kind::LongCsv},
    {u"/v1/results-wide.csv"_s, ResultDocuments::Kind::WideCsv},
    {u"/v1/results.xml"_s, ResultDocuments::Kind::Xml}};

QStringList publicPaths()
{
    QStringList paths;
    for (const PublishedDocument &document : publishedDocuments())
        paths.append(QString::fromLatin1(document.path));
    return paths;
}

QJsonObject sessionJson(const QString &exportFolder = {})
{
    QJsonObject json{
        {u"title"_s, u"Semi-final"_s},
        {u"question"_s, u"Who stays?"_s},
        {u"window_seconds"_s, 600},
        {u"policy"_s, u"last_wins"_s},
        {u"options"_s, QJsonArray{QJsonObject{{u"key"_s, u"X"_s}, {u"label"_s, u"Xavier"_s}},
                                  QJsonObject{{u"key"_s, u"Y"_s}, {u"label"_s, u"Yasmin, \"Y\""_s}},
                                  QJsonObject{{u"key"_s, u"Z"_s}, {u"label"_s, u"Zoë 佐"_s}}}}};
    if (!exportFolder.isEmpty())
        json.insert(u"export_folder"_s, exportFolder);
    return json;
}

// a: X then Z (last_wins: Z counts); b, c, e: Y; d: Z. Exact Y 3, Z 2, X 0; raw X 1, Y 3, Z 2.
const QList<std::pair<QString, QString>> kVotes{{u"a"_s, u"X"_s}, {u"b"_s, u"Y"_s}, {u"c"_s, u"Y"_s},
                                                {u"a"_s, u"Z"_s}, {u"d"_s, u"Z"_s}, {u"e"_s, u"Y"_s}};
} // namespace

class TestFeeds final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(const FeedOptions &feeds)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"data/votedesk.db"_s);
        options.port = 0;
        options.workersMax = 2;
        options.feeds = feeds;
        auto engine = std::make_unique<Engine>(options);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    void runSession(Engine &engine, HttpClient &client, const QJsonObject &definition)
    {
        QCOMPARE(client.postJson(u"/v1/admin/sessions"_s, definition).status, 201);
        QCOMPARE(client.admin(u"open"_s).status, 200);
        for (const auto &[voter, option] : kVotes)
            QCOMPARE(client.vote(voter, option).status, 202);
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(engine.windowStatus().state, WindowState::Closed, kWaitMs);
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void openVotesClosePublishFinalize()
    {
        const QString out = m_dir->filePath(u"graphics"_s);
        QVERIFY(QDir().mkpath(out));
        FakeCaspar caspar;
        QVERIFY(caspar.listen());
        FeedOptions feeds;
        feeds.exportFolder = out;
        feeds.exportIntervalMs = 50;
        feeds.casparCg = true;
        feeds.casparCgSettings.host = u"127.0.0.1"_s;
        feeds.casparCgSettings.port = caspar.port();
        feeds.casparCgSettings.channelLayer = u"1-20"_s;
        feeds.casparCgSettings.templateLayer = 1;
        auto engine = startEngine(feeds);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(engine->feeds()->currentFolder(), out);

        auto expectNothingOut = [&] {
            for (const QString &path : publicPaths()) {
                const auto response = client.get(path);
                QVERIFY2(response.status == 404, qPrintable(path));
                QCOMPARE(response.json().value(u"error"_s).toString(), u"not_published"_s);
                QCOMPARE(response.header("Access-Control-Allow-Origin"), QByteArray("*"));
                QCOMPARE(response.header("Cache-Control"), QByteArray("max-age=1"));
            }
            QCOMPARE(QDir(out).entryList(QDir::Files | QDir::Hidden), QStringList());
        };
        expectNothingOut();
        runSession(*engine, client, sessionJson());
        const qint64 id = engine->session().id;
        expectNothingOut(); // closed is not published (visibility on_publish)
        QVERIFY(caspar.lines().isEmpty());

        // Publish: the four documents over HTTP, and the same bytes in the folder.
        QSignalSpy failed(engine.get(), &Engine::exportFailed);
        const auto published = client.admin(u"publish"_s);
        QCOMPARE(published.status, 200);
        const QByteArray etag = '"' + QByteArray::number(id) + "-1\"";
        QHash<QString, QByteArray> bodies;
        for (const auto &[path, kind] : kFeeds) {
            const auto response = client.get(path);
            QVERIFY2(response.status == 200, qPrintable(path));
            QCOMPARE(response.header("Content-Type"), ResultDocuments::contentType(kind));
            QCOMPARE(response.header("ETag"), etag);
            QCOMPARE(response.header("Cache-Control"), QByteArray("max-age=1"));
            QCOMPARE(response.header("Access-Control-Allow-Origin"), QByteArray("*"));
            const auto unchanged = client.get(path, {{"If-None-Match", etag}});
            QCOMPARE(unchanged.status, 304);
            QVERIFY(unchanged.body.isEmpty());
            const QString file = QDir(out).filePath(ResultDocuments::fileName(kind));
            QTRY_COMPARE_WITH_TIMEOUT(readFile(file), response.body, kWaitMs);
            bodies.insert(path, response.body);
        }
        QVERIFY(bodies[u"/v1/results.csv"_s].contains("Yasmin, \"\"Y\"\""));
        QCOMPARE(client.get(u"/v1/results"_s).header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(client.get(u"/v1/results"_s).json().value(u"status"_s).toString(), u"PROVISIONAL"_s);
        QCOMPARE(failed.count(), 0);

        // A graphics operator's tool reads the files with Python's csv and json modules.
        const QString script = uR"(
import csv, json, sys, os
folder = sys.argv[1]
with open(os.path.join(folder, 'results.csv'), newline='', encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
with open(os.path.join(folder, 'results-wide.csv'), newline='', encoding='utf-8') as f:
    wide = list(csv.DictReader(f))
with open(os.path.join(folder, 'results.json'), encoding='utf-8') as f:
    array = json.load(f)
print(json.dumps({'rows': rows, 'wide': wide, 'json': array,
                  'sum': round(sum(float(r['percent']) for r in rows), 1)}))
)"_s;
        const ExportTest::PythonRun run = ExportTest::runPython(script, {out});
        QVERIFY2(run.started, "cannot start /usr/bin/python3 (Debian package python3)");
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject python = QJsonDocument::fromJson(run.out).object();
        const QJsonArray rows = python[u"rows"_s].toArray();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows[0].toObject()[u"key"_s].toString(), u"Y"_s);
        QCOMPARE(rows[0].toObject()[u"label"_s].toString(), u"Yasmin, \"Y\""_s);
        QCOMPARE(rows[0].toObject()[u"votes"_s].toString(), u"3"_s);
        QCOMPARE(rows[0].toObject()[u"percent"_s].toString(), u"60.0"_s);
        QCOMPARE(rows[1].toObject()[u"label"_s].toString(), u"Zoë 佐"_s);
        QCOMPARE(rows[2].toObject()[u"percent"_s].toString(), u"0.0"_s);
        QCOMPARE(rows[0].toObject()[u"status"_s].toString(), u"PROVISIONAL"_s);
        QCOMPARE(python[u"sum"_s].toDouble(), 100.0);
        const QJsonObject wide = python[u"wide"_s].toArray().first().toObject();
        QCOMPARE(wide[u"total"_s].toString(), u"5"_s);
        QCOMPARE(wide[u"Y_label"_s].toString(), u"Yasmin, \"Y\""_s);
        QCOMPARE(wide[u"Z_percent"_s].toString(), u"40.0"_s);
        QCOMPARE(python[u"json"_s].toArray().size(), 3);

        // CasparCG got the publish as CG UPDATE on 1-20, CG layer 1.
        QTRY_VERIFY_WITH_TIMEOUT(!caspar.lines().isEmpty(), kWaitMs);
        QVERIFY2(caspar.lines().first().startsWith("CG 1-20 UPDATE 1 \""),
                 caspar.lines().first().constData());
        QVERIFY(caspar.lines().first().contains("Y_votes"));
        QTRY_COMPARE_WITH_TIMEOUT(client.adminResults()[u"feeds"_s]
                                      .toObject()[u"casparcg"_s]
                                      .toObject()[u"acknowledged_version"_s]
                                      .toInt(),
                                  1, kWaitMs);

        // Finalize: the answer names every final file with its SHA-256; each is on disk.
        const auto finalized = client.admin(u"finalize"_s);
        QCOMPARE(finalized.status, 200);
        const QJsonObject files = finalized.json()[u"final_files"_s].toObject();
        QCOMPARE(files[u"folder"_s].toString(), out);
        QStringList names;
        for (const QJsonValue &file : files[u"files"_s].toArray()) {
            const QJsonObject f = file.toObject();
            names.append(f[u"name"_s].toString());
            const QByteArray bytes = readFile(QDir(out).filePath(f[u"name"_s].toString()));
            QCOMPARE(sha256(bytes), f[u"sha256"_s].toString().toLatin1());
            QCOMPARE(qint64(bytes.size()), f[u"bytes"_s].toInteger());
        }
        const QString pack = u"results-pack-%1.zip"_s.arg(id);
        QCOMPARE(names, QStringList({u"results.json"_s, u"results.csv"_s, u"results-wide.csv"_s,
                                     u"results.xml"_s, u"final-report.txt"_s, u"final-report.html"_s, pack}));
        const QByteArray report = readFile(QDir(out).filePath(u"final-report.txt"_s));
        QVERIFY(report.contains(sha256(readFile(QDir(out).filePath(u"results.csv"_s)))));
        QVERIFY(readFile(QDir(out).filePath(u"results.csv"_s)).contains(",FINAL\r\n"));
        // The endpoints serve the certified picture, byte for byte the files.
        QCOMPARE(engine->publishVersion(), 2u);
        for (const auto &[path, kind] : kFeeds)
            QCOMPARE(client.get(path).body, readFile(QDir(out).filePath(ResultDocuments::fileName(kind))));
        QCOMPARE(client.get(u"/v1/results"_s, {{"If-None-Match", etag}}).status, 200); // a new version
        QTRY_VERIFY_WITH_TIMEOUT(caspar.lines().size() >= 2 && caspar.lines().last().contains("FINAL"),
                                 kWaitMs);

        // The audit log names the files.
        const auto audit = client.get(u"/v1/admin/audit"_s);
        QCOMPARE(audit.status, 200);
        bool named = false;
        for (const QJsonValue &entry : QJsonDocument::fromJson(audit.body).array()) {
            if (entry[u"kind"_s].toString() == u"finalized"_s)
                named = entry[u"detail"_s].toString().contains(pack);
        }
        QVERIFY(named);

        // The adjudicator unzips the pack and checks it with Python's zipfile, hashlib and csv.
        const QString check = uR"(
import csv, hashlib, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sums = {}
for line in z.read('SHA256SUMS').decode().splitlines():
    digest, name = line.split('  ', 1)
    sums[name] = digest
bad = [n for n, d in sums.items() if hashlib.sha256(z.read(n)).hexdigest() != d]
votes = list(csv.DictReader(io.StringIO(z.read('votes.csv').decode('utf-8-sig'), newline='')))
print(json.dumps({'names': sorted(z.namelist()), 'bad': bad, 'votes': votes,
                  'session': json.loads(z.read('session.json'))}))
)"_s;
        const ExportTest::PythonRun unzip = ExportTest::runPython(check, {QDir(out).filePath(pack)});
        QVERIFY2(unzip.exitCode == 0, unzip.err.constData());
        const QJsonObject adjudicator = QJsonDocument::fromJson(unzip.out).object();
        QCOMPARE(adjudicator[u"bad"_s].toArray().size(), 0);
        for (const QString &name : {u"votes.csv"_s, u"session.json"_s, u"audit-log.csv"_s, u"SHA256SUMS"_s,
                                    u"results.csv"_s, u"final-report.html"_s})
            QVERIFY2(adjudicator[u"names"_s].toArray().contains(name), qPrintable(name));
        const QJsonArray votes = adjudicator[u"votes"_s].toArray();
        QCOMPARE(votes.size(), kVotes.size());
        QCOMPARE(votes[0].toObject()[u"voter"_s].toString(), u"a"_s);
        QCOMPARE(votes[0].toObject()[u"counted"_s].toString(), u"no"_s);
        QVERIFY(votes[0].toObject()[u"reason"_s].toString().startsWith(u"superseded by %1-"_s.arg(id)));
        QCOMPARE(votes[3].toObject()[u"counted"_s].toString(), u"yes"_s);
        QCOMPARE(adjudicator[u"session"_s].toObject()[u"counting_rule"_s].toString(), u"last_wins"_s);
        QCOMPARE(failed.count(), 0);

        // A restart puts the certified picture back in the folder (here: after someone cleared it).
        engine.reset();
        for (const auto &[path, kind] : kFeeds)
            QVERIFY(QFile::remove(QDir(out).filePath(ResultDocuments::fileName(kind))));
        engine = startEngine(feeds);
        QVERIFY(engine);
        QTRY_VERIFY_WITH_TIMEOUT(readFile(QDir(out).filePath(u"results.csv"_s)).contains(",FINAL\r\n"),
                                 kWaitMs);
    }

    // A session may name its own folder; voter ids in the pack may be pseudonyms, with the
    // per-session secret kept next to the database, not in the folder or the pack.
    void sessionFolderAndPseudonymisedVoters()
    {
        const QString own = m_dir->filePath(u"semi-final"_s);
        QVERIFY(QDir().mkpath(own));
        FeedOptions feeds;
        feeds.pseudonymiseVoters = true;
        auto engine = startEngine(feeds);
        QVERIFY(engine);
        const QString defaultFolder = m_dir->filePath(u"data/export"_s);
        QCOMPARE(engine->feeds()->currentFolder(), defaultFolder); // created next to the database
        QVERIFY(QDir(defaultFolder).exists());
        HttpClient client(engine->port());
        runSession(*engine, client, sessionJson(own));
        QCOMPARE(engine->session().exportFolder, own);
        QCOMPARE(engine->feeds()->currentFolder(), own);
        QCOMPARE(client.admin(u"publish"_s).status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(QDir(own).filePath(u"results.xml"_s)), kWaitMs);
        const auto finalized = client.admin(u"finalize"_s);
        QCOMPARE(finalized.status, 200);
        QCOMPARE(finalized.json()[u"final_files"_s].toObject()[u"folder"_s].toString(), own);
        const qint64 id = engine->session().id;
        const QString pack = QDir(own).filePath(u"results-pack-%1.zip"_s.arg(id));
        QVERIFY(QFile::exists(pack));
        QVERIFY(!QFile::exists(QDir(defaultFolder).filePath(u"results-pack-%1.zip"_s.arg(id))));

        const QString secretPath = m_dir->filePath(u"data/secrets/session-%1.key"_s.arg(id));
        QVERIFY(QFile::exists(secretPath));
        QCOMPARE(QFile::permissions(secretPath) & (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions());
        const QByteArray secret = QByteArray::fromHex(readFile(secretPath).trimmed());
        QCOMPARE(secret.size(), 32);
        const QString script = uR"(
import csv, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
votes = list(csv.DictReader(io.StringIO(z.read('votes.csv').decode('utf-8'), newline='')))
print(json.dumps([v['voter'] for v in votes]))
)"_s;
        const ExportTest::PythonRun run = ExportTest::runPython(script, {pack});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonArray voters = QJsonDocument::fromJson(run.out).array();
        QCOMPARE(voters.size(), kVotes.size());
        for (qsizetype i = 0; i < voters.size(); ++i)
            QCOMPARE(voters[i].toString().toLatin1(),
                     ResultsPack::pseudonym(kVotes[i].first.toLatin1(), secret));
        QCOMPARE(voters[0], voters[3]); // the same voter, the same pseudonym
        QVERIFY(!readFile(pack).contains(readFile(secretPath).trimmed()));
    }

    // A feed file that cannot be replaced is counted, raises the alert once, and is retried
    // at every check until it lands; then the alert clears. The other files follow the publish.
    void aFailingFileIsAlertedCountedAndRetried()
    {
        const QString out = m_dir->filePath(u"graphics"_s);
        QVERIFY(QDir().mkpath(out));
        FeedOptions feeds;
        feeds.exportFolder = out;
        feeds.exportIntervalMs = 50;
        auto engine = startEngine(feeds);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QSignalSpy failed(engine.get(), &Engine::exportFailed);
        QSignalSpy recovered(engine.get(), &Engine::exportRecovered);
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"v1"_s, u"A"_s).status, 202);
        QCOMPARE(client.admin(u"publish"_s).status, 200);
        const QString xml = QDir(out).filePath(u"results.xml"_s);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(xml), kWaitMs);

        // A directory where results.xml should be: nothing can be renamed over it, root or not.
        QVERIFY(QFile::remove(xml));
        QVERIFY(QDir().mkdir(xml));
        QCOMPARE(client.vote(u"v2"_s, u"B"_s).status, 202);
        QCOMPARE(client.admin(u"publish"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kWaitMs);
        QVERIFY(failed.first().first().toString().contains(u"results.xml"_s));
        QTRY_VERIFY_WITH_TIMEOUT(readFile(QDir(out).filePath(u"results-wide.csv"_s)).startsWith("total"),
                                 kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(readFile(QDir(out).filePath(u"results-wide.csv"_s)).contains("\r\n2,"),
                                 kWaitMs);
        const QJsonObject status = client.adminResults()[u"feeds"_s].toObject();
        QVERIFY(status[u"failing"_s].toBool());
        QVERIFY(status[u"last_error"_s].toString().contains(u"results.xml"_s));
        QTRY_VERIFY_WITH_TIMEOUT(client.get(u"/metrics"_s).body.contains("votedesk_export_failing 1"),
                                 kWaitMs);
        const qint64 failuresBefore = status[u"failures"_s].toInteger();
        QVERIFY(failuresBefore >= 1);
        // Retried at each check, but alerted once.
        QTRY_VERIFY_WITH_TIMEOUT(client.adminResults()[u"feeds"_s].toObject()[u"failures"_s].toInteger() >
                                     failuresBefore,
                                 kWaitMs);
        QCOMPARE(failed.count(), 1);

        QVERIFY(QDir().rmdir(xml));
        QTRY_COMPARE_WITH_TIMEOUT(recovered.count(), 1, kWaitMs);
        QVERIFY(readFile(xml).contains("<publish_version>2</publish_version>"));
        QVERIFY(!client.adminResults()[u"feeds"_s].toObject()[u"failing"_s].toBool());
        QVERIFY(client.get(u"/metrics"_s).body.contains("votedesk_export_failing 0"));
    }

    // --no-export: the HTTP documents only; finalize certifies and names no files.
    void withoutExportNothingIsWritten()
    {
        FeedOptions feeds;
        feeds.exportFiles = false;
        auto engine = startEngine(feeds);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"v1"_s, u"A"_s).status, 202);
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(engine->windowStatus().state, WindowState::Closed, kWaitMs);
        QCOMPARE(client.admin(u"publish"_s).status, 200);
        QCOMPARE(client.get(u"/v1/results.xml"_s).status, 200);
        const auto finalized = client.admin(u"finalize"_s);
        QCOMPARE(finalized.status, 200);
        QVERIFY(!finalized.json().contains(u"final_files"_s));
        QVERIFY(!QDir(m_dir->filePath(u"data/export"_s)).exists());
    }

    // A folder the operator named must exist: votedesk does not invent one.
    void aMissingNamedFolderIsAnAlertNotACreatedFolder()
    {
        const QString missing = m_dir->filePath(u"no-such-share"_s);
        FeedOptions feeds;
        feeds.exportFolder = missing;
        feeds.exportIntervalMs = 50;
        auto engine = startEngine(feeds);
        QVERIFY(engine);
        QSignalSpy failed(engine.get(), &Engine::exportFailed);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.admin(u"publish"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kWaitMs);
        QVERIFY(!QDir(missing).exists());
        // Finalize refuses rather than certify without the files, and says why.
        QCOMPARE(client.admin(u"close"_s).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(engine->windowStatus().state, WindowState::Closed, kWaitMs);
        const auto refused = client.admin(u"finalize"_s);
        QCOMPARE(refused.status, 500);
        QCOMPARE(refused.json()[u"error"_s].toString(), u"final_export_failed"_s);
        QVERIFY(refused.json()[u"message"_s].toString().contains(u"does not exist"_s));
        QCOMPARE(engine->windowStatus().state, WindowState::Closed);
    }
};

QTEST_GUILESS_MAIN(TestFeeds)
#include "tst_feeds.moc"
