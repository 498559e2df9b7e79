#include <cmath>
#include <limits>

#include <QHash>
#include <QLocale>
#include <QMap>
#include <QSet>
#include <QTest>

#include "metrics/metrics.h"

namespace {
// A reader of the Prometheus text exposition format 0.0.4, written from the format's
// description, strict where votedesk's output must be: it fails the test on the first line
// it cannot read.
struct ParsedSample
{
    QByteArray name;
    QMap<QByteArray, QByteArray> labels;
    double value = 0;
};

struct ParsedFamily
{
    QByteArray type;
    QByteArray help;
    int helpLines = 0;
    int typeLines = 0;
    QList<ParsedSample> samples;
};

struct Exposition
{
    QList<QByteArray> order; // families in the order their first line appeared
    QHash<QByteArray, ParsedFamily> families;
    QString error; // empty when the text parsed
};

bool isNameStart(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

bool isNameChar(char c)
{
    return isNameStart(c) || (c >= '0' && c <= '9');
}

bool parseValue(const QByteArray &text, double *value)
{
    if (text == "NaN") {
        *value = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    if (text == "+Inf" || text == "-Inf") {
        *value = text.startsWith('+') ? std::numeric_limits<double>::infinity()
                                      : -std::numeric_limits<double>::infinity();
        return true;
    }
    bool ok = false;
    *value = text.toDouble(&ok); // QByteArray::toDouble is locale-free
    return ok;
}

// Histogram and summary series belong to the family without their suffix.
QByteArray familyName(const QByteArray &name, const QHash<QByteArray, ParsedFamily> &families)
{
    for (const char *suffix : {"_bucket", "_sum", "_count"}) {
        if (name.endsWith(suffix)) {
            const QByteArray base = name.chopped(qsizetype(qstrlen(suffix)));
            if (families.value(base).type == "histogram")
                return base;
        }
    }
    return name;
}

Exposition parse(const QByteArray &text)
{
    Exposition result;
    if (!text.endsWith('\n')) {
        result.error = QStringLiteral("the text does not end with a line feed");
        return result;
    }
    QSet<QByteArray> finished; // families whose group has ended
    QByteArray current;
    auto enter = [&](const QByteArray &family) {
        if (family == current)
            return true;
        if (finished.contains(family))
            return false; // its lines are split into two groups
        if (!current.isEmpty())
            finished.insert(current);
        current = family;
        if (!result.families.contains(family))
            result.order.append(family);
        result.families[family];
        return true;
    };

    const QList<QByteArray> lines = text.chopped(1).split('\n');
    for (qsizetype n = 0; n < lines.size(); ++n) {
        const QByteArray &line = lines[n];
        auto fail = [&](const char *why) {
            result.error = QStringLiteral("line %1: %2: %3")
                               .arg(n + 1)
                               .arg(QLatin1StringView(why))
                               .arg(QString::fromUtf8(line));
            return result;
        };
        if (line.isEmpty())
            continue;
        if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
            const QByteArray rest = line.mid(7);
            const qsizetype space = rest.indexOf(' ');
            if (space <= 0)
                return fail("no metric name");
            const QByteArray name = rest.left(space);
            if (!enter(name))
                return fail("family appears in two groups");
            ParsedFamily &family = result.families[name];
            if (!family.samples.isEmpty())
                return fail("HELP or TYPE after the family's samples");
            if (line.startsWith("# HELP ")) {
                ++family.helpLines;
                family.help = rest.mid(space + 1);
            } else {
                ++family.typeLines;
                family.type = rest.mid(space + 1);
                static const QSet<QByteArray> types{"counter", "gauge", "histogram", "summary", "untyped"};
                if (!types.contains(family.type))
                    return fail("unknown type");
            }
            continue;
        }
        if (line.startsWith('#'))
            continue; // a comment

        ParsedSample sample;
        qsizetype i = 0;
        if (!isNameStart(line[0]))
            return fail("bad metric name");
        while (i < line.size() && isNameChar(line[i]))
            ++i;
        sample.name = line.left(i);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                const qsizetype start = i;
                if (!isNameStart(line[i]) || line[i] == ':')
                    return fail("bad label name");
                while (i < line.size() && isNameChar(line[i]) && line[i] != ':')
                    ++i;
                const QByteArray labelName = line.mid(start, i - start);
                if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
                    return fail("label without =\"");
                i += 2;
                QByteArray value;
                while (i < line.size() && line[i] != '"') {
                    if (line[i] == '\\') {
                        if (i + 1 >= line.size())
                            return fail("dangling backslash");
                        const char escaped = line[i + 1];
                        if (escaped == '\\' || escaped == '"')
                            value += escaped;
                        else if (escaped == 'n')
                            value += '\n';
                        else
                            return fail("unknown escape");
                        i += 2;
                    } else {
                        value += line[i++];
                    }
                }
                if (i >= line.size())
                    return fail("unterminated label value");
                ++i; // closing quote
                if (sample.labels.contains(labelName))
                    return fail("repeated label");
                sample.labels.insert(labelName, value);
                if (i < line.size() && line[i] == ',')
                    ++i;
            }
            if (i >= line.size())
                return fail("unterminated label set");
            ++i; // '}'
        }
        if (i >= line.size() || line[i] != ' ')
            return fail("no space before the value");
        const QList<QByteArray> fields = line.mid(i + 1).split(' ');
        if (fields.isEmpty() || fields.size() > 2 || !parseValue(fields[0], &sample.value))
            return fail("bad value");

        const QByteArray family = familyName(sample.name, result.families);
        if (!enter(family))
            return fail("family appears in two groups");
        if (result.families[family].typeLines == 0)
            return fail("sample before its TYPE");
        result.families[family].samples.append(sample);
    }
    return result;
}

