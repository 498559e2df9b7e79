#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include "export/resultdocuments.h"
#include "exporttestsupport.h"

using namespace Qt::Literals::StringLiterals;
using ExportTest::parseCsv;
using Kind = ResultDocuments::Kind;

namespace {
const QByteArray kBom = QByteArrayLiteral("\xEF\xBB\xBF");

PublishedResults threeActs(const std::vector<qint64> &votes)
{
    return ExportTest::results(
        ExportTest::session({{u"A"_s, u"Act A"_s}, {u"B"_s, u"Act B"_s}, {u"C"_s, u"Act C"_s}}), votes);
}

// Labels that break naive writers: separators, quotes, line breaks, padding, scripts that
// are not Latin, emoji (outside the BMP), XML and JSON metacharacters, a backslash.
QStringList nastyLabels()
{
    return {u"Smith, Jones & Co"_s,
            u"The \"Quotes\""_s,
            u"Line one\r\nline two"_s,
            u"bare\nLF"_s,
            u" padded "_s,
            u"Зоя Петрова"_s,
            u"王菲"_s,
            u"عمرو دياب"_s,
            u"Zoë 🎤"_s,
            u"<b>&amp;</b> 'x'"_s,
            u"back\\slash"_s,
            u"tab\there"_s,
            u""_s};
}

SessionDefinition sixtyFourOptions()
{
    const QStringList nasty = nastyLabels();
    QList<std::pair<QString, QString>> options;
    for (int i = 0; i < SessionDefinition::MaxOptions; ++i)
        options.append({u"K"_s + QString::number(i), nasty[i % nasty.size()] + u' ' + QString::number(i)});
    return ExportTest::session(options);
}

struct XmlRow
{
    QMap<QString, QString> fields;
};

bool parseXml(const QByteArray &xml, QMap<QString, QString> *top, QList<XmlRow> *rows, QString *problem)
{
    QXmlStreamReader reader(xml);
    QString rootStatus;
    while (!reader.atEnd()) {
        reader.readNext();
        if (!reader.isStartElement())
            continue;
        if (reader.name() == u"results"_s) {
            (*top)[u"@status"_s] = reader.attributes().value(u"status"_s).toString();
        } else if (reader.name() == u"row"_s) {
            XmlRow row;
            while (reader.readNextStartElement())
                row.fields.insert(reader.name().toString(), reader.readElementText());
            rows->append(row);
        } else {
            const QString name = reader.name().toString();
            (*top)[name] = reader.readElementText();
        }
    }
    if (reader.hasError()) {
        *problem = reader.errorString();
        return false;
    }
    return true;
}
} // namespace

class TestResultDocuments final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void longCsvExactBytes();
    void wideCsvExactBytes();
    void jsonExactBytes();
    void xmlExactBytes();
    void byteOrderMarkOnlyOnCsv();
    void tiesShareRankAndSumTo100();
    void zeroVotesAreZeros();
    void randomSharesAlwaysSumTo100();
    void sixtyFourNastyOptionsRoundTrip();
    void rehearsalIsMarkedEverywhere();
    void finalStatus();
    void xmlEscapesWhatXmlCannotCarry();
    void jsonEscapesControls();
    void namesAndContentTypes();
    void pythonCsvModuleReadsTheFiles();
};

void TestResultDocuments::longCsvExactBytes()
{
    const QByteArray expected = "rank,key,label,votes,percent,total,status\r\n"
                                "1,B,Act B,500,50.0,1000,PROVISIONAL\r\n"
                                "2,A,Act A,300,30.0,1000,PROVISIONAL\r\n"
                                "3,C,Act C,200,20.0,1000,PROVISIONAL\r\n";
    QCOMPARE(ResultDocuments::longCsv(threeActs({300, 500, 200}), {}), expected);
}

