#include <atomic>
#include <csignal>
#include <sys/resource.h>

#include <QDir>
#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "export/feedwriter.h"
#include "exporttestsupport.h"

using namespace Qt::Literals::StringLiterals;
using Kind = ResultDocuments::Kind;

namespace {
PublishedResults publish(quint64 version, qint64 extraVotes = 0)
{
    // The label length changes with the version so that a torn read would show.
    return ExportTest::results(ExportTest::session({{u"A"_s, u"Act A "_s + QString(int(version % 97), u'x')},
                                                    {u"B"_s, u"Act B"_s},
                                                    {u"C"_s, u"Act C"_s}}),
                               {qint64(version) * 3 + extraVotes, qint64(version) * 2, qint64(version)},
                               version);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    return file.readAll();
}

bool writeRaw(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

// Limits the size of any file this process writes; root is bound by it too (unlike
// permissions), so the tests can make a write fail whoever runs them. Restored on scope exit.
class FileSizeLimit final
{
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        m_ok = getrlimit(RLIMIT_FSIZE, &m_saved) == 0;
        std::signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead of killing us
        rlimit limit = m_saved;
        limit.rlim_cur = bytes;
        m_ok = m_ok && setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }
    ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &m_saved); }
    bool ok() const { return m_ok; }

private:
    rlimit m_saved{};
    bool m_ok = false;
};
} // namespace

class TestFeedWriter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesTheFourDocuments();
    void changesFilesOnlyOnANewPublish();
    void keepsTheLastGoodFileWhenAWriteFails();
    void retriesOnlyTheFileThatFailed();
    void errorsNameTheFileWhenTheFolderIsMissing();
    void readerNeverSeesAPartialFile();
    void readerNeverSeesAPartialFeed();
};

void TestFeedWriter::writesTheFourDocuments()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const ResultDocuments::Options options{true, true};
    FeedWriter writer(dir.path(), options);
    const PublishedResults r = publish(1);
    const FeedWriter::Outcome outcome = writer.write(r);
    QVERIFY2(outcome.errors.isEmpty(), qPrintable(outcome.errors.join(u'\n')));
    QVERIFY(outcome.upToDate);
    QCOMPARE(outcome.publishVersion, quint64(1));
    QCOMPARE(outcome.written,
             QStringList({u"results.json"_s, u"results.csv"_s, u"results-wide.csv"_s, u"results.xml"_s}));
    for (const Kind kind : ResultDocuments::kKinds)
        QCOMPARE(readFile(dir.filePath(ResultDocuments::fileName(kind))),
                 ResultDocuments::render(kind, r, options));
    // Nothing else is left in the folder (no temporary files).
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 4);
    QVERIFY(writer.isCurrent(r));
}

void TestFeedWriter::changesFilesOnlyOnANewPublish()
{
    QTemporaryDir dir;
    FeedWriter writer(dir.path());
    QVERIFY(writer.write(publish(1)).upToDate);
    const QString csv = dir.filePath(u"results.csv"_s);
    QVERIFY(writeRaw(csv, "sentinel"));

    // The same publish again, even with other figures (the live tally moved on): the files
    // are not touched. Only publishing changes what the graphics read.
    const FeedWriter::Outcome same = writer.write(publish(1, 50));
    QVERIFY(!same.changed());
    QVERIFY(same.upToDate);
    QCOMPARE(readFile(csv), QByteArray("sentinel"));

    const FeedWriter::Outcome next = writer.write(publish(2));
    QCOMPARE(next.written.size(), 4);
    QCOMPARE(readFile(csv), ResultDocuments::longCsv(publish(2), {}));

    // A new session starts its publish versions again: still a new publish.
    PublishedResults otherSession = publish(2);
    otherSession.session.id = 8;
    QCOMPARE(writer.write(otherSession).written.size(), 4);
    // So is the same version certified.
    otherSession.final = true;
    QCOMPARE(writer.write(otherSession).written.size(), 4);
    QVERIFY(readFile(csv).endsWith(",FINAL\r\n"));
}

void TestFeedWriter::keepsTheLastGoodFileWhenAWriteFails()
{
    QTemporaryDir dir;
    FeedWriter writer(dir.path());
    const PublishedResults good = publish(1);
    QVERIFY(writer.write(good).upToDate);
    const PublishedResults next = publish(2);
    FeedWriter::Outcome failed;
    {
        // Nothing but the write under the limit: the test log may be a file too.
        FileSizeLimit limit(16); // every document is longer than this
        QVERIFY(limit.ok());
        failed = writer.write(next);
    }
    QVERIFY(!failed.upToDate);
    QVERIFY(!failed.changed());
    QCOMPARE(failed.errors.size(), 4);
    for (const Kind kind : ResultDocuments::kKinds) {
        const QString path = QDir::toNativeSeparators(dir.filePath(ResultDocuments::fileName(kind)));
        bool named = false;
        for (const QString &error : failed.errors)
            named = named || error.contains(path);
        QVERIFY2(named, qPrintable(path + u" not named in: "_s + failed.errors.join(u" | "_s)));
    }
    QVERIFY(!writer.isCurrent(next));
    // The last good files are intact, and no temporary file was left behind.
    for (const Kind kind : ResultDocuments::kKinds)
        QCOMPARE(readFile(dir.filePath(ResultDocuments::fileName(kind))),
                 ResultDocuments::render(kind, good, {}));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 4);

    // Once the disk takes writes again, the same publish is retried and lands.
    const FeedWriter::Outcome retried = writer.write(next);
    QVERIFY(retried.upToDate);
    QCOMPARE(retried.written.size(), 4);
    for (const Kind kind : ResultDocuments::kKinds)
        QCOMPARE(readFile(dir.filePath(ResultDocuments::fileName(kind))),
                 ResultDocuments::render(kind, next, {}));
}

