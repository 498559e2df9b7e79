#include <QDir>
#include <QFile>
#include <QMutex>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "export/autoexporter.h"
#include "exporttestsupport.h"

using namespace Qt::Literals::StringLiterals;

namespace {
PublishedResults publish(quint64 version)
{
    return ExportTest::results(ExportTest::session({{u"A"_s, u"Act A"_s}, {u"B"_s, u"Act B"_s}}),
                               {qint64(version) * 10, qint64(version)}, version);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// What the engine would hand the exporter: the latest publish behind a mutex.
class Box final
{
public:
    void set(PublishedResultsPtr results)
    {
        QMutexLocker lock(&m_mutex);
        m_results = std::move(results);
    }
    PublishedResultsPtr get()
    {
        QMutexLocker lock(&m_mutex);
        m_readers.insert(QThread::currentThread());
        return m_results;
    }
    QSet<QThread *> readers()
    {
        QMutexLocker lock(&m_mutex);
        return m_readers;
    }

private:
    QMutex m_mutex;
    PublishedResultsPtr m_results;
    QSet<QThread *> m_readers;
};

constexpr int kWaitMs = 20'000; // a bound for a stuck test, not a timing expectation
constexpr int kNoTimerMs = 24 * 3600 * 1000;
} // namespace

class TestAutoExporter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesOnStartAndOnANewPublish();
    void timerPicksUpAPublish();
    void nothingPublishedWritesNothing();
    void reportsErrorsNamingTheFile();
    void writesOffTheOwnersThread();
};

void TestAutoExporter::writesOnStartAndOnANewPublish()
{
    QTemporaryDir dir;
    Box box;
    box.set(ExportTest::shared(publish(1)));
    AutoExporter exporter([&box] { return box.get(); });
    QList<FeedWriter::Outcome> outcomes;
    connect(&exporter, &AutoExporter::checked, this,
            [&outcomes](const FeedWriter::Outcome &outcome) { outcomes.append(outcome); });
    QSignalSpy exported(&exporter, &AutoExporter::exported);

    exporter.start({dir.path(), kNoTimerMs, {}});
    QVERIFY(exported.wait(kWaitMs));
    QCOMPARE(exported.at(0).at(0).toULongLong(), quint64(1));
    QCOMPARE(exported.at(0).at(1).toStringList().size(), 4);
    const QString csv = dir.filePath(u"results.csv"_s);
    QCOMPARE(readFile(csv), ResultDocuments::longCsv(publish(1), {}));

    // Same publish: a check that writes nothing.
    QFile::remove(csv);
    QVERIFY(QFile(csv).open(QIODevice::WriteOnly)); // an empty stand-in, to see it stays
    const qsizetype before = outcomes.size();
    exporter.exportNow();
    QTRY_VERIFY_WITH_TIMEOUT(outcomes.size() > before, kWaitMs);
    QVERIFY(!outcomes.last().changed());
    QVERIFY(outcomes.last().upToDate);
    QCOMPARE(exported.size(), 1);
    QCOMPARE(readFile(csv), QByteArray());
    QCOMPARE(exporter.lastOutcome().publishVersion, quint64(1));

    box.set(ExportTest::shared(publish(2)));
    exporter.exportNow();
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 2, kWaitMs);
    QCOMPARE(exported.at(1).at(0).toULongLong(), quint64(2));
    QCOMPARE(readFile(csv), ResultDocuments::longCsv(publish(2), {}));
}

void TestAutoExporter::timerPicksUpAPublish()
{
    QTemporaryDir dir;
    Box box;
    box.set(ExportTest::shared(publish(1)));
    AutoExporter exporter([&box] { return box.get(); });
    QSignalSpy exported(&exporter, &AutoExporter::exported);
    exporter.start({dir.path(), AutoExporter::kMinIntervalMs, {true, true}});
    QVERIFY(exported.wait(kWaitMs));
    box.set(ExportTest::shared(publish(5))); // no exportNow(): the interval finds it
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 2, kWaitMs);
    QCOMPARE(exported.at(1).at(0).toULongLong(), quint64(5));
    QCOMPARE(readFile(dir.filePath(u"results-wide.csv"_s)),
             ResultDocuments::wideCsv(publish(5), {true, true}));

    exporter.stop();
    box.set(ExportTest::shared(publish(6)));
    exporter.exportNow(); // stopped: nothing is checked or written
    exporter.start({dir.path(), kNoTimerMs, {true, true}});
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 3, kWaitMs);
    QCOMPARE(exported.at(2).at(0).toULongLong(), quint64(6));
}

void TestAutoExporter::nothingPublishedWritesNothing()
{
    QTemporaryDir dir;
    AutoExporter exporter([] { return PublishedResultsPtr(); });
    QSignalSpy checked(&exporter, &AutoExporter::checked);
    QSignalSpy exported(&exporter, &AutoExporter::exported);
    exporter.start({dir.path(), kNoTimerMs, {}});
    QVERIFY(checked.wait(kWaitMs));
    QCOMPARE(exported.size(), 0);
    QVERIFY(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).isEmpty());
}

void TestAutoExporter::reportsErrorsNamingTheFile()
{
    QTemporaryDir dir;
    AutoExporter exporter([] { return ExportTest::shared(publish(1)); });
    QSignalSpy failed(&exporter, &AutoExporter::failed);
    exporter.start({dir.filePath(u"missing"_s), kNoTimerMs, {}});
    QVERIFY(failed.wait(kWaitMs));
    const QStringList errors = failed.at(0).at(0).toStringList();
    QCOMPARE(errors.size(), 4);
    QVERIFY2(errors.join(u'\n').contains(QDir::toNativeSeparators(dir.filePath(u"missing/results.xml"_s))),
             qPrintable(errors.join(u'\n')));
    QVERIFY(!exporter.lastOutcome().upToDate);
}

void TestAutoExporter::writesOffTheOwnersThread()
{
    QTemporaryDir dir;
    Box box;
    box.set(ExportTest::shared(publish(1)));
    {
        AutoExporter exporter([&box] { return box.get(); });
        QSignalSpy exported(&exporter, &AutoExporter::exported);
        exporter.start({dir.path(), kNoTimerMs, {}});
        QVERIFY(exported.wait(kWaitMs));
    }
    const QSet<QThread *> readers = box.readers();
    QCOMPARE(readers.size(), 1);
    QVERIFY(!readers.contains(QThread::currentThread()));
}

QTEST_GUILESS_MAIN(TestAutoExporter)
#include "tst_autoexporter.moc"
