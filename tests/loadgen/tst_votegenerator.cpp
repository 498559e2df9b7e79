// Who votes for what: voters new and returning, options by the target distribution,
// malformed votes by kind, and the same run again from the same seed.
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include "votegenerator.h"

using namespace Qt::Literals::StringLiterals;

class TestVoteGenerator final : public QObject
{
    Q_OBJECT

private:
    static VoteGenerator::Config config()
    {
        VoteGenerator::Config c;
        c.voterPrefix = "lgtest.";
        c.optionKeys = {u"A"_s, u"B"_s, u"C"_s, u"D"_s};
        c.optionWeights = {40, 30, 20, 10};
        c.seed = 42;
        return c;
    }

private Q_SLOTS:
    void sameSeedSameRun()
    {
        VoteGenerator a(config());
        VoteGenerator b(config());
        auto other = config();
        other.seed = 43;
        VoteGenerator c(other);
        int differences = 0;
        for (int i = 0; i < 1000; ++i) {
            const PlannedVote x = a.next();
            const PlannedVote y = b.next();
            const PlannedVote z = c.next();
            QCOMPARE(x.voterIndex, y.voterIndex);
            QCOMPARE(x.optionIndex, y.optionIndex);
            QCOMPARE(x.kind, y.kind);
            differences += x.optionIndex != z.optionIndex;
        }
        QVERIFY(differences > 100);
    }

    void followsTheTargetDistribution()
    {
        VoteGenerator generator(config());
        QList<int> counts(4, 0);
        constexpr int n = 100'000;
        for (int i = 0; i < n; ++i) {
            const PlannedVote vote = generator.next();
            QCOMPARE(vote.kind, VoteKind::Valid);
            QCOMPARE(vote.voterIndex, std::uint32_t(i)); // a new voter for every vote by default
            ++counts[vote.optionIndex];
        }
        // Seeded, so deterministic; the bound is what 100 000 draws give with room to spare.
        const QList<double> expected{0.4, 0.3, 0.2, 0.1};
        for (int i = 0; i < 4; ++i)
            QVERIFY2(std::abs(double(counts[i]) / n - expected[i]) < 0.01,
                     qPrintable(QString::number(counts[i])));
    }

    void zeroWeightIsNeverChosen()
    {
        auto c = config();
        c.optionWeights = {1, 0, 1, 0};
        VoteGenerator generator(c);
        for (int i = 0; i < 10'000; ++i) {
            const int option = generator.next().optionIndex;
            QVERIFY(option == 0 || option == 2);
        }
    }

    void returningVoters()
    {
        auto c = config();
        c.repeatRatio = 0.25;
        VoteGenerator generator(c);
        int returning = 0;
        QSet<std::uint32_t> seen;
        constexpr int n = 40'000;
        for (int i = 0; i < n; ++i) {
            const PlannedVote vote = generator.next();
            if (seen.contains(vote.voterIndex))
                ++returning;
            seen.insert(vote.voterIndex);
        }
        QVERIFY2(std::abs(double(returning) / n - 0.25) < 0.01, qPrintable(QString::number(returning)));
        QCOMPARE(generator.votersUsed(), qint64(seen.size()));
    }

    void voterPoolIsBounded()
    {
        auto c = config();
        c.voters = 100;
        VoteGenerator generator(c);
        QSet<std::uint32_t> seen;
        for (int i = 0; i < 5000; ++i)
            seen.insert(generator.next().voterIndex);
        QCOMPARE(seen.size(), 100); // every id used, none beyond the pool
        QCOMPARE(*std::max_element(seen.cbegin(), seen.cend()), 99u);
    }

    void malformedVotesByKind()
    {
        auto c = config();
        QString error;
        QVERIFY(VoteGenerator::parseInvalidRatio(u"unknown_option:0.1,invalid_json:0.05"_s, &c.invalidRatio,
                                                 &error));
        VoteGenerator generator(c);
        QMap<VoteKind, int> kinds;
        constexpr int n = 20'000;
        for (int i = 0; i < n; ++i)
            ++kinds[generator.next().kind];
        QCOMPARE(kinds.size(), 3);
        QVERIFY(std::abs(double(kinds[VoteKind::UnknownOption]) / n - 0.10) < 0.01);
        QVERIFY(std::abs(double(kinds[VoteKind::InvalidJson]) / n - 0.05) < 0.01);
    }

