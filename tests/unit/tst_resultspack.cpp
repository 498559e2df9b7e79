#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include "export/resultspack.h"
#include "export/textescape.h"
#include "exporttestsupport.h"
#include "tally/voterledger.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr qint64 kT0 = 1'714'594'500'000;

struct LogVote
{
    qint64 seq;
    QByteArray voter;
    QByteArray option;
    bool late = false;
};

// A vote log that only exists while it is read: every visit regenerates it from the seed,
// as the store replays its table. Counts how often it was read.
struct GeneratedLog
{
    qint64 size = 0;
    int voters = 1;
    int options = 3;
    qint64 lateFrom = 0; // seq from which votes are late; 0 = none
    int reads = 0;

    VoteReplay::Source source()
    {
        return [this](const VoteReplay::Visit &visit, QString *) {
            ++reads;
            QRandomGenerator random(99);
            for (qint64 seq = 1; seq <= size; ++seq) {
                const QByteArray voter = "+4479" + QByteArray::number(10'000'000 + random.bounded(voters));
                const QByteArray option(1, char('A' + random.bounded(options)));
                visit(ReplayVote{seq, voter, option, kT0 + seq, lateFrom > 0 && seq >= lateFrom});
            }
            return true;
        };
    }
};

SessionDefinition abc()
{
    return ExportTest::session({{u"A"_s, u"Act A"_s}, {u"B"_s, u"Act, \"B\""_s}, {u"C"_s, u"Зоя"_s}}, 12);
}

