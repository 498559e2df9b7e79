#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "export/csvwriter.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(std::vector<qint64>)

namespace {
const QByteArray kBom = QByteArrayLiteral("\xEF\xBB\xBF");

SessionDefinition threeActs()
{
    SessionDefinition session;
    session.title = u"Test"_s;
    session.options = {{u"A"_s, u"Act A"_s, u"#e6194b"_s},
                       {u"B"_s, u"Act B"_s, u"#3cb44b"_s},
                       {u"C"_s, u"Act C"_s, u"#4363d8"_s}};
    return session;
}

SessionDefinition withLabels(const QStringList &labels)
{
    SessionDefinition session;
    session.title = u"Test"_s;
    for (qsizetype i = 0; i < labels.size(); ++i)
        session.options.append(
            {u"K"_s + QString::number(i), labels[i], SessionDefinition::defaultColour(int(i))});
    return session;
}

// A strict RFC 4180 reader, written separately from the writer so that round trips test the
// format and not the writer against itself: records end in CRLF (a bare CR or LF outside
// quotes is an error), quoted fields double their quotes, nothing may follow a closing quote
// but a comma or the line end. Fields are decoded as UTF-8.
bool parseCsv(const QByteArray &bytes, QList<QStringList> *records, QString *problem)
{
    records->clear();
    QStringList record;
    QByteArray field;
    qsizetype i = 0;
    const qsizetype n = bytes.size();
    const auto fail = [problem, &i](const QString &what) {
        *problem = what % u" at byte "_s % QString::number(i);
        return false;
    };
    while (i < n) {
        field.clear();
        if (bytes[i] == '"') {
            ++i;
            while (true) {
                if (i >= n)
                    return fail(u"unterminated quoted field"_s);
                if (bytes[i] == '"') {
                    if (i + 1 < n && bytes[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += bytes[i++];
            }
        } else {
            while (i < n && bytes[i] != ',' && bytes[i] != '\r' && bytes[i] != '\n') {
                if (bytes[i] == '"')
                    return fail(u"quote inside an unquoted field"_s);
                field += bytes[i++];
            }
        }
        record << QString::fromUtf8(field);
        if (i < n && bytes[i] == ',') {
            ++i;
            if (i == n)
                return fail(u"missing last field"_s);
            continue;
        }
        if (i + 1 < n && bytes[i] == '\r' && bytes[i + 1] == '\n') {
            i += 2;
            records->append(record);
            record.clear();
            continue;
        }
        return fail(i < n ? u"bare line break or text after a closing quote"_s : u"last record lacks CRLF"_s);
    }
    if (!record.isEmpty())
        return fail(u"last record lacks CRLF"_s);
    return true;
}

// "33.4" -> 334; -1 unless the text has exactly one decimal.
int parseTenths(const QString &text)
{
    const QStringList parts = text.split(u'.');
    if (parts.size() != 2 || parts[1].size() != 1)
        return -1;
    bool okWhole = false;
    bool okTenth = false;
    const int whole = parts[0].toInt(&okWhole);
    const int tenth = parts[1].toInt(&okTenth);
    return (okWhole && okTenth) ? whole * 10 + tenth : -1;
}

QStringList filesIn(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArrayLiteral("<unreadable>");
    return file.readAll();
}
} // namespace

class TestCsvWriter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void longFormExactBytes();
    void longFormTiesAndRounding();
    void longFormZeroTotal();
    void byteOrderMark();
    void quoteField_data();
    void quoteField();
    void roundTrip_data();
    void roundTrip();
    void utf8Bytes();
    void wideFormExactBytes();
    void wideFormQuotingAndBom();
    void percentagesSumTo100_data();
    void percentagesSumTo100();
    void writeFileCreates();
    void writeFileReplacesAtomically();
    void writeFileMissingFolder();
    void writeFileOntoFolder();
    void writeFileEmptyPath();
};

void TestCsvWriter::longFormExactBytes()
{
    const ResultTable table = ResultTable::compute(threeActs(), {10, 30, 10});
    QCOMPARE(CsvWriter::longForm(table, {}), QByteArrayLiteral("rank,key,label,votes,percent\r\n"
                                                               "1,B,Act B,30,60.0\r\n"
                                                               "2,A,Act A,10,20.0\r\n"
                                                               "2,C,Act C,10,20.0\r\n"));
}

void TestCsvWriter::longFormTiesAndRounding()
{
    const ResultTable table = ResultTable::compute(threeActs(), {7, 7, 7});
    QCOMPARE(CsvWriter::longForm(table, {}), QByteArrayLiteral("rank,key,label,votes,percent\r\n"
                                                               "1,A,Act A,7,33.4\r\n"
                                                               "1,B,Act B,7,33.3\r\n"
                                                               "1,C,Act C,7,33.3\r\n"));
}

void TestCsvWriter::longFormZeroTotal()
{
    const ResultTable table = ResultTable::compute(threeActs(), {0, 0, 0});
    QCOMPARE(CsvWriter::longForm(table, {}), QByteArrayLiteral("rank,key,label,votes,percent\r\n"
                                                               "1,A,Act A,0,0.0\r\n"
                                                               "1,B,Act B,0,0.0\r\n"
                                                               "1,C,Act C,0,0.0\r\n"));
}

void TestCsvWriter::byteOrderMark()
{
    const ResultTable table = ResultTable::compute(threeActs(), {1, 0, 0});
    const QByteArray plain = CsvWriter::longForm(table, {});
    const QByteArray marked = CsvWriter::longForm(table, {.byteOrderMark = true});

    QVERIFY(plain.startsWith("rank,"));
    QVERIFY(marked.startsWith(QByteArray(kBom + "rank,")));
    QCOMPARE(marked, QByteArray(kBom + plain));
    QCOMPARE(plain.count(kBom), 0);
}

void TestCsvWriter::quoteField_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("plain") << u"Act A"_s << QByteArrayLiteral("Act A");
    QTest::newRow("empty") << QString() << QByteArray();
    QTest::newRow("inner space") << u"a b"_s << QByteArrayLiteral("a b");
    QTest::newRow("comma") << u"Smith, J"_s << QByteArrayLiteral("\"Smith, J\"");
    QTest::newRow("quotes") << u"The \"Best\""_s << QByteArrayLiteral("\"The \"\"Best\"\"\"");
    QTest::newRow("only a quote") << u"\""_s << QByteArrayLiteral("\"\"\"\"");
    QTest::newRow("LF") << u"two\nlines"_s << QByteArrayLiteral("\"two\nlines\"");
    QTest::newRow("CR") << u"two\rlines"_s << QByteArrayLiteral("\"two\rlines\"");
    QTest::newRow("CRLF") << u"two\r\nlines"_s << QByteArrayLiteral("\"two\r\nlines\"");
    QTest::newRow("leading space") << u" Zoë"_s << QByteArrayLiteral("\" Zo\xC3\xAB\"");
    QTest::newRow("trailing space") << u"Zoë "_s << QByteArrayLiteral("\"Zo\xC3\xAB \"");
    QTest::newRow("trailing tab") << u"Zoë\t"_s << QByteArrayLiteral("\"Zo\xC3\xAB\t\"");
    QTest::newRow("only a space") << u" "_s << QByteArrayLiteral("\" \"");
    QTest::newRow("non-ASCII stays bare") << u"Zoë & Ünal"_s << QByteArrayLiteral("Zo\xC3\xAB & \xC3\x9Cnal");
    QTest::newRow("emoji") << u"🎤 Mic"_s << QByteArrayLiteral("\xF0\x9F\x8E\xA4 Mic");
    QTest::newRow("CJK") << u"歌手"_s << QByteArrayLiteral("\xE6\xAD\x8C\xE6\x89\x8B");
    QTest::newRow("semicolon is not a separator") << u"a;b"_s << QByteArrayLiteral("a;b");
    // Labels reach the graphics as typed: no spreadsheet-formula escaping.
    QTest::newRow("formula-like") << u"=1+1"_s << QByteArrayLiteral("=1+1");
    QTest::newRow("everything") << u" \"a,b\"\r\n"_s << QByteArrayLiteral("\" \"\"a,b\"\"\r\n\"");
}

void TestCsvWriter::quoteField()
{
    QFETCH(QString, field);
    QFETCH(QByteArray, expected);

    QCOMPARE(CsvWriter::quoteField(field), expected);
}

void TestCsvWriter::roundTrip_data()
{
    QTest::addColumn<QString>("label");

    QTest::newRow("comma") << u"Smith, Jones & Co"_s;
    QTest::newRow("quotes") << u"The \"Best\" Band"_s;
    QTest::newRow("newline") << u"Line one\nLine two"_s;
    QTest::newRow("CRLF") << u"Line one\r\nLine two"_s;
    QTest::newRow("spaces around") << u"  padded  "_s;
    QTest::newRow("accents") << u"Zoë & Ünal"_s;
    QTest::newRow("emoji") << u"🎤🔥 The Mics"_s;
    QTest::newRow("CJK") << u"少年隊"_s;
    QTest::newRow("RTL") << u"فرقة"_s;
    QTest::newRow("all of it") << u" \"Zoë\", 歌手\r\n🎤 "_s;
}

void TestCsvWriter::roundTrip()
{
    QFETCH(QString, label);

    const SessionDefinition session = withLabels({u"Plain"_s, label, u"Other"_s});
    const ResultTable table = ResultTable::compute(session, {1, 5, 2});

    QList<QStringList> records;
    QString problem;
    QVERIFY2(parseCsv(CsvWriter::longForm(table, {}), &records, &problem), qPrintable(problem));
    QCOMPARE(records.size(), 4);
    QCOMPARE(records[0], (QStringList{u"rank"_s, u"key"_s, u"label"_s, u"votes"_s, u"percent"_s}));
    QCOMPARE(records[1], (QStringList{u"1"_s, u"K1"_s, label, u"5"_s, u"62.5"_s}));
    QCOMPARE(records[2], (QStringList{u"2"_s, u"K2"_s, u"Other"_s, u"2"_s, u"25.0"_s}));
    QCOMPARE(records[3], (QStringList{u"3"_s, u"K0"_s, u"Plain"_s, u"1"_s, u"12.5"_s}));

    QVERIFY2(parseCsv(CsvWriter::wideForm(table, session, {}), &records, &problem), qPrintable(problem));
    QCOMPARE(records.size(), 2);
    QCOMPARE(records[1].size(), 10);
    QCOMPARE(records[1][4], label);
}

void TestCsvWriter::utf8Bytes()
{
    const SessionDefinition session = withLabels({u"Zoë & Ünal"_s, u"少年隊 🎤"_s});
    const QByteArray csv = CsvWriter::longForm(ResultTable::compute(session, {2, 1}), {});

    QVERIFY(csv.contains("\r\n1,K0,Zo\xC3\xAB & \xC3\x9Cnal,2,66.7\r\n"));
    QVERIFY(csv.contains("\r\n2,K1,\xE5\xB0\x91\xE5\xB9\xB4\xE9\x9A\x8A \xF0\x9F\x8E\xA4,1,33.3\r\n"));
    // Not Latin-1: a lone 0xEB would be ë in Latin-1 and invalid UTF-8.
    QVERIFY(!csv.contains("Zo\xEB"));
}

void TestCsvWriter::wideFormExactBytes()
{
    const SessionDefinition session = threeActs();
    const ResultTable table = ResultTable::compute(session, {10, 30, 10});

    // Columns follow the session's option order, not the ranking.
    QCOMPARE(CsvWriter::wideForm(table, session, {}),
             QByteArrayLiteral(
                 "total,A_label,A_votes,A_percent,B_label,B_votes,B_percent,C_label,C_votes,C_percent\r\n"
                 "50,Act A,10,20.0,Act B,30,60.0,Act C,10,20.0\r\n"));
    QCOMPARE(CsvWriter::wideForm(ResultTable::compute(session, {0, 0, 0}), session, {}),
             QByteArrayLiteral(
                 "total,A_label,A_votes,A_percent,B_label,B_votes,B_percent,C_label,C_votes,C_percent\r\n"
                 "0,Act A,0,0.0,Act B,0,0.0,Act C,0,0.0\r\n"));
}

void TestCsvWriter::wideFormQuotingAndBom()
{
    SessionDefinition session = threeActs();
    session.options[1].label = u"Zoë, \"Ünal\""_s;
    const ResultTable table = ResultTable::compute(session, {1, 1, 1});

    QCOMPARE(CsvWriter::wideForm(table, session, {.byteOrderMark = true}),
             QByteArray(
                 kBom +
                 QByteArrayLiteral(
                     "total,A_label,A_votes,A_percent,B_label,B_votes,B_percent,C_label,C_votes,C_percent\r\n"
                     "3,Act A,1,33.4,\"Zo\xC3\xAB, \"\"\xC3\x9Cnal\"\"\",1,33.3,Act C,1,33.3\r\n")));
}

void TestCsvWriter::percentagesSumTo100_data()
{
    QTest::addColumn<std::vector<qint64>>("votes");

    QTest::newRow("thirds") << std::vector<qint64>{1, 1, 1};
    QTest::newRow("sevenths") << std::vector<qint64>{1, 1, 1, 1, 1, 1, 1};
    QTest::newRow("uneven") << std::vector<qint64>{123'457, 98'765, 3, 0, 55'555};
    QTest::newRow("one vote") << std::vector<qint64>{0, 1, 0, 0};
    QTest::newRow("huge") << std::vector<qint64>{(qint64(1) << 53) - 1, (qint64(1) << 52) + 7, 11};
    std::vector<qint64> many;
    for (int i = 0; i < SessionDefinition::MaxOptions; ++i)
        many.push_back(qint64(i) * 7919 % 1013);
    QTest::newRow("64 options") << many;
}

// What the graphics engine sees: the file on disk, parsed, must add up to 100.0.
void TestCsvWriter::percentagesSumTo100()
{
    QFETCH(std::vector<qint64>, votes);

    QStringList labels;
    for (std::size_t i = 0; i < votes.size(); ++i)
        labels << u"Act "_s + QString::number(i);
    const ResultTable table = ResultTable::compute(withLabels(labels), votes);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"results.csv"_s);
    QString error;
    QVERIFY2(CsvWriter::writeFile(path, CsvWriter::longForm(table, {}), &error), qPrintable(error));

    QList<QStringList> records;
    QString problem;
    QVERIFY2(parseCsv(readAll(path), &records, &problem), qPrintable(problem));
    QCOMPARE(records.size(), qsizetype(votes.size()) + 1);
    int sum = 0;
    for (qsizetype i = 1; i < records.size(); ++i) {
        QCOMPARE(records[i].size(), 5);
        const int tenths = parseTenths(records[i][4]);
        QVERIFY2(tenths >= 0 && tenths <= 1000, qPrintable(records[i][4]));
        sum += tenths;
    }
    QCOMPARE(sum, 1000);
}

void TestCsvWriter::writeFileCreates()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"results.csv"_s);
    const QByteArray content =
        QByteArrayLiteral("rank,key,label,votes,percent\r\n1,A,Zo\xC3\xAB,1,100.0\r\n");

    QString error = u"untouched"_s;
    QVERIFY(CsvWriter::writeFile(path, content, &error));
    QCOMPARE(readAll(path), content);
    QCOMPARE(filesIn(dir.path()), QStringList{u"results.csv"_s}); // no temporary left behind
    QVERIFY(CsvWriter::writeFile(path, content, nullptr));        // error is optional
}