void TestResultDocuments::wideCsvExactBytes()
{
    // Session order, not ranking: B_votes stays in its column whoever leads.
    const QByteArray expected =
        "total,A_label,A_votes,A_percent,B_label,B_votes,B_percent,C_label,C_votes,C_percent,"
        "status\r\n"
        "1000,Act A,300,30.0,Act B,500,50.0,Act C,200,20.0,PROVISIONAL\r\n";
    QCOMPARE(ResultDocuments::wideCsv(threeActs({300, 500, 200}), {}), expected);
}

void TestResultDocuments::jsonExactBytes()
{
    const QByteArray expected =
        "[\n"
        "{\"rank\":1,\"key\":\"B\",\"label\":\"Act B\",\"colour\":\"" +
        SessionDefinition::defaultColour(1).toUtf8() +
        "\",\"votes\":500,\"percent\":\"50.0\",\"total\":1000,\"status\":\"PROVISIONAL\"},\n"
        "{\"rank\":2,\"key\":\"A\",\"label\":\"Act A\",\"colour\":\"" +
        SessionDefinition::defaultColour(0).toUtf8() +
        "\",\"votes\":300,\"percent\":\"30.0\",\"total\":1000,\"status\":\"PROVISIONAL\"},\n"
        "{\"rank\":3,\"key\":\"C\",\"label\":\"Act C\",\"colour\":\"" +
        SessionDefinition::defaultColour(2).toUtf8() +
        "\",\"votes\":200,\"percent\":\"20.0\",\"total\":1000,\"status\":\"PROVISIONAL\"}\n"
        "]\n";
    const QByteArray json = ResultDocuments::json(threeActs({300, 500, 200}), {});
    QCOMPARE(json, expected);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(doc.isArray());
    QCOMPARE(doc.array().size(), 3);
    // percent is text with its decimal; votes and rank are numbers.
    QVERIFY(doc.array()[0].toObject()[u"percent"_s].isString());
    QVERIFY(doc.array()[0].toObject()[u"votes"_s].isDouble());
}

void TestResultDocuments::xmlExactBytes()
{
    PublishedResults r = threeActs({300, 500, 200});
    const QByteArray xml = ResultDocuments::xml(r, {});
    QVERIFY(xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<results status=\"PROVISIONAL\">\n"));
    const QByteArray expectedRow = "  <row><rank>1</rank><key>B</key><label>Act B</label><colour>" +
                                   SessionDefinition::defaultColour(1).toUtf8() +
                                   "</colour><votes>500</votes><percent>50.0</percent><total>1000</total>"
                                   "<status>PROVISIONAL</status></row>\n";
    QVERIFY(xml.contains(expectedRow));
    QVERIFY(xml.endsWith("</results>\n"));
    QMap<QString, QString> top;
    QList<XmlRow> rows;
    QString problem;
    QVERIFY2(parseXml(xml, &top, &rows, &problem), qPrintable(problem));
    QCOMPARE(top[u"@status"_s], u"PROVISIONAL"_s);
    QCOMPARE(top[u"question"_s], u"Who stays?"_s);
    QCOMPARE(top[u"total"_s], u"1000"_s);
    QCOMPARE(top[u"publish_version"_s], u"1"_s);
    QCOMPARE(top[u"published_at"_s], u"2023-11-14T22:13:21.000Z"_s);
    QCOMPARE(top[u"rehearsal"_s], u"false"_s);
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[2].fields[u"key"_s], u"C"_s);
    QCOMPARE(rows[2].fields[u"percent"_s], u"20.0"_s);
}

void TestResultDocuments::byteOrderMarkOnlyOnCsv()
{
    const PublishedResults r = threeActs({1, 2, 3});
    const ResultDocuments::Options withBom{true, true};
    QVERIFY(ResultDocuments::longCsv(r, withBom).startsWith(QByteArray(kBom + "rank,")));
    QVERIFY(ResultDocuments::wideCsv(r, withBom).startsWith(QByteArray(kBom + "total,")));
    QVERIFY(!ResultDocuments::longCsv(r, {}).startsWith(kBom));
    QVERIFY(!ResultDocuments::wideCsv(r, {}).startsWith(kBom));
    // JSON and XML never carry one: a BOM before "[" or "<?xml" breaks strict parsers.
    QVERIFY(ResultDocuments::json(r, withBom).startsWith("[\n"));
    QVERIFY(ResultDocuments::xml(r, withBom).startsWith("<?xml"));
}

