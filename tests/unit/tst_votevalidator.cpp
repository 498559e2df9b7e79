#include <QTest>

#include "ingest/votevalidator.h"

using namespace Qt::Literals::StringLiterals;

class TestVoteValidator final : public QObject
{
    Q_OBJECT

private:
    const SessionDefinition m_session = SessionDefinition::demo();

private Q_SLOTS:
    void validVotes_data()
    {
        QTest::addColumn<QByteArray>("mediaType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("voter");
        QTest::addColumn<int>("option");
        QTest::newRow("json") << QByteArray("application/json")
                              << QByteArray(R"({"voter":"u1","option":"B"})") << u"u1"_s << 1;
        QTest::newRow("json extra fields ignored")
            << QByteArray("application/json") << QByteArray(R"({"voter":"u1","option":"D","source":"app"})")
            << u"u1"_s << 3;
        QTest::newRow("json whitespace")
            << QByteArray("application/json") << QByteArray(" {\n \"option\" : \"A\", \"voter\":\"x\" } ")
            << u"x"_s << 0;
        QTest::newRow("every allowed char")
            << QByteArray("application/json") << QByteArray(R"({"voter":"aZ09._:@+-","option":"C"})")
            << u"aZ09._:@+-"_s << 2;
        QTest::newRow("64 chars") << QByteArray("application/json")
                                  << ("{\"voter\":\"" + QByteArray(64, 'v') + "\",\"option\":\"A\"}")
                                  << QString(64, u'v') << 0;
        QTest::newRow("form") << QByteArray("application/x-www-form-urlencoded")
                              << QByteArray("voter=u2&option=C") << u"u2"_s << 2;
        QTest::newRow("form percent-encoded") << QByteArray("application/x-www-form-urlencoded")
                                              << QByteArray("option=%41&voter=a%2Bb%40c") << u"a+b@c"_s << 0;
    }

    void validVotes()
    {
        QFETCH(QByteArray, mediaType);
        QFETCH(QByteArray, body);
        QFETCH(QString, voter);
        QFETCH(int, option);
        const VoteValidator::Outcome outcome = VoteValidator::validate(mediaType, body, m_session);
        QVERIFY2(outcome.ok, qPrintable(outcome.message));
        QCOMPARE(QString::fromLatin1(outcome.voter.view()), voter);
        QCOMPARE(outcome.optionIndex, option);
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("mediaType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<RejectReason>("reason");
        QTest::addColumn<int>("status");

        const QByteArray json("application/json");
        const QByteArray form("application/x-www-form-urlencoded");
        QTest::newRow("no content type") << QByteArray() << QByteArray(R"({"voter":"u1","option":"B"})")
                                         << RejectReason::UnsupportedMediaType << 415;
        QTest::newRow("text/plain") << QByteArray("text/plain") << QByteArray("u1 B")
                                    << RejectReason::UnsupportedMediaType << 415;
        QTest::newRow("empty json body") << json << QByteArray() << RejectReason::InvalidJson << 400;
        QTest::newRow("truncated json")
            << json << QByteArray(R"({"voter":"u1")") << RejectReason::InvalidJson << 400;
        QTest::newRow("json array") << json << QByteArray(R"(["u1","B"])") << RejectReason::InvalidJson
                                    << 400;
        QTest::newRow("json string") << json << QByteArray(R"("u1")") << RejectReason::InvalidJson << 400;
        QTest::newRow("missing voter")
            << json << QByteArray(R"({"option":"B"})") << RejectReason::MissingField << 400;
        QTest::newRow("missing option")
            << json << QByteArray(R"({"voter":"u1"})") << RejectReason::MissingField << 400;
        QTest::newRow("empty object") << json << QByteArray("{}") << RejectReason::MissingField << 400;
        QTest::newRow("empty voter") << json << QByteArray(R"({"voter":"","option":"B"})")
                                     << RejectReason::InvalidVoter << 400;
        QTest::newRow("65 chars") << json << ("{\"voter\":\"" + QByteArray(65, 'v') + "\",\"option\":\"A\"}")
                                  << RejectReason::InvalidVoter << 400;
        QTest::newRow("space") << json << QByteArray(R"({"voter":"u 1","option":"B"})")
                               << RejectReason::InvalidVoter << 400;
        QTest::newRow("non-ascii") << json << QByteArray(R"({"voter":"zoë","option":"B"})")
                                   << RejectReason::InvalidVoter << 400;
        QTest::newRow("number voter")
            << json << QByteArray(R"({"voter":123,"option":"B"})") << RejectReason::InvalidVoter << 400;
        QTest::newRow("null voter") << json << QByteArray(R"({"voter":null,"option":"B"})")
                                    << RejectReason::InvalidVoter << 400;
        QTest::newRow("unknown option")
            << json << QByteArray(R"({"voter":"u1","option":"E"})") << RejectReason::UnknownOption << 400;
        QTest::newRow("lower-case option")
            << json << QByteArray(R"({"voter":"u1","option":"b"})") << RejectReason::UnknownOption << 400;
        QTest::newRow("number option")
            << json << QByteArray(R"({"voter":"u1","option":2})") << RejectReason::UnknownOption << 400;
        QTest::newRow("form missing option")
            << form << QByteArray("voter=u1") << RejectReason::MissingField << 400;
        QTest::newRow("form plus is a space")
            << form << QByteArray("voter=a+b&option=A") << RejectReason::InvalidVoter << 400;
        QTest::newRow("form duplicate voter")
            << form << QByteArray("voter=a&voter=b&option=A") << RejectReason::BadRequest << 400;
        // A key given twice is read as its last value by QJsonDocument, as its first by others:
        // a filter in front of votedesk could check one voter and votedesk count another.
        QTest::newRow("json duplicate voter")
            << json << QByteArray(R"({"voter":"a","voter":"b","option":"A"})") << RejectReason::BadRequest
            << 400;
        QTest::newRow("json duplicate option")
            << json << QByteArray(R"({"voter":"a","option":"A","option":"B"})") << RejectReason::BadRequest
            << 400;
        QTest::newRow("json duplicate voter, escaped")
            << json << QByteArray(R"({"voter":"a","vot\u0065r":"b","option":"A"})")
            << RejectReason::BadRequest << 400;
        QTest::newRow("json duplicate voter, not a string")
            << json << QByteArray(R"({"voter":"a","option":"A","voter":7})") << RejectReason::BadRequest
            << 400;
        QTest::newRow("json deeply nested array")
            << json << (QByteArray(2000, '[') + QByteArray(2000, ']')) << RejectReason::InvalidJson << 400;
        QTest::newRow("json deeply nested value")
            << json
            << ("{\"voter\":\"a\",\"option\":\"A\",\"x\":" + QByteArray(1500, '[') + QByteArray(1500, ']') +
                "}")
            << RejectReason::InvalidJson << 400;
        QTest::newRow("json invalid utf-8") << json << QByteArray("{\"voter\":\"a\xff\",\"option\":\"A\"}")
                                            << RejectReason::InvalidJson << 400;
        // QJsonDocument lets a raw control character through in a string; the voter id's own
        // rule refuses it.
        QTest::newRow("json NUL in voter") << json << QByteArray("{\"voter\":\"a\0b\",\"option\":\"A\"}", 28)
                                           << RejectReason::InvalidVoter << 400;
        QTest::newRow("form invalid utf-8 voter")
            << form << QByteArray("voter=a%FF&option=A") << RejectReason::InvalidVoter << 400;
    }

    void errors()
    {
        QFETCH(QByteArray, mediaType);
        QFETCH(QByteArray, body);
        QFETCH(RejectReason, reason);
        QFETCH(int, status);
        const VoteValidator::Outcome outcome = VoteValidator::validate(mediaType, body, m_session);
        QVERIFY(!outcome.ok);
        QCOMPARE(int(outcome.reason), int(reason));
        QCOMPARE(rejectHttpStatus(outcome.reason), status);
        QVERIFY(!outcome.message.isEmpty());
    }

    void errorCodesMatchTheApi()
    {
        // DESIGN.md §4: every code and its status.
        const QList<QPair<QByteArray, int>> expected = {{"invalid_json", 400},
                                                        {"missing_field", 400},
                                                        {"invalid_voter", 400},
                                                        {"unknown_option", 400},
                                                        {"bad_request", 400},
                                                        {"invalid_token", 401},
                                                        {"window_not_open", 409},
                                                        {"window_closed", 409},
                                                        {"length_required", 411},
                                                        {"payload_too_large", 413},
                                                        {"unsupported_media_type", 415},
                                                        {"rate_limited", 429},
                                                        {"headers_too_large", 431},
                                                        {"overloaded", 503},
                                                        {"storage_unavailable", 503}};
        QCOMPARE(expected.size(), kRejectReasonCount);
        for (const auto &[code, status] : expected) {
            RejectReason reason;
            QVERIFY2(parseRejectCode(code, &reason), code.constData());
            QCOMPARE(rejectCode(reason), code);
            QCOMPARE(rejectHttpStatus(reason), status);
        }
        RejectReason unused;
        QVERIFY(!parseRejectCode("nonsense", &unused));
    }

    void rejectCountersCountByReason()
    {
        RejectCounters counters;
        counters.add(RejectReason::WindowClosed);
        counters.add(RejectReason::WindowClosed);
        counters.add(RejectReason::InvalidJson, 5);
        QCOMPARE(counters.total(), 7);
        QCOMPARE(counters.count(RejectReason::WindowClosed), 2);
        const QMap<QString, qint64> byCode = counters.byCode();
        QCOMPARE(byCode.size(), 2);
        QCOMPARE(byCode.value(u"invalid_json"_s), 5);
        RejectCounters restored;
        restored.restore(byCode);
        QCOMPARE(restored.byCode(), byCode);
    }
};

QTEST_APPLESS_MAIN(TestVoteValidator)
#include "tst_votevalidator.moc"