// Checks the rules of a histogram family; returns an error text or an empty string.
QString checkHistogram(const QByteArray &name, const ParsedFamily &family)
{
    double count = -1;
    double previousLe = -std::numeric_limits<double>::infinity();
    double previousCumulative = 0;
    double infBucket = -1;
    bool sawSum = false;
    for (const ParsedSample &sample : family.samples) {
        if (sample.name == name + "_bucket") {
            double le = 0;
            if (!sample.labels.contains("le") || !parseValue(sample.labels.value("le"), &le))
                return QStringLiteral("bucket without a numeric le");
            if (le <= previousLe)
                return QStringLiteral("le not ascending");
            if (sample.value < previousCumulative)
                return QStringLiteral("bucket counts not cumulative");
            previousLe = le;
            previousCumulative = sample.value;
            if (std::isinf(le))
                infBucket = sample.value;
        } else if (sample.name == name + "_sum") {
            sawSum = true;
        } else if (sample.name == name + "_count") {
            count = sample.value;
        } else {
            return QStringLiteral("unexpected series ") + QString::fromUtf8(sample.name);
        }
    }
    if (infBucket < 0)
        return QStringLiteral("no +Inf bucket");
    if (!sawSum || count < 0)
        return QStringLiteral("no _sum or _count");
    if (infBucket != count)
        return QStringLiteral("+Inf bucket %1 != _count %2").arg(infBucket).arg(count);
    return {};
}

double valueOf(const Exposition &exposition, const QByteArray &family, const QByteArray &name,
               const QMap<QByteArray, QByteArray> &labels = {})
{
    for (const ParsedSample &sample : exposition.families.value(family).samples) {
        if (sample.name == name && sample.labels == labels)
            return sample.value;
    }
    return std::numeric_limits<double>::quiet_NaN();
}
} // namespace