void TestFeedWriter::retriesOnlyTheFileThatFailed()
{
    QTemporaryDir dir;
    FeedWriter writer(dir.path());
    QVERIFY(writer.write(publish(1)).upToDate);
    // A directory where results.xml should be: nothing can be renamed over it, root or not.
    const QString xml = dir.filePath(u"results.xml"_s);
    QVERIFY(QFile::remove(xml));
    QVERIFY(QDir(dir.path()).mkdir(u"results.xml"_s));

    const FeedWriter::Outcome partial = writer.write(publish(2));
    QCOMPARE(partial.written, QStringList({u"results.json"_s, u"results.csv"_s, u"results-wide.csv"_s}));
    QCOMPARE(partial.errors.size(), 1);
    QVERIFY2(partial.errors[0].contains(QDir::toNativeSeparators(xml)), qPrintable(partial.errors[0]));
    QVERIFY(!partial.upToDate);

    QVERIFY(QDir(dir.path()).rmdir(u"results.xml"_s));
    const FeedWriter::Outcome retried = writer.write(publish(2));
    QCOMPARE(retried.written, QStringList({u"results.xml"_s}));
    QVERIFY(retried.upToDate);
    QCOMPARE(readFile(xml), ResultDocuments::xml(publish(2), {}));
}

void TestFeedWriter::errorsNameTheFileWhenTheFolderIsMissing()
{
    QTemporaryDir dir;
    // A path whose parent is a regular file: no user, root included, can write under it.
    const QString file = dir.filePath(u"not-a-folder"_s);
    QVERIFY(writeRaw(file, "x"));
    FeedWriter writer(file + u"/feeds"_s);
    const FeedWriter::Outcome outcome = writer.write(publish(1));
    QCOMPARE(outcome.errors.size(), 4);
    QVERIFY(!outcome.changed());
    QVERIFY2(outcome.errors[1].contains(u"results.csv"_s) && outcome.errors[1].contains(u"does not exist"_s),
             qPrintable(outcome.errors[1]));
}

// One writer replaces the file thousands of times with contents of different lengths while
// a reader opens and reads it in a tight loop: every read must be one whole version.
void TestFeedWriter::readerNeverSeesAPartialFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"results.csv"_s);
    QList<QByteArray> versions;
    for (int i = 0; i < 40; ++i)
        versions.append(QByteArray("header\r\n") + QByteArray(64 + i * 997, char('a' + i % 26)) +
                        "\r\nend\r\n");
    const QSet<QByteArray> valid(versions.cbegin(), versions.cend());
    QString error;
    QVERIFY2(FeedWriter::replaceFile(path, versions[0], &error), qPrintable(error));

    std::atomic<bool> done{false};
    std::atomic<qint64> reads{0};
    std::atomic<qint64> bad{0};
    QByteArray firstBad;
    QThread *reader = QThread::create([&] {
        while (!done.load()) {
            const QByteArray bytes = readFile(path);
            reads.fetch_add(1);
            if (!valid.contains(bytes) && bad.fetch_add(1) == 0)
                firstBad = bytes;
        }
    });
    reader->start();
    constexpr int kWrites = 2000;
    int failures = 0;
    for (int i = 1; i <= kWrites; ++i) {
        if (!FeedWriter::replaceFile(path, versions[i % versions.size()], &error))
            ++failures;
    }
    done.store(true);
    reader->wait();
    delete reader;
    QCOMPARE(failures, 0);
    QVERIFY(reads.load() > 0);
    QVERIFY2(bad.load() == 0,
             qPrintable(u"%1 of %2 reads were partial or empty; first had %3 bytes"_s.arg(bad.load())
                            .arg(reads.load())
                            .arg(firstBad.size())));
    QCOMPARE(readFile(path), versions[kWrites % versions.size()]);
}

// The same through FeedWriter: each of the four files, polled in turn, is always one whole
// rendering of some publish.
void TestFeedWriter::readerNeverSeesAPartialFeed()
{
    QTemporaryDir dir;
    constexpr quint64 kPublishes = 250;
    QSet<QByteArray> valid;
    for (quint64 v = 1; v <= kPublishes; ++v) {
        for (const Kind kind : ResultDocuments::kKinds)
            valid.insert(ResultDocuments::render(kind, publish(v), {}));
    }
    FeedWriter writer(dir.path());
    QVERIFY(writer.write(publish(1)).upToDate);

    std::atomic<bool> done{false};
    std::atomic<qint64> reads{0};
    std::atomic<qint64> bad{0};
    QThread *reader = QThread::create([&] {
        int i = 0;
        while (!done.load()) {
            const QString name = ResultDocuments::fileName(ResultDocuments::kKinds[std::size_t(i++ % 4)]);
            if (!valid.contains(readFile(dir.filePath(name))))
                bad.fetch_add(1);
            reads.fetch_add(1);
        }
    });
    reader->start();
    int failures = 0;
    for (quint64 v = 2; v <= kPublishes; ++v) {
        if (!writer.write(publish(v)).upToDate)
            ++failures;
    }
    done.store(true);
    reader->wait();
    delete reader;
    QCOMPARE(failures, 0);
    QVERIFY(reads.load() > 0);
    QCOMPARE(bad.load(), qint64(0));
}

QTEST_GUILESS_MAIN(TestFeedWriter)
#include "tst_feedwriter.moc"
