#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "export/finalreport.h"
#include "exporttestsupport.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr qint64 kT0 = 1'714'594'500'000; // 2024-05-01T20:15:00.000Z

// A scripted session: three acts, the lines opened, extended once and closed, votes
// rejected for two reasons, three late, five seconds of throughput.
FinalReportInputs scripted()
{
    FinalReportInputs in;
    in.results = ExportTest::results(
        ExportTest::session({{u"A"_s, u"Act A"_s}, {u"B"_s, u"<Act & B>"_s}, {u"C"_s, u"Зоя"_s}}, 3),
        {100, 70, 10}, 4, {120, 80, 10});
    in.results.final = true;
    in.results.tally.uniqueVoters = 180;
    in.results.window.state = WindowState::Final;
    in.results.window.openedAtMs = kT0;
    in.results.window.closesAtMs = kT0 + 150'000;
    in.results.window.closedAtMs = kT0 + 150'000;
    in.countingRule = u"capped:20"_s;
    in.audit = {{kT0 - 60'000, u"results_published"_s, u"empty board"_s, u"console"_s},
                {kT0, u"lines_opened"_s, u"120 s"_s, u"console"_s},
                {kT0 + 60'000, u"lines_extended"_s, u"+30 s"_s, u"admin-api 127.0.0.1"_s},
                {kT0 + 150'000, u"lines_closed"_s, u"timer"_s, u"system"_s},
                {kT0 + 160'000, u"finalized"_s, u"recount matched\nlive tally"_s, u"console"_s}};
    const qint64 accepted[] = {10, 50, 30, 0, 0};
    const qint64 rejected[] = {0, 2, 5, 0, 0};
    for (int i = 0; i < 5; ++i) {
        SecondSample s;
        s.atMs = kT0 + 1000 * (i + 1);
        s.intervalMs = 1000;
        s.accepted = accepted[i];
        s.rejected = rejected[i];
        s.persisted = accepted[i];
        in.samples.append(s);
    }
    in.rejectedByReason = {{u"invalid_voter"_s, 5}, {u"unknown_option"_s, 2}};
    in.late = 3;
    in.generatedAtMs = kT0 + 170'000;
    in.appVersion = u"0.1.0"_s;
    in.files = FinalReport::documentDigests(in.results, {});
    return in;
}

bool hasLine(const QString &text, const QString &pattern)
{
    return QRegularExpression(u"^"_s + pattern + u"$"_s, QRegularExpression::MultilineOption)
        .match(text)
        .hasMatch();
}
} // namespace

class TestFinalReport final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void textFigures();
    void htmlIsSelfContained();
    void windowTimesFallBackOnTheRecord();
    void bannersForRehearsalAndUncertified();
    void digestsMatchTheDocuments();
    void writesBothFiles();
    void exclusionsHaveASection();
};

void TestFinalReport::textFigures()
{
    const FinalReportInputs in = scripted();
    const QString text = QString::fromUtf8(FinalReport::text(in));
    const auto check = [&text](const QString &pattern) {
        QVERIFY2(hasLine(text, pattern), qPrintable(u"no line /"_s + pattern + u"/ in:\n"_s + text));
    };
    check(u"  Session: +3 - Semi-final"_s);
    check(u"  Question: +Who stays\\?"_s);
    check(u"  Status: +FINAL"_s);
    check(u"  Counting rule: +capped:20"_s);
    check(u"  Generated: +2024-05-01T20:17:50.000Z by votedesk 0.1.0"_s);
    check(u"  Opened: +2024-05-01T20:15:00.000Z"_s);
    check(u"  Extended: +2024-05-01T20:16:00.000Z  \\+30 s"_s);
    check(u"  Closed: +2024-05-01T20:17:30.000Z"_s);
    check(u"  Accepted votes \\(raw\\): +210"_s);
    check(u"  Counted votes \\(exact\\): +180"_s);
    check(u"  Unique voters: +180"_s);
    check(u"  Rejected votes: +7"_s);
    check(u"  Late votes \\(not counted\\): +3"_s);
    check(u"  1 +A +120 +100 +55.6  Act A"_s);
    check(u"  2 +B +80 +70 +38.9  <Act & B>"_s);
    check(u"  3 +C +10 +10 +5.5  Зоя"_s);
    check(u"  invalid_voter: +5"_s);
    check(u"  unknown_option: +2"_s);
    check(u"  Seconds sampled: +5"_s);
    check(u"  Peak accepted: +50/s at 2024-05-01T20:15:02.000Z"_s);
    check(u"  Peak rejected: +5/s"_s);
    check(u"  2024-05-01T20:15:03.000Z +30 +5 +30"_s);
    check(u"  2024-05-01T20:16:00.000Z +lines_extended +admin-api 127.0.0.1 +\\+30 s"_s);
    check(u"  2024-05-01T20:17:40.000Z +finalized +console +recount matched live tally"_s);
    for (const FileDigest &f : in.files)
        check(QString::fromLatin1(f.sha256Hex) + u"  "_s + QRegularExpression::escape(f.name));
    QVERIFY(!text.contains(u"REHEARSAL"_s));
    QVERIFY(!text.contains(u"NOT CERTIFIED"_s));

    const FinalReport::Throughput t = FinalReport::throughput(in.samples);
    QCOMPARE(t.acceptedVotes, qint64(90));
    QCOMPARE(t.rejectedVotes, qint64(7));
    QCOMPARE(t.peakAcceptedAtMs, kT0 + 2000);
}

void TestFinalReport::htmlIsSelfContained()
{
    const QByteArray html = FinalReport::html(scripted());
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    QVERIFY(html.contains("<meta charset=\"utf-8\">"));
    // Nothing fetched: no scripts, no external resources; the only URL is the SVG namespace.
    for (const char *forbidden : {"<script", "src=", "href=", "@import", "url("})
        QVERIFY2(!html.contains(forbidden), forbidden);
    QCOMPARE(html.count("http"), 1);
    QVERIFY(html.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    // One polyline per series, one point per sample.
    for (const char *series : {"accepted", "rejected", "persisted"}) {
        const QByteArray tag = "<polyline class=\"" + QByteArray(series) + "\"";
        const qsizetype at = html.indexOf(tag);
        QVERIFY2(at >= 0, series);
        const qsizetype pointsAt = html.indexOf("points=\"", at) + 8;
        const QByteArray points = html.mid(pointsAt, html.indexOf('"', pointsAt) - pointsAt);
        QCOMPARE(points.split(' ').size(), 5);
    }
    QVERIFY(html.contains("&lt;Act &amp; B&gt;"));
    QVERIFY(!html.contains("<Act & B>"));
    QVERIFY(html.contains("Зоя"));
    QVERIFY(html.contains("<td>Rejected votes</td><td>7</td>"));
    QVERIFY(html.contains("<td>invalid_voter</td><td class=\"n\">5</td>"));
    QVERIFY(html.contains(scripted().files[0].sha256Hex));
    QVERIFY(html.endsWith("</html>\n"));

    FinalReportInputs empty = scripted();
    empty.samples.clear();
    QVERIFY(FinalReport::html(empty).contains("No per-second samples were recorded."));
}

void TestFinalReport::windowTimesFallBackOnTheRecord()
{
    FinalReportInputs in = scripted();
    in.audit.clear();
    const FinalReport::WindowTimes times = FinalReport::windowTimes(in);
    QCOMPARE(times.openedAtMs, kT0);
    QCOMPARE(times.closedAtMs, kT0 + 150'000);
    QVERIFY(times.extensions.isEmpty());
    QVERIFY(hasLine(QString::fromUtf8(FinalReport::text(in)), u"  none"_s));
}

void TestFinalReport::bannersForRehearsalAndUncertified()
{
    FinalReportInputs in = scripted();
    in.results.final = false;
    QVERIFY(FinalReport::text(in).contains("*** NOT CERTIFIED - provisional results ***"));
    QVERIFY(FinalReport::html(in).contains("<p class=\"banner\">NOT CERTIFIED"));
    in.results.rehearsal = true;
    QVERIFY(FinalReport::text(in).contains("*** REHEARSAL - these are not broadcast results ***"));
    QVERIFY(FinalReport::html(in).contains("<p class=\"banner\">REHEARSAL"));
    in.countingRule.clear(); // falls back on the session's policy
    QVERIFY(hasLine(QString::fromUtf8(FinalReport::text(in)), u"  Counting rule: +last_wins"_s));
}

void TestFinalReport::digestsMatchTheDocuments()
{
    const FinalReportInputs in = scripted();
    QCOMPARE(in.files.size(), 4);
    for (qsizetype i = 0; i < in.files.size(); ++i) {
        const ResultDocuments::Kind kind = ResultDocuments::kKinds[std::size_t(i)];
        const QByteArray body = ResultDocuments::render(kind, in.results, {});
        QCOMPARE(in.files[i].name, ResultDocuments::fileName(kind));
        QCOMPARE(in.files[i].bytes, body.size());
        QCOMPARE(in.files[i].sha256Hex, QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex());
    }
    QCOMPARE(FileDigest::of(u"x"_s, "abc").sha256Hex,
             QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

void TestFinalReport::writesBothFiles()
{
    QTemporaryDir dir;
    const FinalReportInputs in = scripted();
    QStringList errors;
    QVERIFY(FinalReport::writeFiles(dir.path(), in, &errors));
    QFile text(dir.filePath(u"final-report.txt"_s));
    QVERIFY(text.open(QIODevice::ReadOnly));
    QCOMPARE(text.readAll(), FinalReport::text(in));
    QFile html(dir.filePath(u"final-report.html"_s));
    QVERIFY(html.open(QIODevice::ReadOnly));
    QCOMPARE(html.readAll(), FinalReport::html(in));

    QVERIFY(!FinalReport::writeFiles(dir.filePath(u"final-report.txt/sub"_s), in, &errors));
    QCOMPARE(errors.size(), 2);
    QVERIFY(errors[0].contains(u"final-report.txt"_s));
}

void TestFinalReport::exclusionsHaveASection()
{
    FinalReportInputs in = scripted();
    QVERIFY(QString::fromUtf8(FinalReport::text(in))
                .contains(u"EXCLUDED FROM THE COUNT BY THE OPERATOR\n  none\n"_s));
    QVERIFY(FinalReport::html(in).contains("<h2>Excluded from the count by the operator</h2>\n<p>None.</p>"));

    CountExclusion voter;
    voter.kind = CountExclusion::Kind::Voter;
    voter.value = u"stuffer"_s;
    voter.reason = u"50 votes/s\nfrom one id"_s;
    voter.actor = u"console"_s;
    voter.atMs = kT0 + 155'000;
    CountExclusion range;
    range.kind = CountExclusion::Kind::AddressRange;
    range.value = u"203.0.113.0/24"_s;
    range.reason = u"<botnet> & co"_s;
    range.actor = u"admin-api 127.0.0.1"_s;
    range.atMs = kT0 + 156'000;
    for (const CountExclusion &e : {voter, range})
        in.audit.append({e.atMs, QString::fromLatin1(CountExclusion::kEventKind), e.eventDetail(), e.actor});
    in.excludedVotes = 42;
    const QString text = QString::fromUtf8(FinalReport::text(in));
    const auto check = [&text](const QString &pattern) {
        QVERIFY2(hasLine(text, pattern), qPrintable(u"no line /"_s + pattern + u"/ in:\n"_s + text));
    };
    check(u"  Votes left out: +42"_s);
    // One exclusion per line whatever the reason holds.
    check(u"  2024-05-01T20:17:35.000Z +voter +stuffer +console +50 votes/s from one id"_s);
    check(u"  2024-05-01T20:17:36.000Z +address_range +203.0.113.0/24 +admin-api 127.0.0.1 +<botnet> & co"_s);

    const QByteArray html = FinalReport::html(in);
    QVERIFY(html.contains("<p>Votes left out: 42.</p>"));
    QVERIFY(
        html.contains("<td>203.0.113.0/24</td><td>admin-api 127.0.0.1</td><td>&lt;botnet&gt; &amp; co</td>"));
}

QTEST_GUILESS_MAIN(TestFinalReport)
#include "tst_finalreport.moc"
