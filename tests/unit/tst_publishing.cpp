// The published picture's plumbing: rendering once per publish, the ETag, the box the I/O
// threads read, and the store form a restart puts back on air.
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include "engine/publisheddocuments.h"
#include "engine/publishing.h"

using namespace Qt::Literals::StringLiterals;

namespace {
PublishedResultsPtr picture(quint64 version)
{
    auto results = std::make_shared<PublishedResults>();
    results->session = SessionDefinition::demo();
    results->session.id = 7;
    results->tally.sessionId = 7;
    results->tally.version = 40;
    results->tally.takenAtMs = 1'700'000'000'000;
    results->tally.raw = {3, 1, 0, 2};
    results->tally.exact = {2, 1, 0, 2};
    results->tally.accepted = 6;
    results->tally.uniqueVoters = 5;
    results->window.state = WindowState::Closed;
    results->window.lengthMs = 300'000;
    results->window.openedAtMs = 1'699'999'700'000;
    results->window.closesAtMs = 1'700'000'000'000;
    results->window.closedAtMs = 1'699'999'990'000;
    results->publishVersion = version;
    results->publishedAtMs = 1'700'000'001'000;
    return results;
}
} // namespace

class TestPublishing final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rendersEveryDocumentOnce()
    {
        const PublishedViewPtr view = renderPublishedView(picture(3));
        QCOMPARE(view->bodies.size(), publishedDocuments().size());
        QCOMPARE(view->etag, QByteArray("\"7-3\""));
        for (qsizetype i = 0; i < view->bodies.size(); ++i)
            QCOMPARE(view->bodies[i], publishedDocuments()[i].render(*view->results, {}));
        const QJsonObject json = QJsonDocument::fromJson(renderResultsJson(*view->results)).object();
        QCOMPARE(json.value(u"version"_s).toInteger(), 3);
        QCOMPARE(json.value(u"total"_s).toInteger(), 5);
        QCOMPARE(json.value(u"state"_s).toString(), u"closed"_s);
        QCOMPARE(json.value(u"final"_s).toBool(), false);
        QCOMPARE(json.value(u"status"_s).toString(), u"PROVISIONAL"_s);
        // The feed documents are the export folder's files, byte for byte.
        QStringList paths;
        for (const PublishedDocument &document : publishedDocuments())
            paths.append(QString::fromLatin1(document.path));
        QCOMPARE(paths, QStringList({u"/v1/results"_s, u"/v1/results.json"_s, u"/v1/results.csv"_s,
                                     u"/v1/results-wide.csv"_s, u"/v1/results.xml"_s}));
        for (const ResultDocuments::Kind kind : ResultDocuments::kKinds) {
            const qsizetype index = paths.indexOf(QString::fromLatin1(ResultDocuments::httpPath(kind)));
            QVERIFY(index > 0);
            QCOMPARE(view->bodies[index], ResultDocuments::render(kind, *view->results, {}));
            QCOMPARE(publishedDocuments()[index].contentType, ResultDocuments::contentType(kind));
        }
        QVERIFY(view->bodies[2].startsWith("rank,key,label,votes,percent,total,status\r\n"
                                           "1,A,Act A,2,40.0,5,PROVISIONAL\r\n"));
        // The CSV byte order mark, when the feed files carry one, is served too.
        const ResultDocuments::Options bom{true, true};
        QVERIFY(renderPublishedView(picture(3), bom)->bodies[2].startsWith("\xEF\xBB\xBFrank,"));
    }

    void boxHoldsTheLastViewOrNothing()
    {
        PublishedBox box;
        QVERIFY(!box.load());
        const PublishedViewPtr first = renderPublishedView(picture(1));
        box.publish(first);
        QCOMPARE(box.load(), first);
        box.publish(renderPublishedView(picture(2)));
        QCOMPARE(box.load()->results->publishVersion, 2u);
        QCOMPARE(first->results->publishVersion, 1u); // a reader's copy stays whole
        box.publish(nullptr);
        QVERIFY(!box.load());
    }

    void storeFormRoundTrips()
    {
        PublishedResultsPtr original = picture(4);
        auto certified = std::make_shared<PublishedResults>(*original);
        certified->final = true;
        certified->window.state = WindowState::Final;
        const PublishedRecord record = toPublishedRecord(*certified);
        QCOMPARE(record.sessionId, 7);
        QCOMPARE(record.version, 4u);
        QVERIFY(record.final);
        PublishedResults back;
        QString error;
        QVERIFY2(fromPublishedRecord(record, certified->session, &back, &error), qPrintable(error));
        QCOMPARE(back.tally.raw, certified->tally.raw);
        QCOMPARE(back.tally.exact, certified->tally.exact);
        QCOMPARE(back.tally.accepted, 6);
        QCOMPARE(back.tally.uniqueVoters, 5);
        QCOMPARE(back.tally.takenAtMs, certified->tally.takenAtMs);
        QCOMPARE(back.window.state, WindowState::Final);
        QCOMPARE(back.window.closedAtMs, certified->window.closedAtMs);
        QCOMPARE(back.publishedAtMs, certified->publishedAtMs);
        QVERIFY(back.final);
        // The same documents, byte for byte, after the round trip.
        const PublishedViewPtr before = renderPublishedView(certified);
        const PublishedViewPtr after = renderPublishedView(std::make_shared<PublishedResults>(back));
        QCOMPARE(after->bodies, before->bodies);
        QCOMPARE(after->etag, before->etag);
    }

    void aPictureThatDoesNotFitIsRefused()
    {
        const PublishedRecord record = toPublishedRecord(*picture(1));
        SessionDefinition fewer = picture(1)->session;
        fewer.options.removeLast(); // the stored counts have four options
        PublishedResults out;
        QString error;
        QVERIFY(!fromPublishedRecord(record, fewer, &out, &error));
        QVERIFY(error.contains(u"session 7"_s));
        SessionDefinition other = picture(1)->session;
        other.id = 8;
        QVERIFY(!fromPublishedRecord(record, other, &out, &error));
        PublishedRecord garbage = record;
        garbage.picture = "not json";
        QVERIFY(!fromPublishedRecord(garbage, picture(1)->session, &out, &error));
    }
};

QTEST_APPLESS_MAIN(TestPublishing)
#include "tst_publishing.moc"
