// votedesk-loadgen's command line: what it accepts, the defaults it fills in, and a message
// that names the option for everything it refuses.
#include <QTest>

#include "commandline.h"

using namespace Qt::Literals::StringLiterals;

class TestLoadgenCommandLine final : public QObject
{
    Q_OBJECT

private:
    static CommandLineResult parse(const QStringList &arguments, LoadgenOptions *options, QString *error)
    {
        return parseLoadgenCommandLine(QStringList{u"votedesk-loadgen"_s} + arguments, options, error);
    }

private Q_SLOTS:
    void defaults()
    {
        LoadgenOptions o;
        QString error;
        QCOMPARE(parse({u"--url"_s, u"http://127.0.0.1:8080"_s}, &o, &error), CommandLineResult::Run);
        QCOMPARE(o.host, u"127.0.0.1"_s);
        QCOMPARE(o.port, quint16(8080));
        QCOMPARE(o.shape.kind(), LoadShape::Kind::Steady);
        QCOMPARE(o.shape.dueBy(1000), 1000); // 1000 votes/s by default
        QCOMPARE(o.durationMs, 10'000);
        QCOMPARE(o.connections, 64);
        QCOMPARE(o.pipeline, 16);
        QCOMPARE(o.maxRetries, 3);
        QVERIFY(!o.verify);
        QVERIFY(o.optionKeys.isEmpty());
        QVERIFY(o.voterPrefix.isEmpty());
    }

    void fullCommandLine()
    {
        LoadgenOptions o;
        QString error;
        const QStringList arguments{
            u"--url"_s,           u"http://localhost:9000/"_s,
            u"--profile"_s,       u"spike:peak=80000,rise=5s,decay=60s"_s,
            u"--connections"_s,   u"500"_s,
            u"--pipeline"_s,      u"8"_s,
            u"--voters"_s,        u"1000000"_s,
            u"--repeat-ratio"_s,  u"0.1"_s,
            u"--invalid-ratio"_s, u"unknown_option:0.01,invalid_json:0.005"_s,
            u"--options"_s,       u"A:40,B:30,C:20,D:10"_s,
            u"--seed"_s,          u"7"_s,
            u"--voter-prefix"_s,  u"show12."_s,
            u"--max-retries"_s,   u"5"_s,
            u"--timeout"_s,       u"2s"_s,
            u"--drain-timeout"_s, u"1m"_s,
            u"--verify"_s,        u"--record"_s,
            u"rec.csv"_s,         u"--report"_s,
            u"out.json"_s,        u"--chart"_s,
            u"out.html"_s,        u"--new-session"_s,
            u"--policy"_s,        u"first_wins"_s,
            u"--window"_s,        u"5m"_s,
            u"--quiet"_s,
        };
        QCOMPARE(parse(arguments, &o, &error), CommandLineResult::Run);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(o.port, quint16(9000));
        QCOMPARE(o.shape.kind(), LoadShape::Kind::Spike);
        QCOMPARE(o.durationMs, 65'000); // the spike's own length
        QCOMPARE(o.connections, 500);
        QCOMPARE(o.pipeline, 8);
        QCOMPARE(o.voters, 1'000'000);
        QCOMPARE(o.repeatRatio, 0.1);
        QCOMPARE(o.invalidRatio[std::size_t(VoteKind::UnknownOption)], 0.01);
        QCOMPARE(o.optionKeys.size(), 4);
        QCOMPARE(o.seed, 7u);
        QVERIFY(o.seedGiven);
        QCOMPARE(o.voterPrefix, QByteArray("show12."));
        QCOMPARE(o.maxRetries, 5);
        QCOMPARE(o.timeoutMs, 2000);
        QCOMPARE(o.drainTimeoutMs, 60'000);
        QVERIFY(o.verify && o.newSession && o.quiet);
        QCOMPARE(o.record, u"rec.csv"_s);
        QCOMPARE(o.policy, u"first_wins"_s);
        QCOMPARE(o.windowMs, 300'000);

        // capped:N and an option cap, as core spells and validates them.
        QCOMPARE(parse({u"--url"_s, u"http://h:1"_s, u"--new-session"_s, u"--policy"_s, u"capped:20"_s,
                        u"--option-cap"_s, u"5"_s},
                       &o, &error),
                 CommandLineResult::Run);
        QCOMPARE(o.policy, u"capped:20"_s);
        QCOMPARE(o.optionCap, 5);
    }

    void durationOverridesAndStretchesARamp()
    {
        LoadgenOptions o;
        QString error;
        QCOMPARE(parse({u"--url"_s, u"http://h:1"_s, u"--profile"_s, u"ramp"_s, u"--rate"_s, u"100"_s,
                        u"--duration"_s, u"4s"_s},
                       &o, &error),
                 CommandLineResult::Run);
        QCOMPARE(o.durationMs, 4000);
        QCOMPARE(o.shape.dueBy(4000), 200); // 0 -> 100/s over 4 s
    }

    void rateMax()
    {
        LoadgenOptions o;
        QString error;
        QCOMPARE(parse({u"--url"_s, u"http://h:1"_s, u"--rate"_s, u"max"_s}, &o, &error),
                 CommandLineResult::Run);
        QVERIFY(o.shape.isUnlimited());
        QCOMPARE(parse({u"--url"_s, u"http://h:1"_s, u"--rate"_s, u"max"_s, u"--profile"_s, u"spike"_s}, &o,
                       &error),
                 CommandLineResult::Error);
        QVERIFY2(error.contains(u"--rate max"_s), qPrintable(error));
    }

    void newSessionDefaultsToFourOptions()
    {
        LoadgenOptions o;
        QString error;
        QCOMPARE(parse({u"--url"_s, u"http://h:1"_s, u"--new-session"_s}, &o, &error),
                 CommandLineResult::Run);
        QCOMPARE(o.optionKeys, (QStringList{u"A"_s, u"B"_s, u"C"_s, u"D"_s}));
    }

    void helpAndVersion()
    {
        LoadgenOptions o;
        QString error;
        QCOMPARE(parse({u"--help"_s}, &o, &error), CommandLineResult::Help);
        QCOMPARE(parse({u"--version"_s}, &o, &error), CommandLineResult::Version);
        const QString help = loadgenHelpText();
        for (const QString &option :
             {u"--url"_s, u"--rate"_s, u"--profile"_s, u"--duration"_s, u"--connections"_s, u"--voters"_s,
              u"--repeat-ratio"_s, u"--invalid-ratio"_s, u"--options"_s, u"--verify"_s, u"--report"_s,
              u"--chart"_s, u"--record"_s})
            QVERIFY2(help.contains(option), qPrintable(option));
    }

    void refusals_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("mentions");
        const QString url = u"http://127.0.0.1:8080"_s;
        QTest::newRow("no url") << QStringList{u"--rate"_s, u"5"_s} << u"--url"_s;
        QTest::newRow("https") << QStringList{u"--url"_s, u"https://h:1"_s} << u"https"_s;
        QTest::newRow("url with a path") << QStringList{u"--url"_s, u"http://h:1/v1/votes"_s} << u"path"_s;
        QTest::newRow("not a url") << QStringList{u"--url"_s, u"127.0.0.1"_s} << u"--url"_s;
        QTest::newRow("rate zero") << QStringList{u"--url"_s, url, u"--rate"_s, u"0"_s} << u"--rate"_s;
        QTest::newRow("rate text") << QStringList{u"--url"_s, url, u"--rate"_s, u"lots"_s} << u"--rate"_s;
        QTest::newRow("bad profile") << QStringList{u"--url"_s, url, u"--profile"_s, u"wave"_s}
                                     << u"--profile"_s;
        QTest::newRow("spike without peak")
            << QStringList{u"--url"_s, url, u"--profile"_s, u"spike"_s} << u"peak"_s;
        QTest::newRow("duration") << QStringList{u"--url"_s, url, u"--duration"_s, u"soon"_s}
                                  << u"--duration"_s;
        QTest::newRow("zero duration")
            << QStringList{u"--url"_s, url, u"--duration"_s, u"0s"_s} << u"--duration"_s;
        QTest::newRow("connections") << QStringList{u"--url"_s, url, u"--connections"_s, u"0"_s}
                                     << u"--connections"_s;
        QTest::newRow("pipeline") << QStringList{u"--url"_s, url, u"--pipeline"_s, u"5000"_s}
                                  << u"--pipeline"_s;
        QTest::newRow("voters") << QStringList{u"--url"_s, url, u"--voters"_s, u"-3"_s} << u"--voters"_s;
        QTest::newRow("repeat ratio")
            << QStringList{u"--url"_s, url, u"--repeat-ratio"_s, u"1.5"_s} << u"--repeat-ratio"_s;
        QTest::newRow("invalid ratio")
            << QStringList{u"--url"_s, url, u"--invalid-ratio"_s, u"typo:0.1"_s} << u"--invalid-ratio"_s;
        QTest::newRow("options") << QStringList{u"--url"_s, url, u"--options"_s, u"A"_s} << u"--options"_s;
        QTest::newRow("prefix ends in digit")
            << QStringList{u"--url"_s, url, u"--voter-prefix"_s, u"run1"_s} << u"--voter-prefix"_s;
        QTest::newRow("prefix bad chars")
            << QStringList{u"--url"_s, url, u"--voter-prefix"_s, u"a b."_s} << u"--voter-prefix"_s;
        QTest::newRow("policy without new session")
            << QStringList{u"--url"_s, url, u"--policy"_s, u"unlimited"_s} << u"--new-session"_s;
        QTest::newRow("unknown policy")
            << QStringList{u"--url"_s, url, u"--new-session"_s, u"--policy"_s, u"most"_s} << u"--policy"_s;
        QTest::newRow("capped without N")
            << QStringList{u"--url"_s, url, u"--new-session"_s, u"--policy"_s, u"capped:0"_s}
            << u"capped:N"_s;
        QTest::newRow("option cap with first_wins")
            << QStringList{u"--url"_s,        url,   u"--new-session"_s, u"--policy"_s, u"first_wins"_s,
                           u"--option-cap"_s, u"2"_s}
            << u"option_cap"_s;
        QTest::newRow("option cap not a number")
            << QStringList{u"--url"_s,        url,      u"--new-session"_s, u"--policy"_s, u"unlimited"_s,
                           u"--option-cap"_s, u"lots"_s}
            << u"--option-cap"_s;
        QTest::newRow("option cap without new session")
            << QStringList{u"--url"_s, url, u"--option-cap"_s, u"2"_s} << u"--new-session"_s;
        QTest::newRow("verify-record with record")
            << QStringList{u"--url"_s, url, u"--verify-record"_s, u"a.csv"_s, u"--record"_s, u"b.csv"_s}
            << u"--verify-record"_s;
        QTest::newRow("unknown option") << QStringList{u"--url"_s, url, u"--frobnicate"_s} << u"frobnicate"_s;
        QTest::newRow("stray argument") << QStringList{u"--url"_s, url, u"extra"_s} << u"extra"_s;
    }

    void refusals()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, mentions);
        LoadgenOptions o;
        QString error;
        QCOMPARE(parse(arguments, &o, &error), CommandLineResult::Error);
        QVERIFY2(error.contains(mentions), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestLoadgenCommandLine)
#include "tst_loadgencommandline.moc"