void TestCsvWriter::writeFileReplacesAtomically()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"results.csv"_s);
    const QByteArray oldContent = QByteArray(4096, 'x') + "\r\n";
    const QByteArray newContent = QByteArrayLiteral("rank,key,label,votes,percent\r\n");
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(oldContent), oldContent.size());
    }
    // A reader that opened the old file before the export (a polling graphics engine).
    QFile reader(path);
    QVERIFY(reader.open(QIODevice::ReadOnly));

    QString error;
    QVERIFY2(CsvWriter::writeFile(path, newContent, &error), qPrintable(error));

    // Fully new, not the new bytes over the head of the old ones.
    QCOMPARE(readAll(path), newContent);
    // The reader still sees the complete old file: the new one was renamed over it, never
    // truncated and rewritten in place.
    QCOMPARE(reader.readAll(), oldContent);
    QCOMPARE(filesIn(dir.path()), QStringList{u"results.csv"_s});
}

void TestCsvWriter::writeFileMissingFolder()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString folder = dir.filePath(u"no-such-folder"_s);
    const QString path = folder + u"/results.csv"_s;

    QString error;
    QVERIFY(!CsvWriter::writeFile(path, QByteArrayLiteral("x\r\n"), &error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
    QVERIFY2(error.contains(u"does not exist"_s), qPrintable(error));
    // The folder is not created: a typo must not become a folder nobody watches.
    QVERIFY(!QFileInfo::exists(folder));
    QVERIFY(filesIn(dir.path()).isEmpty());
}

void TestCsvWriter::writeFileOntoFolder()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"a-folder"_s);
    QVERIFY(QDir().mkdir(path));

    QString error;
    QVERIFY(!CsvWriter::writeFile(path, QByteArrayLiteral("x\r\n"), &error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
    QVERIFY(QFileInfo(path).isDir());
}

void TestCsvWriter::writeFileEmptyPath()
{
    QString error;
    QVERIFY(!CsvWriter::writeFile(QString(), QByteArrayLiteral("x\r\n"), &error));
    QVERIFY(!error.isEmpty());
}

QTEST_APPLESS_MAIN(TestCsvWriter)
#include "tst_csvwriter.moc"