    void bodiesOfEachKind()
    {
        VoteGenerator generator(config());
        auto body = [&](VoteKind kind, std::int16_t option) {
            QByteArray out;
            generator.body(PlannedVote{7, option, kind}, out);
            return out;
        };
        QCOMPARE(body(VoteKind::Valid, 1), QByteArray("{\"voter\":\"lgtest.7\",\"option\":\"B\"}"));
        QVERIFY(QJsonDocument::fromJson(body(VoteKind::Valid, 1)).isObject());
        QVERIFY(QJsonDocument::fromJson(body(VoteKind::InvalidJson, 1)).isNull());
        const QJsonObject missing = QJsonDocument::fromJson(body(VoteKind::MissingField, -1)).object();
        QVERIFY(missing.contains(u"voter"_s) && !missing.contains(u"option"_s));
        const QJsonObject badVoter = QJsonDocument::fromJson(body(VoteKind::InvalidVoter, 1)).object();
        QVERIFY(badVoter.value(u"voter"_s).toString().contains(u' '));
        const QJsonObject unknown = QJsonDocument::fromJson(body(VoteKind::UnknownOption, -1)).object();
        QVERIFY(!config().optionKeys.contains(unknown.value(u"option"_s).toString()));
        QCOMPARE(generator.contentType(PlannedVote{7, 1, VoteKind::UnsupportedMediaType}),
                 QByteArray("text/plain"));
        QCOMPARE(generator.contentType(PlannedVote{7, 1, VoteKind::Valid}), QByteArray("application/json"));
        // Malformed votes use their own ids, so one that got stored is recognisable.
        QCOMPARE(generator.voterId(PlannedVote{7, 1, VoteKind::InvalidJson}), QByteArray("lgtest.i7"));
        QCOMPARE(expectedStatus(VoteKind::UnsupportedMediaType), 415);
        QCOMPARE(expectedErrorCode(VoteKind::UnknownOption), QByteArray("unknown_option"));
    }

    void unknownOptionKeyAvoidsRealKeys()
    {
        auto c = config();
        c.optionKeys = {u"no-such-option"_s, u"no-such-opt0"_s};
        c.optionWeights = {1, 1};
        VoteGenerator generator(c);
        QCOMPARE(generator.config().unknownOptionKey, QByteArray("no-such-opt1"));
    }

    void parsesVoterIds()
    {
        std::uint32_t index = 0;
        QVERIFY(VoteGenerator::parseValidVoter("lgtest.123", "lgtest.", &index));
        QCOMPARE(index, 123u);
        QVERIFY(VoteGenerator::parseValidVoter("lgtest.0", "lgtest.", &index));
        QCOMPARE(index, 0u);
        QVERIFY(!VoteGenerator::parseValidVoter("lgtest.007", "lgtest.", &index));
        QVERIFY(!VoteGenerator::parseValidVoter("lgtest.", "lgtest.", &index));
        QVERIFY(!VoteGenerator::parseValidVoter("lgtest.i5", "lgtest.", &index));
        QVERIFY(!VoteGenerator::parseValidVoter("other.5", "lgtest.", &index));
        QVERIFY(!VoteGenerator::parseValidVoter("lgtest.99999999999", "lgtest.", &index));
    }

    void parsesOptionWeights()
    {
        QStringList keys;
        QList<double> weights;
        QString error;
        QVERIFY(VoteGenerator::parseOptionWeights(u"A:40,B:30,C:20,D:10"_s, &keys, &weights, &error));
        QCOMPARE(keys, (QStringList{u"A"_s, u"B"_s, u"C"_s, u"D"_s}));
        QCOMPARE(weights, (QList<double>{40, 30, 20, 10}));
        QVERIFY(VoteGenerator::parseOptionWeights(u"X,Y"_s, &keys, &weights, &error));
        QCOMPARE(weights, (QList<double>{1, 1}));
        for (const QString &bad :
             {u"A"_s, u"A:1,A:2"_s, u"A:x,B:1"_s, u"A:-1,B:2"_s, u"A:0,B:0"_s, u":3,B:1"_s})
            QVERIFY2(!VoteGenerator::parseOptionWeights(bad, &keys, &weights, &error), qPrintable(bad));
    }

    void parsesInvalidRatios()
    {
        std::array<double, kVoteKindCount> ratios{};
        QString error;
        QVERIFY(VoteGenerator::parseInvalidRatio(u"0.05"_s, &ratios, &error));
        QCOMPARE(ratios[0], 0.0);
        for (int i = 1; i < kVoteKindCount; ++i)
            QCOMPARE(ratios[std::size_t(i)], 0.01);
        QVERIFY(!VoteGenerator::parseInvalidRatio(u"1.5"_s, &ratios, &error));
        QVERIFY(!VoteGenerator::parseInvalidRatio(u"nonsense:0.1"_s, &ratios, &error));
        QVERIFY(error.contains(u"unknown_option"_s));
        QVERIFY(!VoteGenerator::parseInvalidRatio(u"valid:0.1"_s, &ratios, &error));
        QVERIFY(!VoteGenerator::parseInvalidRatio(u"invalid_json:0.6,unknown_option:0.5"_s, &ratios, &error));
    }
};

QTEST_GUILESS_MAIN(TestVoteGenerator)
#include "tst_votegenerator.moc"