// The certified picture as the core would have it: counted by the ingest's own ledger.
ResultsPackInputs inputsFor(GeneratedLog &log, VotePolicy policy)
{
    const SessionDefinition session = abc();
    VoterLedger ledger(policy);
    TallyCounts counts(int(session.options.size()));
    GeneratedLog copy = log;
    copy.source()(
        [&](const ReplayVote &v) {
            if (!v.late)
                ledger.apply(v.voter, session.indexOf(v.option), counts);
        },
        nullptr);
    ResultsPackInputs in;
    in.report.results = ExportTest::results(session, counts.exact, 9, counts.raw);
    in.report.results.session.policy = policy;
    in.report.results.final = true;
    in.report.results.tally.uniqueVoters = counts.uniqueVoters;
    in.report.results.window.openedAtMs = kT0;
    in.report.results.window.closedAtMs = kT0 + 90'000;
    in.report.audit = {{kT0, u"lines_opened"_s, u"90 s"_s, u"console"_s},
                       {kT0 + 90'000, u"lines_closed"_s, u"timer, \"on time\""_s, u"system"_s}};
    in.report.late = log.lateFrom > 0 ? log.size - log.lateFrom + 1 : 0;
    in.report.generatedAtMs = kT0 + 100'000;
    in.report.appVersion = u"0.1.0"_s;
    in.rule = CountingRule(policy);
    return in;
}

// Opens the pack as the adjudicator would, with Python's zipfile, hashlib and csv.
QJsonObject readPack(const QString &zip, const QString &into, bool allRows)
{
    const QString script =
        u"import csv, hashlib, json, sys, zipfile\n"
        "z = zipfile.ZipFile(sys.argv[1])\n"
        "bad = z.testzip()\n"
        "names = z.namelist()\n"
        "d = sys.argv[2]\n"
        "z.extractall(d)\n"
        "sums = {}\n"
        "with open(d + '/SHA256SUMS', encoding='utf-8', newline='') as f:\n"
        "    for line in f:\n"
        "        digest, name = line.rstrip('\\n').split('  ', 1)\n"
        "        with open(d + '/' + name, 'rb') as g:\n"
        "            sums[name] = digest == hashlib.sha256(g.read()).hexdigest()\n"
        "with open(d + '/votes.csv', newline='', encoding='utf-8-sig') as f:\n"
        "    reader = csv.DictReader(f)\n"
        "    rows = list(reader)\n"
        "counted = {}\n"
        "for r in rows:\n"
        "    if r['counted'] == 'yes':\n"
        "        counted[r['option']] = counted.get(r['option'], 0) + 1\n"
        "out = {'bad': bad, 'names': names, 'sums': sums, 'header': reader.fieldnames, 'count': len(rows),\n"
        "       'counted': counted}\n"
        "if sys.argv[3] == '1':\n"
        "    out['rows'] = rows\n"
        "json.dump(out, sys.stdout)\n"_s;
    const ExportTest::PythonRun run = ExportTest::runPython(script, {zip, into, allRows ? u"1"_s : u"0"_s});
    if (!run.started)
        qWarning("cannot start /usr/bin/python3: it is required (Debian package python3)");
    if (run.exitCode != 0)
        qWarning("%s", run.err.constData());
    return run.exitCode == 0 ? QJsonDocument::fromJson(run.out).object() : QJsonObject();
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

const QStringList kPackNames = {
    u"results.json"_s, u"results.csv"_s,   u"results-wide.csv"_s, u"results.xml"_s,       u"votes.csv"_s,
    u"session.json"_s, u"audit-log.csv"_s, u"final-report.txt"_s, u"final-report.html"_s, u"SHA256SUMS"_s};
} // namespace

class TestResultsPack final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void packReadByPython();
    void pseudonymisedVoters();
    void firstWinsReadsTheLogOnce();
    void refusesWhenTheLogDisagrees();
    void streamsALargeLog();
    void failsOnAMissingFolder();
};

void TestResultsPack::packReadByPython()
{
    QTemporaryDir dir;
    GeneratedLog log{400, 60, 3, 390};
    ResultsPackInputs in = inputsFor(log, VotePolicy::LastWins);
    in.reportFolder = dir.path();
    const QString zip = dir.filePath(u"pack.zip"_s);
    log.reads = 0;
    const ResultsPack::Outcome outcome = ResultsPack::write(zip, in, log.source());
    QVERIFY2(outcome.ok, qPrintable(outcome.error));
    QCOMPARE(log.reads, 2); // last_wins: once to find each voter's last vote, once to judge
    QCOMPARE(outcome.votes, qint64(400));

    const QJsonObject pack = readPack(zip, dir.filePath(u"unzipped"_s), true);
    QVERIFY(!pack.isEmpty());
    QVERIFY(pack[u"bad"_s].isNull()); // every CRC checks
    QStringList names;
    for (const QJsonValue &name : pack[u"names"_s].toArray())
        names << name.toString();
    QCOMPARE(names, kPackNames);
    const QJsonObject sums = pack[u"sums"_s].toObject();
    QCOMPARE(sums.size(), kPackNames.size() - 1);
    for (auto it = sums.begin(); it != sums.end(); ++it)
        QVERIFY2(it.value().toBool(), qPrintable(it.key() + u": SHA-256 does not match SHA256SUMS"_s));

    QCOMPARE(pack[u"header"_s].toArray().toVariantList(),
             QVariantList({u"receipt"_s, u"voter"_s, u"option"_s, u"received_at"_s, u"received_at_ms"_s,
                           u"counted"_s, u"reason"_s}));
    const QJsonArray rows = pack[u"rows"_s].toArray();
    QCOMPARE(rows.size(), 400);
    // Counted rows per option are the certified exact tally.
    const QJsonObject counted = pack[u"counted"_s].toObject();
    const PublishedResults &r = in.report.results;
    for (qsizetype i = 0; i < r.session.options.size(); ++i)
        QCOMPARE(qint64(counted[r.session.options[i].key].toInt()), r.tally.exact[std::size_t(i)]);
    // Every superseded vote points at a counted vote of the same voter, later in the log.
    QHash<QString, QJsonObject> byReceipt;
    for (const QJsonValue &row : rows)
        byReceipt.insert(row[u"receipt"_s].toString(), row.toObject());
    int superseded = 0;
    int late = 0;
    for (const QJsonValue &value : rows) {
        const QJsonObject row = value.toObject();
        QVERIFY(row[u"receipt"_s].toString().startsWith(u"12-"_s));
        QVERIFY(row[u"voter"_s].toString().startsWith(u"+4479"_s)); // not pseudonymised here
        const qint64 ms = row[u"received_at_ms"_s].toString().toLongLong();
        QCOMPARE(row[u"received_at"_s].toString(), TextEscape::isoUtc(ms));
        const QString reason = row[u"reason"_s].toString();
        if (row[u"counted"_s].toString() == u"yes"_s) {
            QVERIFY(reason.isEmpty());
        } else if (reason == u"late"_s) {
            ++late;
        } else {
            QVERIFY2(reason.startsWith(u"superseded by 12-"_s), qPrintable(reason));
            const QJsonObject winner = byReceipt.value(reason.mid(14));
            QCOMPARE(winner[u"counted"_s].toString(), u"yes"_s);
            QCOMPARE(winner[u"voter"_s], row[u"voter"_s]);
            ++superseded;
        }
    }
    QCOMPARE(late, 11);
    QVERIFY(superseded > 100);

    // The report in the pack certifies votes.csv and the documents, and is the one written
    // beside the feeds.
    const QString unzipped = dir.filePath(u"unzipped"_s);
    const QByteArray report = readFile(unzipped + u"/final-report.txt"_s);
    QCOMPARE(report, outcome.reportText);
    QCOMPARE(readFile(dir.filePath(u"final-report.txt"_s)), report);
    QCOMPARE(readFile(dir.filePath(u"final-report.html"_s)), outcome.reportHtml);
    const QByteArray votesHash =
        QCryptographicHash::hash(readFile(unzipped + u"/votes.csv"_s), QCryptographicHash::Sha256).toHex();
    QVERIFY(report.contains(QByteArray(votesHash + "  votes.csv\n")));
    QVERIFY(report.contains("  Late votes (not counted):   11\n"));
    QCOMPARE(readFile(unzipped + u"/results.csv"_s), ResultDocuments::longCsv(r, {}));
    QVERIFY(readFile(unzipped + u"/results.csv"_s).endsWith(",FINAL\r\n"));

    const QJsonObject session = QJsonDocument::fromJson(readFile(unzipped + u"/session.json"_s)).object();
    QCOMPARE(session[u"counting_rule"_s].toString(), u"last_wins"_s);
    QCOMPARE(session[u"voter_ids"_s].toString(), u"as received"_s);
    QCOMPARE(session[u"session"_s].toObject()[u"options"_s].toArray().size(), 3);
    QList<QStringList> audit;
    QString problem;
    QVERIFY2(ExportTest::parseCsv(readFile(unzipped + u"/audit-log.csv"_s), &audit, &problem),
             qPrintable(problem));
    QCOMPARE(audit.size(), 3);
    QCOMPARE(audit[2], QStringList({TextEscape::isoUtc(kT0 + 90'000), QString::number(kT0 + 90'000),
                                    u"lines_closed"_s, u"system"_s, u"timer, \"on time\""_s}));
    // Nothing temporary left beside the pack.
    QVERIFY(QDir(dir.path()).entryList({u".votedesk-votes-*"_s}, QDir::Files | QDir::Hidden).isEmpty());
}

void TestResultsPack::pseudonymisedVoters()
{
    QTemporaryDir dir;
    GeneratedLog log{200, 30, 3, 0};
    ResultsPackInputs in = inputsFor(log, VotePolicy::LastWins);
    in.pseudonymSecret = "k7#Qx9-session-12";
    in.documents.csvByteOrderMark = true;
    const QString zip = dir.filePath(u"pack.zip"_s);
    const ResultsPack::Outcome outcome = ResultsPack::write(zip, in, log.source());
    QVERIFY2(outcome.ok, qPrintable(outcome.error));
    const QJsonObject pack = readPack(zip, dir.filePath(u"unzipped"_s), true);
    QVERIFY(!pack.isEmpty());
    // Row by row: the HMAC of the voter the log holds at that seq.
    QHash<qint64, QByteArray> voterAt;
    GeneratedLog again = log;
    again.source()([&voterAt](const ReplayVote &v) { voterAt.insert(v.seq, v.voter.toByteArray()); },
                   nullptr);
    QSet<QString> pseudonyms;
    for (const QJsonValue &row : pack[u"rows"_s].toArray()) {
        const QString voter = row[u"voter"_s].toString();
        const qint64 seq = row[u"receipt"_s].toString().mid(3).toLongLong();
        QCOMPARE(voter, QString::fromLatin1(ResultsPack::pseudonym(voterAt.value(seq), in.pseudonymSecret)));
        QCOMPARE(voter.size(), 64);
        pseudonyms.insert(voter);
    }
    QCOMPARE(pseudonyms.size(),
             qsizetype(in.report.results.tally.uniqueVoters)); // same voter, same pseudonym
    QCOMPARE(ResultsPack::pseudonym("+447910000001", "k"),
             QMessageAuthenticationCode::hash("+447910000001", "k", QCryptographicHash::Sha256).toHex());
    // The secret is nowhere in the pack.
    const QString unzipped = dir.filePath(u"unzipped"_s);
    for (const QString &name : kPackNames)
        QVERIFY2(!readFile(unzipped + u'/' + name).contains(in.pseudonymSecret), qPrintable(name));
    QVERIFY(readFile(unzipped + u"/votes.csv"_s).startsWith("\xEF\xBB\xBFreceipt,"));
}

void TestResultsPack::firstWinsReadsTheLogOnce()
{
    QTemporaryDir dir;
    GeneratedLog log{300, 50, 3, 0};
    ResultsPackInputs in = inputsFor(log, VotePolicy::FirstWins);
    log.reads = 0;
    const ResultsPack::Outcome outcome = ResultsPack::write(dir.filePath(u"pack.zip"_s), in, log.source());
    QVERIFY2(outcome.ok, qPrintable(outcome.error));
    QCOMPARE(log.reads, 1);
    const QJsonObject pack = readPack(dir.filePath(u"pack.zip"_s), dir.filePath(u"unzipped"_s), true);
    int already = 0;
    for (const QJsonValue &row : pack[u"rows"_s].toArray())
        already += row[u"reason"_s].toString() == u"voter already voted"_s ? 1 : 0;
    QCOMPARE(already, 300 - 50);
}

void TestResultsPack::refusesWhenTheLogDisagrees()
{
    QTemporaryDir dir;
    GeneratedLog log{100, 20, 3, 0};
    ResultsPackInputs in = inputsFor(log, VotePolicy::LastWins);
    in.report.results.tally.exact[1] += 1; // the certified tally says one more for B
    const QString zip = dir.filePath(u"pack.zip"_s);
    const ResultsPack::Outcome outcome = ResultsPack::write(zip, in, log.source());
    QVERIFY(!outcome.ok);
    QVERIFY2(outcome.error.contains(u"B: "_s) && outcome.error.contains(u"exact"_s),
             qPrintable(outcome.error));
    QVERIFY(!QFile::exists(zip));

    // A read error of the store is reported as such.
    const VoteReplay::Source broken = [](const VoteReplay::Visit &, QString *error) {
        *error = u"disk I/O error"_s;
        return false;
    };
    const ResultsPack::Outcome unread = ResultsPack::write(zip, in, broken);
    QVERIFY(!unread.ok);
    QVERIFY(unread.error.contains(u"disk I/O error"_s));
    QVERIFY(!QFile::exists(zip));
}

// More than the 1 MiB write chunk and more voters than fit a small hash: the pack streams.
void TestResultsPack::streamsALargeLog()
{
    QTemporaryDir dir;
    GeneratedLog log{200'000, 50'000, 3, 0};
    ResultsPackInputs in = inputsFor(log, VotePolicy::LastWins);
    const QString zip = dir.filePath(u"pack.zip"_s);
    const ResultsPack::Outcome outcome = ResultsPack::write(zip, in, log.source());
    QVERIFY2(outcome.ok, qPrintable(outcome.error));
    QCOMPARE(outcome.votes, qint64(200'000));
    const QJsonObject pack = readPack(zip, dir.filePath(u"unzipped"_s), false);
    QVERIFY(!pack.isEmpty());
    QCOMPARE(pack[u"count"_s].toInt(), 200'000);
    const QJsonObject sums = pack[u"sums"_s].toObject();
    QCOMPARE(sums.size(), kPackNames.size() - 1);
    for (auto it = sums.begin(); it != sums.end(); ++it)
        QVERIFY2(it.value().toBool(), qPrintable(it.key()));
    const QJsonObject counted = pack[u"counted"_s].toObject();
    qint64 total = 0;
    for (const QJsonValue &n : counted)
        total += n.toInt();
    QCOMPARE(total, in.report.results.tally.uniqueVoters);
    // Deflated: far smaller than the CSV inside.
    QVERIFY(QFileInfo(zip).size() < outcome.files[4].bytes / 2);
}

void TestResultsPack::failsOnAMissingFolder()
{
    QTemporaryDir dir;
    GeneratedLog log{10, 5, 3, 0};
    const ResultsPackInputs in = inputsFor(log, VotePolicy::LastWins);
    const ResultsPack::Outcome outcome = ResultsPack::write(dir.filePath(u"no/pack.zip"_s), in, log.source());
    QVERIFY(!outcome.ok);
    QVERIFY(outcome.error.contains(u"pack.zip"_s));
}

QTEST_GUILESS_MAIN(TestResultsPack)
#include "tst_resultspack.moc"
