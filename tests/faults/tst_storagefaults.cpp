// The store failing under a running Engine (README, "Guarantees"): a full file system and a
// read-only one (FaultInjection's VFS: the errors SQLite gets from ENOSPC and EROFS, at the
// calls where it gets them), a real size-limited tmpfs where mounting is allowed, a commit
// that does not return (the pipeline fills: 503 overloaded, and nothing is answered before it
// is stored), and a second instance on the same database.
//
// What each proves: new votes get 503 storage_unavailable with Retry-After, nothing is
// acknowledged that is not in the store, the alert is raised (Engine::storageError), /readyz
// says so, and once the store takes writes again votes are accepted without anyone stepping
// in (Engine::storageRecovered), and a restart resumes with exactly the acknowledged votes.
#include <functional>
#include <memory>

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include "../integration/httpclient.h"
#include "engine/engine.h"
#include "store/faultinjection.h"

using namespace Qt::Literals::StringLiterals;
using FaultInjection::StorageFault;

Q_DECLARE_METATYPE(FaultInjection::StorageFault)

class TestStorageFaults final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(const QString &databasePath, qsizetype queueCapacity = 100'000)
    {
        Engine::Options options;
        options.databasePath = databasePath;
        options.port = 0;
        options.queueCapacity = queueCapacity;
        options.workersMax = 2;
        options.durability = Durability::Full;
        auto engine = std::make_unique<Engine>(options);
        QString error;
        if (!engine->start(&error)) {
            qWarning() << "engine did not start:" << error;
            return nullptr;
        }
        return engine;
    }

    QString dbPath() const { return m_dir->filePath(u"votedesk.db"_s); }

    // The vote log as a second reader sees it in the file (WAL lets it read while the writer
    // is stuck): what is really stored, not what the engine believes.
    static QStringList storedVoters(const QString &path)
    {
        QStringList voters;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"reader"_s);
            db.setDatabaseName(path);
            db.setConnectOptions(u"QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"_s);
            if (db.open()) {
                QSqlQuery query(db);
                query.exec(u"SELECT voter FROM votes ORDER BY seq"_s);
                while (query.next())
                    voters.append(query.value(0).toString());
            }
        }
        QSqlDatabase::removeDatabase(u"reader"_s);
        return voters;
    }

    static qint64 rejected(HttpClient &client, const QString &code)
    {
        return client.adminResults().value(u"rejected_by_reason"_s).toObject().value(code).toInteger();
    }

    // The whole cycle on a running engine: `breakStore` makes writes fail, `repairStore` makes
    // them work again.
    void refuseThenResume(const QString &path, const std::function<void()> &breakStore,
                          const std::function<void()> &repairStore)
    {
        auto engine = startEngine(path);
        QVERIFY(engine);
        QSignalSpy errors(engine.get(), &Engine::storageError);
        QSignalSpy recovered(engine.get(), &Engine::storageRecovered);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"before"_s, u"A"_s).status, 202);

        breakStore();
        // The first vote reaches a commit that fails; the ones after it are refused at the
        // edge until the store takes writes again. Both are 503 storage_unavailable.
        for (const QString &voter : {u"during1"_s, u"during2"_s, u"during3"_s}) {
            const HttpClient::Response refused = client.vote(voter, u"B"_s);
            QCOMPARE(refused.status, 503);
            QCOMPARE(refused.json().value(u"error"_s).toString(), u"storage_unavailable"_s);
            QVERIFY(!refused.header("Retry-After").isEmpty());
        }
        QTRY_VERIFY(!errors.isEmpty()); // the alert (queued to this thread)
        const HttpClient::Response ready = client.get(u"/readyz"_s);
        QCOMPARE(ready.status, 503);
        QCOMPARE(ready.json().value(u"error"_s).toString(), u"storage_unavailable"_s);
        QCOMPARE(client.get(u"/healthz"_s).status, 200); // alive, only not ready
        QCOMPARE(rejected(client, u"storage_unavailable"_s), 3);
        QCOMPARE(engine->tally()->accepted, 1);
        QCOMPARE(storedVoters(path), QStringList{u"before"_s});
        QVERIFY(recovered.isEmpty());

        repairStore();
        // Nobody votes and nobody restarts anything: the writer finds out by itself.
        QTRY_VERIFY_WITH_TIMEOUT(!recovered.isEmpty(), 10'000);
        QCOMPARE(client.get(u"/readyz"_s).status, 200);
        const HttpClient::Response accepted = client.vote(u"after"_s, u"C"_s);
        QCOMPARE(accepted.status, 202);
        QCOMPARE(engine->tally()->accepted, 2);
        QCOMPARE(storedVoters(path), (QStringList{u"before"_s, u"after"_s}));

        // A restart on the same database sees exactly the acknowledged votes.
        engine->stop();
        engine = startEngine(path);
        QVERIFY(engine);
        HttpClient again(engine->port());
        const QJsonObject results = again.adminResults();
        QCOMPARE(results.value(u"state"_s).toString(), u"open"_s);
        QCOMPARE(results.value(u"accepted"_s).toInteger(), 2);
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"A"_s).toInteger(), 1);
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"B"_s).toInteger(), 0);
        QCOMPARE(results.value(u"raw"_s).toObject().value(u"C"_s).toInteger(), 1);
        QCOMPARE(again.vote(u"later"_s, u"D"_s).status, 202);
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        // Before any store opens: a connection keeps the VFS it was opened with.
        FaultInjection::installFaultyStorage();
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void cleanup()
    {
        FaultInjection::setStorageFault(StorageFault::None);
        FaultInjection::setWalWritesStalled(false);
    }

    void brokenStoreRefusesVotesAndResumesByItself_data()
    {
        QTest::addColumn<StorageFault>("fault");
        QTest::newRow("full file system") << StorageFault::Full;
        QTest::newRow("read-only file system") << StorageFault::ReadOnly;
    }

    void brokenStoreRefusesVotesAndResumesByItself()
    {
        QFETCH(StorageFault, fault);
        refuseThenResume(
            dbPath(), [fault] { FaultInjection::setStorageFault(fault); },
            [] { FaultInjection::setStorageFault(StorageFault::None); });
    }

    // The real thing: the database on a 2 MiB tmpfs, filled up by another file, and space given
    // back by deleting that file. make test runs as root (it installs packages), so mount works.
    void fullTmpfsRefusesVotesAndResumesByItself()
    {
        const QString mountPoint = m_dir->filePath(u"small"_s);
        QVERIFY(QDir().mkpath(mountPoint));
        QProcess mount;
        mount.start(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"size=2m"_s, u"votedesk-test"_s, mountPoint});
        if (!mount.waitForFinished(10'000) || mount.exitStatus() != QProcess::NormalExit ||
            mount.exitCode() != 0) {
            QFAIL(qPrintable(u"mount -t tmpfs failed (run the tests as root): "_s +
                             QString::fromLocal8Bit(mount.readAllStandardError())));
        }
        const auto unmount = qScopeGuard([&] { QProcess::execute(u"umount"_s, {u"-l"_s, mountPoint}); });

        const QString filler = QDir(mountPoint).filePath(u"filler"_s);
        const auto fill = [&] {
            QFile file(filler);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray block(4096, 'x');
            // Until the file system says no: less than one page is left for the WAL.
            while (file.write(block) == block.size() && file.flush()) {
            }
        };
        refuseThenResume(QDir(mountPoint).filePath(u"votedesk.db"_s), fill, [&] { QFile::remove(filler); });
    }

    // A commit that does not return (the WAL write is held): the vote waiting for it is not
    // answered, the next one finds the pipeline full (capacity 1) and gets 503 overloaded with
    // Retry-After, /readyz says overloaded; once the write goes through, the held vote gets its
    // 202 and is in the store.
    void heldCommitAnswersNothingAndFullPipelineRefuses()
    {
        auto engine = startEngine(dbPath(), 1);
        QVERIFY(engine);
        HttpClient client(engine->port());
        QCOMPARE(client.admin(u"open"_s).status, 200);
        QCOMPARE(client.vote(u"warm"_s, u"A"_s).status, 202); // the window's save is through

        FaultInjection::setWalWritesStalled(true);
        QNetworkAccessManager manager;
        manager.setProxy(QNetworkProxy::NoProxy);
        QNetworkRequest request(QUrl(u"http://127.0.0.1:%1/v1/votes"_s.arg(engine->port())));
        request.setRawHeader("Content-Type", "application/json");
        std::unique_ptr<QNetworkReply> held(
            manager.post(request, QByteArray("{\"voter\":\"held\",\"option\":\"B\"}")));
        QTRY_COMPARE(engine->counters().queueDepth, 1); // admitted, now waiting for the commit

        const HttpClient::Response refused = client.vote(u"second"_s, u"C"_s);
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.json().value(u"error"_s).toString(), u"overloaded"_s);
        QVERIFY(!refused.header("Retry-After").isEmpty());
        const HttpClient::Response ready = client.get(u"/readyz"_s);
        QCOMPARE(ready.status, 503);
        QCOMPARE(ready.json().value(u"error"_s).toString(), u"overloaded"_s);
        // The held vote was admitted before the refusal was answered and its commit cannot
        // have returned: it must not have been answered, nor be counted.
        QVERIFY(!held->isFinished());
        QCOMPARE(engine->tally()->accepted, 1);

        FaultInjection::setWalWritesStalled(false);
        QTRY_VERIFY(held->isFinished());
        QCOMPARE(held->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 202);
        QCOMPARE(engine->tally()->accepted, 2);
        QCOMPARE(storedVoters(dbPath()), (QStringList{u"warm"_s, u"held"_s}));
        QCOMPARE(client.get(u"/readyz"_s).status, 200);
        QCOMPARE(rejected(client, u"overloaded"_s), 1);
    }

    void secondInstanceOnTheSameDatabaseIsRefused()
    {
        auto first = startEngine(dbPath());
        QVERIFY(first);
        Engine::Options options;
        options.databasePath = dbPath();
        options.port = 0;
        Engine second(options);
        QString error;
        QVERIFY(!second.start(&error));
        QVERIFY2(error.contains(u"in use by another votedesk"_s), qPrintable(error));
        QVERIFY2(error.contains(QString::number(QCoreApplication::applicationPid())), qPrintable(error));
        QVERIFY(first->isRunning()); // the refused one touched nothing
        HttpClient client(first->port());
        QCOMPARE(client.get(u"/readyz"_s).status, 200);

        first->stop();
        Engine third(options);
        QVERIFY2(third.start(&error), qPrintable(error)); // the lock was released
    }
};

QTEST_GUILESS_MAIN(TestStorageFaults)
#include "tst_storagefaults.moc"