void TestResultDocuments::tiesShareRankAndSumTo100()
{
    const QByteArray csv = ResultDocuments::longCsv(threeActs({1, 1, 1}), {});
    QCOMPARE(csv, QByteArray("rank,key,label,votes,percent,total,status\r\n"
                             "1,A,Act A,1,33.4,3,PROVISIONAL\r\n"
                             "1,B,Act B,1,33.3,3,PROVISIONAL\r\n"
                             "1,C,Act C,1,33.3,3,PROVISIONAL\r\n"));
    const QByteArray partial = ResultDocuments::longCsv(threeActs({2, 5, 2}), {});
    QCOMPARE(partial, QByteArray("rank,key,label,votes,percent,total,status\r\n"
                                 "1,B,Act B,5,55.6,9,PROVISIONAL\r\n"
                                 "2,A,Act A,2,22.2,9,PROVISIONAL\r\n"
                                 "2,C,Act C,2,22.2,9,PROVISIONAL\r\n"));
}

void TestResultDocuments::zeroVotesAreZeros()
{
    const PublishedResults r = threeActs({0, 0, 0});
    for (const Kind kind : ResultDocuments::kKinds) {
        const QByteArray doc = ResultDocuments::render(kind, r, {});
        QVERIFY2(!doc.contains("nan") && !doc.contains("NaN") && !doc.contains("inf"), doc.constData());
    }
    QCOMPARE(ResultDocuments::longCsv(r, {}), QByteArray("rank,key,label,votes,percent,total,status\r\n"
                                                         "1,A,Act A,0,0.0,0,PROVISIONAL\r\n"
                                                         "1,B,Act B,0,0.0,0,PROVISIONAL\r\n"
                                                         "1,C,Act C,0,0.0,0,PROVISIONAL\r\n"));
    QCOMPARE(
        ResultDocuments::wideCsv(r, {}),
        QByteArray(
            "total,A_label,A_votes,A_percent,B_label,B_votes,B_percent,C_label,C_votes,C_percent,status\r\n"
            "0,Act A,0,0.0,Act B,0,0.0,Act C,0,0.0,PROVISIONAL\r\n"));
    QVERIFY(ResultDocuments::json(r, {}).contains("\"votes\":0,\"percent\":\"0.0\",\"total\":0"));
}

