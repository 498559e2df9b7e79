// The votedesk binary as an operator or a script runs it: command line, --headless, the
// "listening on" line, a vote with curl-like requests, SIGTERM, and a restart.
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::Literals::StringLiterals;

class TestApp final : public QObject
{
    Q_OBJECT

private:
    struct Answer
    {
        int status = 0;
        QJsonObject json;
    };

    Answer request(quint16 port, const QString &path, const QByteArray &body = {},
                   const QByteArray &bearer = {})
    {
        QNetworkAccessManager manager;
        manager.setProxy(QNetworkProxy::NoProxy);
        QNetworkRequest request(QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path)));
        if (!bearer.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + bearer);
        QNetworkReply *reply = nullptr;
        if (body.isNull()) {
            reply = manager.get(request);
        } else {
            request.setRawHeader("Content-Type", "application/json");
            reply = manager.post(request, body);
        }
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10'000);
        }();
        Answer answer;
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.json = QJsonDocument::fromJson(reply->readAll()).object();
        delete reply;
        return answer;
    }

    // Starts `votedesk --headless` and waits for its "listening on" line; returns the port.
    quint16 startHeadless(QProcess &process, const QStringList &extra = {})
    {
        process.setProgram(QStringLiteral(VOTEDESK_BINARY));
        process.setArguments(QStringList{u"--headless"_s, u"--port"_s, u"0"_s, u"--db"_s, m_dbPath} + extra);
        process.start();
        if (!process.waitForStarted(10'000))
            return 0;
        QByteArray out;
        const QRegularExpression listening(u"listening on 127\\.0\\.0\\.1:(\\d+)"_s);
        QRegularExpressionMatch match;
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput(),
                                      match = listening.match(QString::fromUtf8(out)), match.hasMatch()) ||
                                         process.state() == QProcess::NotRunning,
                                     20'000);
        }();
        return match.hasMatch() ? quint16(match.captured(1).toUInt()) : 0;
    }

    QTemporaryDir m_dir;
    QString m_dbPath;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void init()
    {
        static int n = 0;
        m_dbPath = m_dir.filePath(u"run-%1/votedesk.db"_s.arg(++n));
    }

    void versionAndHelp()
    {
        QProcess process;
        process.start(QStringLiteral(VOTEDESK_BINARY), {u"--version"_s});
        QVERIFY(process.waitForFinished(10'000));
        QCOMPARE(process.exitCode(), 0);
        QVERIFY(QString::fromUtf8(process.readAllStandardOutput()).startsWith(u"votedesk 0."_s));

        process.start(QStringLiteral(VOTEDESK_BINARY), {u"--help"_s});
        QVERIFY(process.waitForFinished(10'000));
        QCOMPARE(process.exitCode(), 0);
        const QString help = QString::fromUtf8(process.readAllStandardOutput());
        for (const QString &option :
             {u"--port"_s, u"--bind"_s, u"--db"_s, u"--headless"_s, u"--version"_s, u"--header-timeout-ms"_s,
              u"--idle-timeout-ms"_s, u"--export-dir"_s, u"--export-interval"_s, u"--no-export"_s,
              u"--csv-bom"_s, u"--pseudonymise-voters"_s, u"--casparcg"_s, u"--casparcg-channel"_s,
              u"--casparcg-layer"_s, u"--casparcg-template"_s})
            QVERIFY2(help.contains(option), qPrintable(option));
    }

    void savedSettingsAreTheDefaultsAndBrokenOnesAreNamed()
    {
        // The binary reads ~/.config/votedesk/votedesk.ini; point it at a scratch config home.
        QTemporaryDir home;
        QVERIFY(home.isValid());
        QDir().mkpath(home.filePath(u"votedesk"_s));
        {
            QSettings settings(home.filePath(u"votedesk/votedesk.ini"_s), QSettings::IniFormat);
            settings.setValue(u"ingest/queueCapacity"_s, 4321);
            settings.setValue(u"network/port"_s, 9911);
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"XDG_CONFIG_HOME"_s, home.path());
        QProcess process;
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(VOTEDESK_BINARY), {u"--help"_s});
        QVERIFY(process.waitForFinished(10'000));
        const QString help = QString::fromUtf8(process.readAllStandardOutput());
        QVERIFY2(help.contains(u"default 4321"_s), qPrintable(help));
        QVERIFY2(help.contains(u"default 9911"_s), qPrintable(help));

        {
            QSettings settings(home.filePath(u"votedesk/votedesk.ini"_s), QSettings::IniFormat);
            settings.setValue(u"ingest/durability"_s, u"sometimes"_s);
        }
        process.start(QStringLiteral(VOTEDESK_BINARY), {u"--help"_s});
        QVERIFY(process.waitForFinished(10'000));
        const QString warning = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(warning.contains(u"ignoring the saved settings"_s) && warning.contains(u"durability"_s),
                 qPrintable(warning));
        QVERIFY(QString::fromUtf8(process.readAllStandardOutput()).contains(u"default 8080"_s));
    }

    // The token file chosen in Settings is used when neither --admin-token-file nor
    // VOTEDESK_ADMIN_TOKEN gives one; either of those wins for the run; a saved file that
    // cannot be used leaves the admin API loopback only, says so, and does not stop the start.
    void theSavedTokenFileIsUsedAndTheCommandLineWins()
    {
        QTemporaryDir home;
        QVERIFY(home.isValid());
        QDir().mkpath(home.filePath(u"votedesk"_s));
        const auto writeToken = [&](const QString &name, const QByteArray &token) {
            QFile file(home.filePath(name));
            if (!file.open(QIODevice::WriteOnly) || file.write(token + '\n') != token.size() + 1)
                return QString();
            file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
            return file.fileName();
        };
        const QByteArray savedToken = "saved-token-0123456789abcdef";
        const QByteArray commandLineToken = "command-line-token-0123456789";
        const QByteArray environmentToken = "environment-token-0123456789";
        const QString savedFile = writeToken(u"saved.token"_s, savedToken);
        const QString commandLineFile = writeToken(u"cli.token"_s, commandLineToken);
        QVERIFY(!savedFile.isEmpty() && !commandLineFile.isEmpty());
        {
            QSettings settings(home.filePath(u"votedesk/votedesk.ini"_s), QSettings::IniFormat);
            settings.setValue(u"access/adminTokenFile"_s, savedFile);
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"XDG_CONFIG_HOME"_s, home.path());
        environment.remove(u"VOTEDESK_ADMIN_TOKEN"_s);
        // With a token configured, a wrong one is refused even on loopback: which token the
        // server holds shows from here.
        const auto adminStatus = [&](quint16 port, const QByteArray &token) {
            return request(port, u"/v1/admin/results"_s, {}, token).status;
        };
        const auto stop = [](QProcess &process) {
            process.terminate();
            QVERIFY(process.waitForFinished(20'000));
            QCOMPARE(process.exitCode(), 0);
        };

        {
            QProcess process;
            process.setProcessEnvironment(environment);
            const quint16 port = startHeadless(process);
            QVERIFY2(port != 0, process.readAllStandardError().constData());
            QCOMPARE(adminStatus(port, savedToken), 200);
            QCOMPARE(adminStatus(port, commandLineToken), 401);
            stop(process);
        }
        {
            QProcess process;
            process.setProcessEnvironment(environment);
            const quint16 port = startHeadless(process, {u"--admin-token-file"_s, commandLineFile});
            QVERIFY2(port != 0, process.readAllStandardError().constData());
            QCOMPARE(adminStatus(port, commandLineToken), 200);
            QCOMPARE(adminStatus(port, savedToken), 401);
            stop(process);
        }
        {
            QProcessEnvironment withVariable = environment;
            withVariable.insert(u"VOTEDESK_ADMIN_TOKEN"_s, QString::fromLatin1(environmentToken));
            QProcess process;
            process.setProcessEnvironment(withVariable);
            const quint16 port = startHeadless(process);
            QVERIFY2(port != 0, process.readAllStandardError().constData());
            QCOMPARE(adminStatus(port, environmentToken), 200);
            QCOMPARE(adminStatus(port, savedToken), 401);
            stop(process);
        }
        {
            QVERIFY(QFile::setPermissions(savedFile, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                         QFileDevice::ReadOther));
            QProcess process;
            process.setProcessEnvironment(environment);
            const quint16 port = startHeadless(process);
            QVERIFY(port != 0); // (QVERIFY2 would read stderr, which is checked below)
            QCOMPARE(adminStatus(port, savedToken), 200); // no token: loopback only, any header
            QCOMPARE(adminStatus(port, commandLineToken), 200);
            stop(process);
            const QString warning = QString::fromUtf8(process.readAllStandardError());
            QVERIFY2(warning.contains(u"not using the admin token file saved in Settings"_s) &&
                         warning.contains(savedFile) && warning.contains(u"readable by others"_s),
                     qPrintable(warning));
        }
    }

    void badArgumentsAreNamed_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("port not a number")
            << QStringList{u"--headless"_s, u"--port"_s, u"eighty"_s} << u"--port"_s;
        QTest::newRow("port too big") << QStringList{u"--headless"_s, u"--port"_s, u"70000"_s} << u"--port"_s;
        QTest::newRow("bind not an address")
            << QStringList{u"--headless"_s, u"--bind"_s, u"nowhere"_s} << u"--bind"_s;
        QTest::newRow("header timeout not a number")
            << QStringList{u"--headless"_s, u"--header-timeout-ms"_s, u"soon"_s} << u"--header-timeout-ms"_s;
        QTest::newRow("idle timeout negative")
            << QStringList{u"--headless"_s, u"--idle-timeout-ms"_s, u"-1"_s} << u"--idle-timeout-ms"_s;
        QTest::newRow("unknown option") << QStringList{u"--headless"_s, u"--frobnicate"_s} << u"frobnicate"_s;
        QTest::newRow("export interval zero")
            << QStringList{u"--headless"_s, u"--export-interval"_s, u"0"_s} << u"--export-interval"_s;
        QTest::newRow("casparcg port not a number")
            << QStringList{u"--headless"_s, u"--casparcg"_s, u"gfx:amcp"_s} << u"--casparcg"_s;
        QTest::newRow("casparcg channel-layer")
            << QStringList{u"--headless"_s, u"--casparcg"_s, u"127.0.0.1"_s, u"--casparcg-channel"_s,
                           u"main"_s}
            << u"channel-layer"_s;
        QTest::newRow("admin token file missing")
            << QStringList{u"--headless"_s, u"--admin-token-file"_s, u"/nonexistent/admin.token"_s}
            << u"/nonexistent/admin.token does not exist"_s;
    }

    void badArgumentsAreNamed()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, mentions);
        QProcess process;
        process.start(QStringLiteral(VOTEDESK_BINARY), arguments);
        QVERIFY(process.waitForFinished(10'000));
        QCOMPARE(process.exitCode(), 2);
        const QString error = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(error.contains(mentions), qPrintable(error));
    }

    // --export-dir and --csv-bom: the published results land in that folder, with the BOM.
    void headlessWritesTheFeedFiles()
    {
        const QString out = m_dir.filePath(u"feeds-%1"_s.arg(QFileInfo(m_dbPath).dir().dirName()));
        QVERIFY(QDir().mkpath(out));
        QProcess process;
        const quint16 port = startHeadless(process, {u"--export-dir"_s, out, u"--csv-bom"_s});
        QVERIFY2(port != 0, process.readAllStandardError().constData());
        QCOMPARE(request(port, u"/v1/admin/window"_s, R"({"action":"open"})").status, 200);
        QCOMPARE(request(port, u"/v1/votes"_s, R"({"voter":"u1","option":"B"})").status, 202);
        QCOMPARE(request(port, u"/v1/admin/window"_s, R"({"action":"publish"})").status, 200);
        QFile csv(QDir(out).filePath(u"results.csv"_s));
        QTRY_VERIFY_WITH_TIMEOUT(csv.exists(), 10'000);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readAll().startsWith("\xEF\xBB\xBFrank,key,label,votes,percent"));
        QVERIFY(request(port, u"/v1/admin/results"_s).json[u"feeds"_s].toObject()[u"folder"_s].toString() ==
                QDir::toNativeSeparators(out));
        process.terminate();
        QVERIFY(process.waitForFinished(20'000));
        QCOMPARE(process.exitCode(), 0);
    }

    void headlessTakesVotesAndSurvivesARestart()
    {
        QProcess process;
        quint16 port = startHeadless(process);
        QVERIFY2(port != 0, process.readAllStandardError().constData());

        QCOMPARE(
            request(port, u"/v1/votes"_s, R"({"voter":"u1","option":"B"})").json.value(u"error"_s).toString(),
            u"window_not_open"_s);
        QCOMPARE(request(port, u"/v1/admin/window"_s, R"({"action":"open"})").status, 200);
        const Answer vote = request(port, u"/v1/votes"_s, R"({"voter":"u1","option":"B"})");
        QCOMPARE(vote.status, 202);
        QVERIFY(!vote.json.value(u"receipt"_s).toString().isEmpty());
        QCOMPARE(request(port, u"/v1/admin/results"_s).json.value(u"raw"_s).toObject().value(u"B"_s).toInt(),
                 1);

        // A second instance on the same database is refused with a clear message.
        QProcess second;
        second.start(QStringLiteral(VOTEDESK_BINARY),
                     {u"--headless"_s, u"--port"_s, u"0"_s, u"--db"_s, m_dbPath});
        QVERIFY(second.waitForFinished(20'000));
        QCOMPARE(second.exitCode(), 1);
        QVERIFY(QString::fromUtf8(second.readAllStandardError()).contains(u"in use"_s));

        // SIGTERM: a clean stop.
        process.terminate();
        QVERIFY(process.waitForFinished(20'000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);

        port = startHeadless(process);
        QVERIFY(port != 0);
        const Answer results = request(port, u"/v1/admin/results"_s);
        QCOMPARE(results.json.value(u"state"_s).toString(), u"open"_s);
        QCOMPARE(results.json.value(u"raw"_s).toObject().value(u"B"_s).toInt(), 1);
        QCOMPARE(results.json.value(u"accepted"_s).toInt(), 1);
        process.terminate();
        QVERIFY(process.waitForFinished(20'000));
        QCOMPARE(process.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestApp)
#include "tst_app.moc"