class TestMetrics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void recordCommitFeedsCountersAndHistogram()
    {
        Metrics metrics;
        metrics.recordCommit(100, 300, true);
        metrics.recordCommit(50, 900, true);
        metrics.recordCommit(70, 20'000, false);
        QCOMPARE(metrics.commits.load(), 3);
        QCOMPARE(metrics.commitFailures.load(), 1);
        QCOMPARE(metrics.commitMicrosTotal.load(), 21'200);
        QCOMPARE(metrics.commitMicrosMax.load(), 20'000);
        QCOMPARE(metrics.batches.load(), 2); // only the commits that stored their votes
        QCOMPARE(metrics.batchVotes.load(), 150);
        QCOMPARE(metrics.lastBatchSize.load(), 70);
        QCOMPARE(metrics.storageHealthy.load(), false);
        const LatencyHistogram::Snapshot commit = metrics.commit.snapshot();
        QCOMPARE(commit.count(), 3);
        QCOMPARE(commit.sum(), 21'200);
        QCOMPARE(commit.max(), 20'000);
    }

    void gauges()
    {
        Metrics metrics;
        QVERIFY(!metrics.readGauge("votedesk_queue_depth").has_value());
        metrics.setGauge("votedesk_queue_depth", "Votes waiting", [] { return 5.0; });
        QCOMPARE(metrics.readGauge("votedesk_queue_depth"), std::optional<double>(5.0));
        metrics.setGauge("votedesk_queue_depth", "Votes waiting", [] { return 6.0; }); // replaces
        QCOMPARE(metrics.readGauge("votedesk_queue_depth"), std::optional<double>(6.0));
        const QByteArray text = Metrics::prometheusText(metrics.samples());
        QCOMPARE(text.count("\nvotedesk_queue_depth "), 1);
        QVERIFY(text.contains("\nvotedesk_queue_depth 6\n"));

        // Also appended by hand, as /metrics did before the gauge existed: still one series.
        QList<Metrics::Sample> samples = metrics.samples();
        samples.append({"votedesk_queue_depth", "gauge", "Votes waiting", 99});
        const QByteArray twice = Metrics::prometheusText(samples);
        QCOMPARE(twice.count("\nvotedesk_queue_depth "), 1);
        QVERIFY(twice.contains("\nvotedesk_queue_depth 6\n"));
        QVERIFY(parse(twice).error.isEmpty());
    }

    void expositionParses()
    {
        Metrics metrics;
        metrics.votesReceived = 12;
        metrics.votesAccepted = 10;
        metrics.votesRejected = 3;
        metrics.votesPersisted = 10;
        metrics.recordCommit(10, 250, true);
        metrics.recordCommit(4, 1'700, false);
        for (qint64 micros : {90, 400, 500, 999, 1'000, 2'500, 40'000, 3'000'000, 400'000'000})
            metrics.endToEnd.record(micros);
        metrics.setGauge(Metrics::kQueueDepthGauge, "Votes waiting for the journal writer",
                         [] { return 17.0; });
        metrics.setGauge(Metrics::kActiveWorkersGauge, "Workers processing a batch", [] { return 2.0; });

        // What /metrics adds around Metrics::samples(): labelled samples built elsewhere (the
        // per-session rejections), arriving interleaved with another family.
        QList<Metrics::Sample> samples = metrics.samples();
        samples.append({"votedesk_session_votes_rejected{reason=\"invalid_json\"}", "gauge",
                        "Votes refused in the current session, by reason", 2});
        samples.append({"votedesk_http_requests_total", "counter", "HTTP requests parsed", 25});
        samples.append({"votedesk_session_votes_rejected{reason=\"window_closed\"}", "gauge",
                        "Votes refused in the current session, by reason", 1});

        const QByteArray text = Metrics::prometheusText(samples);
        const Exposition exposition = parse(text);
        QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error + u'\n' + QString::fromUtf8(text)));

        for (const QByteArray &name : exposition.order) {
            const ParsedFamily &family = exposition.families.value(name);
            QVERIFY2(family.helpLines == 1 && family.typeLines == 1, name.constData());
            QVERIFY2(!family.samples.isEmpty(), name.constData());
            if (family.type == "counter")
                QVERIFY2(name.endsWith("_total"), name.constData());
            if (family.type == "histogram") {
                const QString error = checkHistogram(name, family);
                QVERIFY2(error.isEmpty(), qPrintable(QString::fromUtf8(name) + u": " + error));
            }
        }

        QCOMPARE(valueOf(exposition, "votedesk_votes_accepted_total", "votedesk_votes_accepted_total"), 10.0);
        QCOMPARE(valueOf(exposition, "votedesk_votes_rejected_total", "votedesk_votes_rejected_total"), 3.0);
        QCOMPARE(valueOf(exposition, "votedesk_votes_persisted_total", "votedesk_votes_persisted_total"),
                 10.0);
        QCOMPARE(valueOf(exposition, "votedesk_batches_total", "votedesk_batches_total"), 1.0);
        QCOMPARE(valueOf(exposition, "votedesk_queue_depth", "votedesk_queue_depth"), 17.0);
        QCOMPARE(valueOf(exposition, "votedesk_workers_active", "votedesk_workers_active"), 2.0);
        QCOMPARE(exposition.families.value("votedesk_session_votes_rejected").samples.size(), 2);
        QCOMPARE(valueOf(exposition, "votedesk_session_votes_rejected", "votedesk_session_votes_rejected",
                         {{"reason", "window_closed"}}),
                 1.0);

        const QByteArray latency = "votedesk_vote_latency_seconds";
        QCOMPARE(exposition.families.value(latency).type, QByteArray("histogram"));
        QCOMPARE(valueOf(exposition, latency, latency + "_count"), 9.0);
        QCOMPARE(valueOf(exposition, latency, latency + "_bucket", {{"le", "0.0001"}}), 1.0);
        QCOMPARE(valueOf(exposition, latency, latency + "_bucket", {{"le", "0.0005"}}), 3.0); // 500 µs is in
        QCOMPARE(valueOf(exposition, latency, latency + "_bucket", {{"le", "0.001"}}), 5.0);
        QCOMPARE(valueOf(exposition, latency, latency + "_bucket", {{"le", "10"}}), 8.0);
        QCOMPARE(valueOf(exposition, latency, latency + "_bucket", {{"le", "+Inf"}}), 9.0);
        // 90 + 400 + 500 + 999 + 1000 + 2500 + 40 000 + 3 000 000 + 400 000 000 µs
        QCOMPARE(valueOf(exposition, latency, latency + "_sum"), 403.045489);
        // The le values as a query writes them, not 5e-04.
        QVERIFY(text.contains("votedesk_vote_latency_seconds_bucket{le=\"0.0005\"} 3\n"));

        const QByteArray commit = "votedesk_commit_latency_seconds";
        QCOMPARE(exposition.families.value(commit).type, QByteArray("histogram"));
        QCOMPARE(valueOf(exposition, commit, commit + "_count"), 2.0);
        QCOMPARE(valueOf(exposition, commit, commit + "_bucket", {{"le", "0.00025"}}), 1.0);
        QCOMPARE(valueOf(exposition, commit, commit + "_bucket", {{"le", "0.002"}}), 2.0);
    }

    void histogramOfAnEmptySnapshot()
    {
        const QByteArray text = Metrics::prometheusText(
            Metrics::histogramSamples("x_seconds", "An empty one", LatencyHistogram().snapshot()));
        const Exposition exposition = parse(text);
        QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error));
        QVERIFY(checkHistogram("x_seconds", exposition.families.value("x_seconds")).isEmpty());
        QCOMPARE(valueOf(exposition, "x_seconds", "x_seconds_count"), 0.0);
        QCOMPARE(valueOf(exposition, "x_seconds", "x_seconds_sum"), 0.0);
    }

    void labelValuesAreEscaped()
    {
        const QByteArray nasty = "say \"hi\" to C:\\votes\nnext line";
        const QList<Metrics::Sample> samples{
            {"votedesk_test_total",
             "counter",
             "Help with a \\ backslash\nand a line feed",
             1,
             {{"path", nasty}}},
            // Structured labels join labels already written into the name.
            {"votedesk_test_total{reason=\"x\"}", "counter", "", 2, {{"path", "a\"b\\c"}}},
        };
        const QByteArray text = Metrics::prometheusText(samples);
        QVERIFY(text.contains("votedesk_test_total{path=\"say \\\"hi\\\" to C:\\\\votes\\nnext line\"} 1\n"));
        QVERIFY(text.contains("votedesk_test_total{reason=\"x\",path=\"a\\\"b\\\\c\"} 2\n"));
        QVERIFY(text.contains("# HELP votedesk_test_total Help with a \\\\ backslash\\nand a line feed\n"));

        const Exposition exposition = parse(text);
        QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error));
        QCOMPARE(valueOf(exposition, "votedesk_test_total", "votedesk_test_total", {{"path", nasty}}), 1.0);
        QCOMPARE(valueOf(exposition, "votedesk_test_total", "votedesk_test_total",
                         {{"reason", "x"}, {"path", "a\"b\\c"}}),
                 2.0);
        QCOMPARE(Metrics::escapeLabelValue("plain_value"), QByteArray("plain_value"));
    }

    void familiesStayTogether()
    {
        const QList<Metrics::Sample> samples{
            {"a_total", "counter", "A", 1, {{"k", "1"}}},
            {"b", "gauge", "B", 2},
            {"a_total", "counter", "A", 3, {{"k", "2"}}},
        };
        QCOMPARE(Metrics::prometheusText(samples), QByteArray("# HELP a_total A\n"
                                                              "# TYPE a_total counter\n"
                                                              "a_total{k=\"1\"} 1\n"
                                                              "a_total{k=\"2\"} 3\n"
                                                              "# HELP b B\n"
                                                              "# TYPE b gauge\n"
                                                              "b 2\n"));
    }

    void numbers_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("zero") << 0.0 << QByteArray("0");
        QTest::newRow("integer") << 42.0 << QByteArray("42");
        QTest::newRow("negative") << -3.0 << QByteArray("-3");
        QTest::newRow("large counter") << 123456789012.0 << QByteArray("123456789012");
        QTest::newRow("half") << 0.5 << QByteArray("0.5");
        QTest::newRow("le 0.0005") << 0.0005 << QByteArray("0.0005");
        QTest::newRow("le 2.5") << 2.5 << QByteArray("2.5");
        QTest::newRow("shortest round trip") << 0.1 + 0.2 << QByteArray("0.30000000000000004");
        QTest::newRow("tiny") << 1e-7 << QByteArray("1e-07");
        QTest::newRow("huge") << 1.5e300 << QByteArray("1.5e+300");
        QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
        QTest::newRow("+inf") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
        QTest::newRow("-inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Inf");
    }

    void numbers()
    {
        QFETCH(double, value);
        QFETCH(QByteArray, text);
        QCOMPARE(Metrics::formatValue(value), text);
        // An operator's machine in a decimal-comma locale must not change the output.
        const QLocale previous;
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        const QByteArray underGerman = Metrics::formatValue(value);
        QLocale::setDefault(previous);
        QCOMPARE(underGerman, text);
        double back = 0;
        QVERIFY(parseValue(text, &back));
        if (!std::isnan(value))
            QCOMPARE(back, value);
    }
};

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