void TestResultDocuments::randomSharesAlwaysSumTo100()
{
    QRandomGenerator random(20240501);
    for (int round = 0; round < 300; ++round) {
        const int n = 2 + int(random.bounded(63));
        QList<std::pair<QString, QString>> options;
        std::vector<qint64> votes;
        for (int i = 0; i < n; ++i) {
            options.append({u"K"_s + QString::number(i), u"L"_s + QString::number(i)});
            votes.push_back(random.bounded(4) == 0 ? 0 : qint64(random.bounded(100'000)));
        }
        const QByteArray csv =
            ResultDocuments::longCsv(ExportTest::results(ExportTest::session(options), votes), {});
        QList<QStringList> records;
        QString problem;
        QVERIFY2(parseCsv(csv, &records, &problem), qPrintable(problem));
        QCOMPARE(records.size(), n + 1);
        int tenths = 0;
        qint64 total = 0;
        for (qsizetype i = 1; i < records.size(); ++i) {
            QString percent = records[i][4];
            // Exactly one decimal, always.
            QCOMPARE(percent.indexOf(u'.'), percent.size() - 2);
            tenths += percent.remove(u'.').toInt();
            total += records[i][3].toLongLong();
        }
        QCOMPARE(tenths, total > 0 ? 1000 : 0);
    }
}

void TestResultDocuments::sixtyFourNastyOptionsRoundTrip()
{
    const SessionDefinition s = sixtyFourOptions();
    std::vector<qint64> votes;
    for (int i = 0; i < s.options.size(); ++i)
        votes.push_back((i * 37) % 11);
    const PublishedResults r = ExportTest::results(s, votes);
    const ResultTable table = ResultDocuments::table(r, {});

    QList<QStringList> records;
    QString problem;
    QVERIFY2(parseCsv(ResultDocuments::longCsv(r, {true, true}), &records, &problem), qPrintable(problem));
    QCOMPARE(records.size(), 65);
    QCOMPARE(records[0], QStringList({u"rank"_s, u"key"_s, u"label"_s, u"votes"_s, u"percent"_s, u"total"_s,
                                      u"status"_s}));
    for (qsizetype i = 0; i < table.rows.size(); ++i) {
        QCOMPARE(records[i + 1].size(), 7);
        QCOMPARE(records[i + 1][1], table.rows[i].key);
        QCOMPARE(records[i + 1][2], table.rows[i].label);
    }

    QVERIFY2(parseCsv(ResultDocuments::wideCsv(r, {}), &records, &problem), qPrintable(problem));
    QCOMPARE(records.size(), 2);
    QCOMPARE(records[0].size(), 1 + 64 * 3 + 1);
    QCOMPARE(records[1].size(), records[0].size());
    for (qsizetype i = 0; i < s.options.size(); ++i) {
        QCOMPARE(records[0][1 + i * 3], s.options[i].key + u"_label"_s);
        QCOMPARE(records[1][1 + i * 3], s.options[i].label);
        QCOMPARE(records[1][2 + i * 3], QString::number(votes[std::size_t(i)]));
    }

    QJsonParseError error;
    const QJsonArray json = QJsonDocument::fromJson(ResultDocuments::json(r, {}), &error).array();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(json.size(), 64);
    for (qsizetype i = 0; i < table.rows.size(); ++i)
        QCOMPARE(json[i].toObject()[u"label"_s].toString(), table.rows[i].label);

    QMap<QString, QString> top;
    QList<XmlRow> rows;
    QVERIFY2(parseXml(ResultDocuments::xml(r, {}), &top, &rows, &problem), qPrintable(problem));
    QCOMPARE(rows.size(), 64);
    for (qsizetype i = 0; i < table.rows.size(); ++i)
        QCOMPARE(rows[i].fields[u"label"_s], table.rows[i].label); // CR, LF and tab survive the parser
}

void TestResultDocuments::rehearsalIsMarkedEverywhere()
{
    PublishedResults r = threeActs({3, 2, 1});
    r.rehearsal = true;
    r.final = true; // even certified, a rehearsal says REHEARSAL
    QCOMPARE(ResultDocuments::statusText(r), u"REHEARSAL"_s);
    QCOMPARE(ResultDocuments::longCsv(r, {}), QByteArray("rank,key,label,votes,percent,total,status\r\n"
                                                         "1,A,[REHEARSAL] Act A,3,50.0,6,REHEARSAL\r\n"
                                                         "2,B,[REHEARSAL] Act B,2,33.3,6,REHEARSAL\r\n"
                                                         "3,C,[REHEARSAL] Act C,1,16.7,6,REHEARSAL\r\n"));
    const QByteArray wide = ResultDocuments::wideCsv(r, {});
    // Same column names as a live session; values marked.
    QVERIFY(wide.startsWith(
        "total,A_label,A_votes,A_percent,B_label,B_votes,B_percent,C_label,C_votes,C_percent,status\r\n"));
    QVERIFY(wide.endsWith("6,[REHEARSAL] Act A,3,50.0,[REHEARSAL] Act B,2,33.3,[REHEARSAL] Act C,1,16.7,"
                          "REHEARSAL\r\n"));
    const QJsonArray json = QJsonDocument::fromJson(ResultDocuments::json(r, {})).array();
    for (const QJsonValue &row : json) {
        QCOMPARE(row.toObject()[u"status"_s].toString(), u"REHEARSAL"_s);
        QVERIFY(row.toObject()[u"label"_s].toString().startsWith(u"[REHEARSAL] "_s));
    }
    const QByteArray xml = ResultDocuments::xml(r, {});
    QVERIFY(xml.contains("<results status=\"REHEARSAL\">"));
    QVERIFY(xml.contains("<rehearsal>true</rehearsal>"));
    QCOMPARE(xml.count("<status>REHEARSAL</status>"), 4);
    QCOMPARE(xml.count("<label>[REHEARSAL] "), 3);

    // The label marking can be turned off for layout rehearsals; the status stays.
    const QByteArray unmarked = ResultDocuments::longCsv(r, {false, false});
    QVERIFY(!unmarked.contains("[REHEARSAL]"));
    QCOMPARE(unmarked.count(",REHEARSAL\r\n"), 3);
}

void TestResultDocuments::finalStatus()
{
    PublishedResults r = threeActs({3, 2, 1});
    r.final = true;
    QCOMPARE(ResultDocuments::statusText(r), u"FINAL"_s);
    QVERIFY(ResultDocuments::longCsv(r, {}).endsWith(",6,FINAL\r\n"));
    QVERIFY(ResultDocuments::xml(r, {}).contains("<final>true</final>"));
}

void TestResultDocuments::xmlEscapesWhatXmlCannotCarry()
{
    QString label = u"a\u0001b\u0008c"_s;
    label += QChar(0xD800); // a lone surrogate
    label += u"&<>\"'"_s;
    const PublishedResults r =
        ExportTest::results(ExportTest::session({{u"A"_s, label}, {u"B"_s, u"\u00A0nbsp"_s}}), {1, 1});
    const QByteArray xml = ResultDocuments::xml(r, {});
    QVERIFY(xml.contains("<label>a\xEF\xBF\xBD"
                         "b\xEF\xBF\xBD"
                         "c\xEF\xBF\xBD&amp;&lt;&gt;&quot;&apos;</label>"));
    QMap<QString, QString> top;
    QList<XmlRow> rows;
    QString problem;
    QVERIFY2(parseXml(xml, &top, &rows, &problem), qPrintable(problem));
    QCOMPARE(rows.size(), 2);
}

void TestResultDocuments::jsonEscapesControls()
{
    const PublishedResults r = ExportTest::results(
        ExportTest::session({{u"A"_s, u"q\"b\\s\u0001\u2028/"_s}, {u"B"_s, u"ok"_s}}), {1, 0});
    const QByteArray json = ResultDocuments::json(r, {});
    QVERIFY(json.contains("\"label\":\"q\\\"b\\\\s\\u0001\\u2028/\""));
    QJsonParseError error;
    const QJsonArray rows = QJsonDocument::fromJson(json, &error).array();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(rows[0].toObject()[u"label"_s].toString(), u"q\"b\\s\u0001\u2028/"_s);
}

void TestResultDocuments::namesAndContentTypes()
{
    QCOMPARE(ResultDocuments::fileName(Kind::LongCsv), u"results.csv"_s);
    QCOMPARE(ResultDocuments::fileName(Kind::WideCsv), u"results-wide.csv"_s);
    QCOMPARE(ResultDocuments::fileName(Kind::Json), u"results.json"_s);
    QCOMPARE(ResultDocuments::fileName(Kind::Xml), u"results.xml"_s);
    QCOMPARE(ResultDocuments::httpPath(Kind::Json), QByteArray("/v1/results.json"));
    QCOMPARE(ResultDocuments::httpPath(Kind::LongCsv), QByteArray("/v1/results.csv"));
    QCOMPARE(ResultDocuments::httpPath(Kind::WideCsv), QByteArray("/v1/results-wide.csv"));
    QCOMPARE(ResultDocuments::httpPath(Kind::Xml), QByteArray("/v1/results.xml"));
    QCOMPARE(ResultDocuments::contentType(Kind::Json), QByteArray("application/json"));
    QVERIFY(ResultDocuments::contentType(Kind::LongCsv).startsWith("text/csv; charset=utf-8"));
    QCOMPARE(ResultDocuments::contentType(Kind::Xml), QByteArray("application/xml; charset=utf-8"));
}

// A graphics operator's tool: Python's csv module (and json), reading the files as written.
void TestResultDocuments::pythonCsvModuleReadsTheFiles()
{
    const SessionDefinition s = sixtyFourOptions();
    std::vector<qint64> votes;
    for (int i = 0; i < s.options.size(); ++i)
        votes.push_back((i * 13) % 7);
    PublishedResults r = ExportTest::results(s, votes);
    r.rehearsal = true;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const ResultDocuments::Options options{true, true};
    for (const Kind kind : ResultDocuments::kKinds) {
        QFile file(dir.filePath(ResultDocuments::fileName(kind)));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(ResultDocuments::render(kind, r, options));
    }
    const QString script =
        u"import csv, json, sys\n"
        "d = sys.argv[1]\n"
        "with open(d + '/results.csv', newline='', encoding='utf-8-sig') as f:\n"
        "    long_rows = list(csv.DictReader(f))\n"
        "with open(d + '/results-wide.csv', newline='', encoding='utf-8-sig') as f:\n"
        "    wide_rows = list(csv.DictReader(f))\n"
        "with open(d + '/results.json', encoding='utf-8') as f:\n"
        "    json_rows = json.load(f)\n"
        "json.dump({'long': long_rows, 'wide': wide_rows, 'json': json_rows}, sys.stdout)\n"_s;
    const ExportTest::PythonRun run = ExportTest::runPython(script, {dir.path()});
    QVERIFY2(run.started, "cannot start /usr/bin/python3: it is required (Debian package python3)");
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject read = QJsonDocument::fromJson(run.out).object();

    const ResultTable table = ResultDocuments::table(r, options);
    const QJsonArray longRows = read[u"long"_s].toArray();
    QCOMPARE(longRows.size(), 64);
    for (qsizetype i = 0; i < table.rows.size(); ++i) {
        const QJsonObject row = longRows[i].toObject();
        QCOMPARE(row[u"rank"_s].toString(), QString::number(table.rows[i].rank));
        QCOMPARE(row[u"key"_s].toString(), table.rows[i].key);
        QCOMPARE(row[u"label"_s].toString(), table.rows[i].label);
        QCOMPARE(row[u"votes"_s].toString(), QString::number(table.rows[i].votes));
        QCOMPARE(row[u"percent"_s].toString(), table.rows[i].percentText());
        QCOMPARE(row[u"status"_s].toString(), u"REHEARSAL"_s);
    }
    const QJsonArray wideRows = read[u"wide"_s].toArray();
    QCOMPARE(wideRows.size(), 1);
    const QJsonObject wide = wideRows[0].toObject();
    QCOMPARE(wide.size(), 1 + 64 * 3 + 1);
    for (qsizetype i = 0; i < s.options.size(); ++i) {
        QCOMPARE(wide[s.options[i].key + u"_label"_s].toString(), u"[REHEARSAL] "_s + s.options[i].label);
        QCOMPARE(wide[s.options[i].key + u"_votes"_s].toString(), QString::number(votes[std::size_t(i)]));
    }
    QCOMPARE(wide[u"status"_s].toString(), u"REHEARSAL"_s);
    const QJsonArray jsonRows = read[u"json"_s].toArray();
    QCOMPARE(jsonRows.size(), 64);
    QCOMPARE(jsonRows[0].toObject()[u"label"_s].toString(), table.rows[0].label);
}

QTEST_GUILESS_MAIN(TestResultDocuments)
#include "tst_resultdocuments.moc"
