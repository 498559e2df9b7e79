#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include "engine/consolesettings.h"

using namespace Qt::Literals::StringLiterals;

class TestConsoleSettings final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreValid()
    {
        const ConsoleSettings defaults;
        QVERIFY2(defaults.validate().isEmpty(), qPrintable(defaults.validate()));
        QCOMPARE(defaults.port, 8080);
        QCOMPARE(defaults.bindAddress, u"127.0.0.1"_s);
        QVERIFY(defaults.effectiveExportFolder().endsWith(u"/export"_s));
        QVERIFY(defaults.casparCgHost.isEmpty()); // no push unless asked for
    }

    void roundTripsThroughQSettings()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(u"votedesk.ini"_s);
        ConsoleSettings chosen;
        chosen.bindAddress = u"0.0.0.0"_s;
        chosen.port = 9123;
        chosen.ioThreads = 3;
        chosen.durability = u"normal"_s;
        chosen.queueCapacity = 5000;
        chosen.batchSize = 512;
        chosen.batchWindowMs = 2;
        chosen.exportFolder = dir.filePath(u"feeds"_s);
        chosen.exportIntervalSeconds = 5;
        chosen.themeScale = 1.5;
        chosen.audiencePage = false;
        chosen.csvByteOrderMark = true;
        chosen.pseudonymiseVoters = true;
        chosen.casparCgHost = u"10.0.0.9"_s;
        chosen.casparCgPort = 5251;
        chosen.casparCgChannelLayer = u"2-30"_s;
        chosen.casparCgTemplateLayer = 3;
        chosen.casparCgTemplate = u"votedesk/lowerthird"_s;
        chosen.adminTokenFile = dir.filePath(u"admin.token"_s);
        {
            QSettings settings(file, QSettings::IniFormat);
            chosen.save(settings);
        }
        // The path is kept, never a secret: the settings file is plain text.
        QFile ini(file);
        QVERIFY(ini.open(QIODevice::ReadOnly));
        QVERIFY(ini.readAll().contains("adminTokenFile="));
        QSettings settings(file, QSettings::IniFormat);
        const ConsoleSettings loaded = ConsoleSettings::load(settings);
        QCOMPARE(loaded, chosen);
        QCOMPARE(loaded.effectiveExportFolder(), dir.filePath(u"feeds"_s));

        // An empty file gives the defaults.
        QSettings empty(dir.filePath(u"empty.ini"_s), QSettings::IniFormat);
        QCOMPARE(ConsoleSettings::load(empty), ConsoleSettings());
    }

    void validationNamesTheSetting_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("bind") << u"bind"_s << u"bind address"_s;
        QTest::newRow("port") << u"port"_s << u"port"_s;
        QTest::newRow("io threads") << u"io"_s << u"I/O threads"_s;
        QTest::newRow("durability") << u"durability"_s << u"durability"_s;
        QTest::newRow("queue") << u"queue"_s << u"queue capacity"_s;
        QTest::newRow("batch") << u"batch"_s << u"batch size"_s;
        QTest::newRow("window") << u"window"_s << u"batch window"_s;
        QTest::newRow("interval") << u"interval"_s << u"export interval"_s;
        QTest::newRow("scale") << u"scale"_s << u"theme scale"_s;
        QTest::newRow("relative folder") << u"folder"_s << u"absolute path"_s;
        QTest::newRow("casparcg port") << u"casparport"_s << u"CasparCG port"_s;
        QTest::newRow("casparcg channel") << u"casparchannel"_s << u"channel-layer"_s;
        QTest::newRow("relative admin token file") << u"token"_s << u"admin token file"_s;
    }

    void validationNamesTheSetting()
    {
        QFETCH(QString, field);
        QFETCH(QString, mentions);
        ConsoleSettings s;
        if (field == u"bind")
            s.bindAddress = u"studio-pc"_s;
        else if (field == u"port")
            s.port = 70000;
        else if (field == u"io")
            s.ioThreads = -1;
        else if (field == u"durability")
            s.durability = u"maybe"_s;
        else if (field == u"queue")
            s.queueCapacity = 0;
        else if (field == u"batch")
            s.batchSize = 0;
        else if (field == u"window")
            s.batchWindowMs = -5;
        else if (field == u"interval")
            s.exportIntervalSeconds = 0;
        else if (field == u"scale")
            s.themeScale = 9.0;
        else if (field == u"folder")
            s.exportFolder = u"feeds"_s;
        else if (field == u"token")
            s.adminTokenFile = u"admin.token"_s;
        if (field.startsWith(u"caspar"_s))
            s.casparCgHost = u"10.0.0.9"_s;
        if (field == u"casparport")
            s.casparCgPort = 0;
        else if (field == u"casparchannel")
            s.casparCgChannelLayer = u"one"_s;
        const QString problem = s.validate();
        QVERIFY2(problem.contains(mentions), qPrintable(problem));
    }

    // The file's content is checked apart from validate(): a broken token file must not make
    // the start throw away every other saved setting.
    void theAdminTokenFileIsCheckedByTheServersRules()
    {
        QTemporaryDir dir;
        ConsoleSettings s;
        QVERIFY(s.adminTokenFileProblem().isEmpty()); // none set
        s.adminTokenFile = dir.filePath(u"admin.token"_s);
        QVERIFY(s.validate().isEmpty());
        QVERIFY2(s.adminTokenFileProblem().contains(u"does not exist"_s),
                 qPrintable(s.adminTokenFileProblem()));
        QFile file(s.adminTokenFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("s3cret-token-0123456789\n");
        file.close();
        QVERIFY(
            file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
        QVERIFY2(s.adminTokenFileProblem().contains(u"readable by others"_s),
                 qPrintable(s.adminTokenFileProblem()));
        QVERIFY(s.validate().isEmpty());
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QVERIFY2(s.adminTokenFileProblem().isEmpty(), qPrintable(s.adminTokenFileProblem()));
    }

    void appliesToTheEngineOptions()
    {
        ConsoleSettings s;
        s.bindAddress = u"0.0.0.0"_s;
        s.port = 0;
        s.ioThreads = 2;
        s.durability = u"normal"_s;
        s.queueCapacity = 77;
        s.batchSize = 8;
        s.batchWindowMs = 3;
        s.exportFolder = u"/srv/graphics"_s;
        s.exportIntervalSeconds = 2;
        s.csvByteOrderMark = true;
        s.casparCgHost = u"10.0.0.9"_s;
        s.casparCgTemplate = u"results"_s;
        Engine::Options options;
        s.applyTo(&options);
        QCOMPARE(options.feeds.exportFolder, u"/srv/graphics"_s);
        QCOMPARE(options.feeds.exportIntervalMs, 2000);
        QVERIFY(options.feeds.csvByteOrderMark);
        QVERIFY(options.feeds.casparCg);
        QCOMPARE(options.feeds.casparCgSettings.host, u"10.0.0.9"_s);
        QCOMPARE(options.feeds.casparCgSettings.port, quint16(5250));
        QCOMPARE(options.feeds.casparCgSettings.channelLayer, u"1-20"_s);
        QCOMPARE(options.feeds.casparCgSettings.loadMode, CasparCgClient::LoadMode::AddOnFirstConnect);
        QCOMPARE(options.bindAddress, QHostAddress(QHostAddress::AnyIPv4));
        QCOMPARE(options.port, quint16(0));
        QCOMPARE(options.ioThreads, 2);
        QCOMPARE(options.durability, Durability::Normal);
        QCOMPARE(options.queueCapacity, 77);
        QCOMPARE(options.batchSize, 8);
        QCOMPARE(options.batchWindowMs, 3);
        s.ioThreads = 0; // one per core
        s.applyTo(&options);
        QVERIFY(options.ioThreads >= 1);
    }
};

QTEST_GUILESS_MAIN(TestConsoleSettings)
#include "tst_consolesettings.moc"
