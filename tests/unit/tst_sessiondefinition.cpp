#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

#include "session/sessiondefinition.h"

using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(VotePolicy)
Q_DECLARE_METATYPE(SessionDefinition)

namespace {
QJsonObject option(const QString &key, const QString &label)
{
    return {{u"key"_s, key}, {u"label"_s, label}};
}

// A valid session in JSON; each failure case breaks one thing in it.
QJsonObject validJson()
{
    return {{u"title"_s, u"Saturday final"_s},
            {u"question"_s, u"Who goes through?"_s},
            {u"options"_s, QJsonArray{option(u"A"_s, u"Act A"_s), option(u"B"_s, u"Act B"_s)}},
            {u"window_seconds"_s, 90},
            {u"late_tolerance_ms"_s, 250},
            {u"policy"_s, u"first_wins"_s}};
}

QJsonArray options(const int count)
{
    QJsonArray array;
    for (int i = 0; i < count; ++i)
        array.append(option(u"K"_s + QString::number(i), u"Act "_s + QString::number(i)));
    return array;
}

QJsonObject with(QJsonObject json, const QString &field, const QJsonValue &value)
{
    if (value.isUndefined())
        json.remove(field);
    else
        json.insert(field, value);
    return json;
}

QJsonObject withOption(QJsonObject json, const int index, const QString &field, const QJsonValue &value)
{
    QJsonArray array = json.value(u"options"_s).toArray();
    QJsonObject o = array[index].toObject();
    if (value.isUndefined())
        o.remove(field);
    else
        o.insert(field, value);
    array[index] = o;
    json.insert(u"options"_s, array);
    return json;
}

bool sameDefinition(const SessionDefinition &a, const SessionDefinition &b)
{
    if (a.id != b.id || a.title != b.title || a.question != b.question || a.windowMs != b.windowMs ||
        a.lateToleranceMs != b.lateToleranceMs || a.policy != b.policy || a.voteCap != b.voteCap ||
        a.optionCap != b.optionCap || a.visibility != b.visibility || a.autoPublish != b.autoPublish ||
        a.options.size() != b.options.size())
        return false;
    for (qsizetype i = 0; i < a.options.size(); ++i) {
        const VoteOption &x = a.options[i];
        const VoteOption &y = b.options[i];
        if (x.key != y.key || x.label != y.label || x.colour != y.colour)
            return false;
    }
    return true;
}

bool isColour(const QString &colour)
{
    static const QRegularExpression pattern(u"^#[0-9a-f]{6}$"_s);
    return pattern.match(colour).hasMatch();
}
} // namespace

class TestSessionDefinition final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void policyNames();
    void countingRules_data();
    void countingRules();
    void countingRuleJson();
    void visibility();
    void fromJsonValid();
    void roundTrip_data();
    void roundTrip();
    void invalid_data();
    void invalid();
    void validateDirectly();
    void windowBounds_data();
    void windowBounds();
    void lateToleranceFraction();
    void colourAlias();
    void defaultColours();
    void labelDefaultsToKey();
    void indexOf_data();
    void indexOf();
    void demo();
    void audienceVoterIdMode();
    void rehearsalAndExportFolder();
    void problemNamesTheField();
};

void TestSessionDefinition::policyNames()
{
    for (const VotePolicy policy : {VotePolicy::LastWins, VotePolicy::FirstWins, VotePolicy::Unlimited}) {
        VotePolicy parsed = VotePolicy::Unlimited;
        QVERIFY(parseVotePolicy(votePolicyName(policy), &parsed));
        QCOMPARE(parsed, policy);
    }
    QCOMPARE(votePolicyName(VotePolicy::LastWins), u"last_wins"_s);
    QCOMPARE(votePolicyName(VotePolicy::FirstWins), u"first_wins"_s);
    QCOMPARE(votePolicyName(VotePolicy::Unlimited), u"unlimited"_s);
    VotePolicy untouched = VotePolicy::FirstWins;
    QVERIFY(!parseVotePolicy(u"LAST_WINS"_s, &untouched));
    QVERIFY(!parseVotePolicy(u"most_wins"_s, &untouched));
    QVERIFY(!parseVotePolicy(QString(), &untouched));
    QCOMPARE(untouched, VotePolicy::FirstWins);
}

void TestSessionDefinition::countingRules_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<int>("optionCap");
    QTest::addColumn<QString>("name"); // empty: invalid
    QTest::addColumn<QString>("mentions");

    QTest::newRow("last_wins") << u"last_wins"_s << 0 << u"last_wins"_s << QString();
    QTest::newRow("capped:20") << u"capped:20"_s << 0 << u"capped:20"_s << QString();
    QTest::newRow("capped:1") << u"capped:1"_s << 0 << u"capped:1"_s << QString();
    QTest::newRow("capped:1000") << u"capped:1000"_s << 0 << u"capped:1000"_s << QString();
    QTest::newRow("capped with option cap") << u"capped:20"_s << 5 << u"capped:20"_s << QString();
    QTest::newRow("unlimited with option cap") << u"unlimited"_s << 3 << u"unlimited"_s << QString();
    QTest::newRow("capped:0") << u"capped:0"_s << 0 << QString() << u"capped:N"_s;
    QTest::newRow("capped:1001") << u"capped:1001"_s << 0 << QString() << u"1000"_s;
    QTest::newRow("capped without N") << u"capped"_s << 0 << QString() << u"capped:N"_s;
    QTest::newRow("capped:-1") << u"capped:-1"_s << 0 << QString() << u"capped:N"_s;
    QTest::newRow("capped: 5") << u"capped: 5"_s << 0 << QString() << u"capped:N"_s;
    QTest::newRow("capped:5x") << u"capped:5x"_s << 0 << QString() << u"capped:N"_s;
    QTest::newRow("option cap with last_wins") << u"last_wins"_s << 2 << QString() << u"option_cap"_s;
    QTest::newRow("option cap with first_wins") << u"first_wins"_s << 1 << QString() << u"first_wins"_s;
    QTest::newRow("option cap too large") << u"unlimited"_s << 1001 << QString() << u"option_cap"_s;
    QTest::newRow("option cap negative") << u"capped:3"_s << -1 << QString() << u"option_cap"_s;
}

void TestSessionDefinition::countingRules()
{
    QFETCH(QString, policy);
    QFETCH(int, optionCap);
    QFETCH(QString, name);
    QFETCH(QString, mentions);

    CountingRule rule;
    QString error;
    const bool parsed = CountingRule::parsePolicy(policy, &rule, &error);
    rule.optionCap = optionCap;
    if (parsed)
        error = rule.validate();
    if (name.isEmpty()) {
        QVERIFY(!error.isEmpty());
        QVERIFY2(error.contains(mentions), qPrintable(error));
        return;
    }
    QVERIFY2(parsed && error.isEmpty(), qPrintable(error));
    QCOMPARE(rule.policyName(), name);
    // Printed and parsed back, the same rule.
    CountingRule back;
    QVERIFY(CountingRule::parsePolicy(rule.policyName(), &back));
    back.optionCap = optionCap;
    QCOMPARE(back, rule);
    QVERIFY(rule.describe().startsWith(name));
    if (optionCap > 0)
        QVERIFY(rule.describe().contains(QString::number(optionCap)));
}

void TestSessionDefinition::countingRuleJson()
{
    // capped:N and option_cap go through the JSON form and the validation of the whole session.
    SessionDefinition def;
    QString error;
    QJsonObject json = with(with(validJson(), u"policy"_s, u"capped:20"_s), u"option_cap"_s, 5);
    QVERIFY2(SessionDefinition::fromJson(json, &def, &error), qPrintable(error));
    QCOMPARE(def.policy, VotePolicy::Capped);
    QCOMPARE(def.voteCap, 20);
    QCOMPARE(def.optionCap, 5);
    QCOMPARE(def.rule(), CountingRule(VotePolicy::Capped, 20, 5));
    QCOMPARE(def.policyText(), u"capped:20"_s);
    QCOMPARE(def.toJson().value(u"policy"_s).toString(), u"capped:20"_s);
    QCOMPARE(def.toJson().value(u"option_cap"_s).toInteger(), 5);
    SessionDefinition back;
    QVERIFY2(SessionDefinition::fromJson(def.toJson(), &back, &error), qPrintable(error));
    QVERIFY(sameDefinition(back, def));

    // An option cap at or above N cannot stop a vote: valid, and the ledger ignores it.
    QCOMPARE(CountingRule(VotePolicy::Capped, 3, 3).effectiveOptionCap(), 0);
    QCOMPARE(CountingRule(VotePolicy::Capped, 3, 2).effectiveOptionCap(), 2);
    QCOMPARE(CountingRule(VotePolicy::Unlimited, 0, 7).effectiveOptionCap(), 7);

    for (const QJsonObject &bad :
         {with(validJson(), u"policy"_s, u"capped:0"_s), with(validJson(), u"option_cap"_s, 2),
          with(validJson(), u"option_cap"_s, u"2"_s),
          with(with(validJson(), u"policy"_s, u"unlimited"_s), u"option_cap"_s, 1.5)}) {
        QVERIFY(!SessionDefinition::fromJson(bad, &def, &error));
        QVERIFY2(error.contains(u"policy"_s) || error.contains(u"option_cap"_s), qPrintable(error));
    }
    // Directly: a capped policy needs its N, the others must not have one.
    SessionDefinition direct = SessionDefinition::demo();
    direct.policy = VotePolicy::Capped;
    QVERIFY(!direct.validate().isEmpty());
    direct.voteCap = 10;
    QVERIFY(direct.validate().isEmpty());
    direct.policy = VotePolicy::LastWins;
    QVERIFY(!direct.validate().isEmpty());
}

void TestSessionDefinition::visibility()
{
    for (const ResultsVisibility visibility :
         {ResultsVisibility::Live, ResultsVisibility::AfterClose, ResultsVisibility::OnPublish}) {
        ResultsVisibility parsed = ResultsVisibility::Live;
        QVERIFY(parseResultsVisibility(resultsVisibilityName(visibility), &parsed));
        QCOMPARE(parsed, visibility);
    }
    QCOMPARE(resultsVisibilityName(ResultsVisibility::AfterClose), u"after_close"_s);
    ResultsVisibility untouched = ResultsVisibility::Live;
    QVERIFY(!parseResultsVisibility(u"public"_s, &untouched));
    QCOMPARE(untouched, ResultsVisibility::Live);

    // Default: nothing leaves the building until the operator publishes, no auto-publish.
    SessionDefinition def;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(validJson(), &def, &error), qPrintable(error));
    QCOMPARE(def.visibility, ResultsVisibility::OnPublish);
    QVERIFY(!def.autoPublish);
    QCOMPARE(SessionDefinition::demo().visibility, ResultsVisibility::OnPublish);
    // live and after_close publish by themselves unless told not to.
    QVERIFY(SessionDefinition::fromJson(with(validJson(), u"visibility"_s, u"live"_s), &def, &error));
    QCOMPARE(def.visibility, ResultsVisibility::Live);
    QVERIFY(def.autoPublish);
    QVERIFY(SessionDefinition::fromJson(
        with(with(validJson(), u"visibility"_s, u"after_close"_s), u"auto_publish"_s, false), &def, &error));
    QCOMPARE(def.visibility, ResultsVisibility::AfterClose);
    QVERIFY(!def.autoPublish);
    QVERIFY(SessionDefinition::fromJson(with(validJson(), u"auto_publish"_s, true), &def, &error));
    QVERIFY(def.autoPublish);
    QCOMPARE(def.toJson().value(u"visibility"_s).toString(), u"on_publish"_s);
    QCOMPARE(def.toJson().value(u"auto_publish"_s).toBool(), true);
    SessionDefinition back;
    QVERIFY(SessionDefinition::fromJson(def.toJson(), &back, &error));
    QVERIFY(sameDefinition(back, def));

    QVERIFY(!SessionDefinition::fromJson(with(validJson(), u"visibility"_s, u"public"_s), &def, &error));
    QVERIFY2(error.contains(u"visibility"_s), qPrintable(error));
    QVERIFY(!SessionDefinition::fromJson(with(validJson(), u"auto_publish"_s, 1), &def, &error));
    QVERIFY2(error.contains(u"auto_publish"_s), qPrintable(error));
}

void TestSessionDefinition::fromJsonValid()
{
    SessionDefinition def;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(validJson(), &def, &error), qPrintable(error));
    QCOMPARE(def.id, 0);
    QCOMPARE(def.title, u"Saturday final"_s);
    QCOMPARE(def.question, u"Who goes through?"_s);
    QCOMPARE(def.options.size(), 2);
    QCOMPARE(def.options[0].key, u"A"_s);
    QCOMPARE(def.options[1].label, u"Act B"_s);
    QCOMPARE(def.windowMs, 90'000);
    QCOMPARE(def.lateToleranceMs, 250);
    QCOMPARE(def.policy, VotePolicy::FirstWins);
    QVERIFY(def.validate().isEmpty());

    // Only title and options are required; the rest has defaults.
    SessionDefinition minimal;
    QVERIFY2(SessionDefinition::fromJson(QJsonObject{{u"title"_s, u"T"_s}, {u"options"_s, options(2)}},
                                         &minimal, &error),
             qPrintable(error));
    QCOMPARE(minimal.windowMs, 120'000);
    QCOMPARE(minimal.lateToleranceMs, 0);
    QCOMPARE(minimal.policy, VotePolicy::LastWins);
    QVERIFY(minimal.question.isEmpty());
}

void TestSessionDefinition::roundTrip_data()
{
    QTest::addColumn<SessionDefinition>("def");

    QTest::newRow("demo") << SessionDefinition::demo();

    SessionDefinition full;
    full.id = 42;
    full.title = u"Finale — Saturday"_s;
    full.question = u"Wer soll weiterkommen? 誰が勝つ? 🎤"_s;
    full.options = {{u"zoe"_s, u"Zoë & Ünal, \"the duo\""_s, u"#112233"_s},
                    {u"B-2"_s, u"少年隊"_s, u"#abcdef"_s},
                    {u"c_3"_s, u"Line\nbreak"_s, u"#000000"_s}};
    full.windowMs = 90'500; // not a whole second
    full.lateToleranceMs = 1'500;
    full.policy = VotePolicy::Unlimited;
    full.optionCap = 3;
    full.visibility = ResultsVisibility::Live;
    full.autoPublish = true;
    QTest::newRow("everything set") << full;

    SessionDefinition capped = SessionDefinition::demo();
    capped.policy = VotePolicy::Capped;
    capped.voteCap = 20;
    capped.optionCap = 4;
    capped.visibility = ResultsVisibility::AfterClose;
    QTest::newRow("capped:20, option cap 4, after_close") << capped;

    SessionDefinition most;
    most.title = u"Many"_s;
    for (int i = 0; i < SessionDefinition::MaxOptions; ++i)
        most.options.append(
            {QString::number(i), u"Option "_s + QString::number(i), SessionDefinition::defaultColour(i)});
    most.windowMs = 24LL * 3600 * 1000;
    most.lateToleranceMs = 60'000;
    most.policy = VotePolicy::FirstWins;
    QTest::newRow("64 options, longest window") << most;
}

void TestSessionDefinition::roundTrip()
{
    QFETCH(SessionDefinition, def);
    QVERIFY2(def.validate().isEmpty(), qPrintable(def.validate()));

    // Through the object and through the text a client or the store would hold.
    SessionDefinition back;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(def.toJson(), &back, &error), qPrintable(error));
    QVERIFY(sameDefinition(back, def));

    const QByteArray text = QJsonDocument(def.toJson()).toJson(QJsonDocument::Compact);
    SessionDefinition fromText;
    QVERIFY2(SessionDefinition::fromJson(QJsonDocument::fromJson(text).object(), &fromText, &error),
             qPrintable(error));
    QVERIFY(sameDefinition(fromText, def));

    // The documented field names.
    const QJsonObject json = def.toJson();
    QCOMPARE(json.value(u"title"_s).toString(), def.title);
    QCOMPARE(json.value(u"policy"_s).toString(), def.policyText());
    QCOMPARE(json.value(u"window_seconds"_s).toDouble(), double(def.windowMs) / 1000.0);
    QCOMPARE(json.value(u"late_tolerance_ms"_s).toInteger(), def.lateToleranceMs);
    QCOMPARE(json.value(u"options"_s).toArray().size(), def.options.size());
    QCOMPARE(json.value(u"options"_s).toArray()[0].toObject().value(u"colour"_s).toString(),
             def.options[0].colour);
    QCOMPARE(json.contains(u"id"_s), def.id != 0);
}

void TestSessionDefinition::invalid_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<QStringList>("mentions"); // every string must appear in the error

    const QJsonObject valid = validJson();

    QTest::newRow("missing title") << with(valid, u"title"_s, QJsonValue::Undefined)
                                   << QStringList{u"title"_s};
    QTest::newRow("title not a string") << with(valid, u"title"_s, 5) << QStringList{u"title"_s};
    QTest::newRow("blank title") << with(valid, u"title"_s, u"   "_s) << QStringList{u"title is empty"_s};
    QTest::newRow("title too long") << with(valid, u"title"_s, QString(201, u'x'))
                                    << QStringList{u"title"_s, u"200"_s};
    QTest::newRow("question not a string")
        << with(valid, u"question"_s, QJsonArray{}) << QStringList{u"question"_s};
    QTest::newRow("question too long")
        << with(valid, u"question"_s, QString(1001, u'?')) << QStringList{u"question"_s, u"1000"_s};
    QTest::newRow("id not a number") << with(valid, u"id"_s, u"7"_s) << QStringList{u"id"_s};

    QTest::newRow("options missing") << with(valid, u"options"_s, QJsonValue::Undefined)
                                     << QStringList{u"options"_s};
    QTest::newRow("options not an array") << with(valid, u"options"_s, u"A,B"_s) << QStringList{u"options"_s};
    // A trailing newline once slipped past the key, colour and policy patterns (the fuzzer
    // found it: tests/fuzz/sessiondefinition/regression-key-trailing-newline).
    QTest::newRow("key with a trailing newline")
        << with(valid, u"options"_s, QJsonArray{option(u"A\n"_s, u"Act A"_s), option(u"B"_s, u"Act B"_s)})
        << QStringList{u"key"_s};
    QTest::newRow("colour with a trailing newline")
        << withOption(validJson(), 0, u"colour"_s, u"#123456\n"_s) << QStringList{u"colour"_s};
    QTest::newRow("policy with a trailing newline")
        << with(valid, u"policy"_s, u"capped:3\n"_s) << QStringList{u"policy"_s};
    QTest::newRow("option not an object")
        << with(valid, u"options"_s, QJsonArray{option(u"A"_s, u"a"_s), u"B"_s})
        << QStringList{u"option 2"_s, u"not an object"_s};
    QTest::newRow("no options") << with(valid, u"options"_s, QJsonArray{})
                                << QStringList{u"2 to 64"_s, u"not 0"_s};
    QTest::newRow("one option") << with(valid, u"options"_s, options(1))
                                << QStringList{u"2 to 64"_s, u"not 1"_s};
    QTest::newRow("65 options") << with(valid, u"options"_s, options(65))
                                << QStringList{u"2 to 64"_s, u"not 65"_s};

    QTest::newRow("duplicate keys") << withOption(valid, 1, u"key"_s, u"A"_s)
                                    << QStringList{u"option 2"_s, u"duplicate key \"A\""_s};
    QTest::newRow("key missing") << withOption(valid, 0, u"key"_s, QJsonValue::Undefined)
                                 << QStringList{u"option 1"_s, u"key"_s};
    QTest::newRow("key not a string")
        << withOption(valid, 0, u"key"_s, 1) << QStringList{u"option 1"_s, u"key"_s};
    QTest::newRow("empty key") << withOption(valid, 0, u"key"_s, u""_s)
                               << QStringList{u"option 1"_s, u"key"_s};
    QTest::newRow("key with a space")
        << withOption(valid, 1, u"key"_s, u"B 2"_s) << QStringList{u"option 2"_s, u"key \"B 2\""_s};
    QTest::newRow("key with a dot") << withOption(valid, 1, u"key"_s, u"B.2"_s)
                                    << QStringList{u"option 2"_s, u"key \"B.2\""_s};
    QTest::newRow("key non-ASCII") << withOption(valid, 1, u"key"_s, u"Ü"_s)
                                   << QStringList{u"option 2"_s, u"key \"Ü\""_s};
    QTest::newRow("key of 17 characters") << withOption(valid, 1, u"key"_s, QString(17, u'k'))
                                          << QStringList{u"option 2"_s, u"key"_s, u"1-16"_s};
    QTest::newRow("empty label") << withOption(valid, 1, u"label"_s, u""_s)
                                 << QStringList{u"option 2"_s, u"label is empty"_s};
    QTest::newRow("blank label") << withOption(valid, 0, u"label"_s, u" \t "_s)
                                 << QStringList{u"option 1"_s, u"label is empty"_s};
    QTest::newRow("label too long") << withOption(valid, 0, u"label"_s, QString(201, u'l'))
                                    << QStringList{u"option 1"_s, u"label"_s, u"200"_s};
    QTest::newRow("colour name") << withOption(valid, 1, u"colour"_s, u"red"_s)
                                 << QStringList{u"option 2"_s, u"colour \"red\""_s, u"#rrggbb"_s};
    QTest::newRow("colour too short")
        << withOption(valid, 0, u"colour"_s, u"#12345"_s) << QStringList{u"option 1"_s, u"colour"_s};
    QTest::newRow("colour not hex") << withOption(valid, 0, u"colour"_s, u"#gg0000"_s)
                                    << QStringList{u"option 1"_s, u"colour"_s};
    QTest::newRow("color alias checked too")
        << withOption(valid, 0, u"color"_s, u"blue"_s) << QStringList{u"option 1"_s, u"colour \"blue\""_s};

    QTest::newRow("unknown policy") << with(valid, u"policy"_s, u"most_wins"_s) << QStringList{u"policy"_s};
    QTest::newRow("policy not a string") << with(valid, u"policy"_s, 1) << QStringList{u"policy"_s};

    QTest::newRow("window_seconds zero") << with(valid, u"window_seconds"_s, 0) << QStringList{u"window"_s};
    QTest::newRow("window_seconds negative")
        << with(valid, u"window_seconds"_s, -30) << QStringList{u"window"_s};
    QTest::newRow("window_seconds under 1 s")
        << with(valid, u"window_seconds"_s, 0.5) << QStringList{u"window"_s};
    QTest::newRow("window_seconds over 24 h")
        << with(valid, u"window_seconds"_s, 86'401) << QStringList{u"window"_s};
    QTest::newRow("window_seconds absurd")
        << with(valid, u"window_seconds"_s, 1e300) << QStringList{u"window"_s};
    QTest::newRow("window_seconds a string")
        << with(valid, u"window_seconds"_s, u"120"_s) << QStringList{u"window_seconds"_s};

    QTest::newRow("late tolerance negative")
        << with(valid, u"late_tolerance_ms"_s, -1) << QStringList{u"late tolerance"_s};
    QTest::newRow("late tolerance over 60 s")
        << with(valid, u"late_tolerance_ms"_s, 60'001) << QStringList{u"late tolerance"_s};
    // Beyond qint64: must be refused, not read as 0.
    QTest::newRow("late tolerance absurd")
        << with(valid, u"late_tolerance_ms"_s, 1e300) << QStringList{u"late tolerance"_s};
    QTest::newRow("late tolerance a string")
        << with(valid, u"late_tolerance_ms"_s, u"5"_s) << QStringList{u"late_tolerance_ms"_s};
}

void TestSessionDefinition::invalid()
{
    QFETCH(QJsonObject, json);
    QFETCH(QStringList, mentions);

    SessionDefinition out = SessionDefinition::demo();
    QString error;
    QVERIFY(!SessionDefinition::fromJson(json, &out, &error));
    for (const QString &mention : mentions)
        QVERIFY2(error.contains(mention), qPrintable(u"\""_s + mention + u"\" not in: "_s + error));
    // Nothing half-parsed reaches the caller.
    QVERIFY(sameDefinition(out, SessionDefinition::demo()));
    // The error pointer is optional.
    QVERIFY(!SessionDefinition::fromJson(json, &out, nullptr));
}

void TestSessionDefinition::validateDirectly()
{
    SessionDefinition def = SessionDefinition::demo();
    QVERIFY(def.validate().isEmpty());

    def.options[2].key = u"B"_s;
    QCOMPARE(def.validate(), u"option 3: duplicate key \"B\""_s);
    def = SessionDefinition::demo();
    def.options[0].colour = u"#FFF"_s;
    QVERIFY(def.validate().contains(u"option 1"_s));
    def = SessionDefinition::demo();
    def.lateToleranceMs = 60'001;
    QVERIFY(def.validate().contains(u"late tolerance"_s));
    def = SessionDefinition::demo();
    def.windowMs = 999;
    QVERIFY(def.validate().contains(u"window"_s));
    def = SessionDefinition::demo();
    def.title.clear();
    QVERIFY(def.validate().contains(u"title"_s));
    // Keys are case-sensitive: "a" and "A" are different options.
    def = SessionDefinition::demo();
    def.options[1].key = u"a"_s;
    QVERIFY(def.validate().isEmpty());
}

void TestSessionDefinition::windowBounds_data()
{
    QTest::addColumn<double>("seconds");
    QTest::addColumn<qint64>("windowMs");

    QTest::newRow("1 s") << 1.0 << qint64(1'000);
    QTest::newRow("fraction") << 90.25 << qint64(90'250);
    QTest::newRow("24 h") << 86'400.0 << qint64(86'400'000);
}

void TestSessionDefinition::windowBounds()
{
    QFETCH(double, seconds);
    QFETCH(qint64, windowMs);

    SessionDefinition def;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(with(validJson(), u"window_seconds"_s, seconds), &def, &error),
             qPrintable(error));
    QCOMPARE(def.windowMs, windowMs);
}

// Milliseconds given with a fraction are rounded like window_seconds, not dropped to 0.
void TestSessionDefinition::lateToleranceFraction()
{
    SessionDefinition def;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(with(validJson(), u"late_tolerance_ms"_s, 1499.6), &def, &error),
             qPrintable(error));
    QCOMPARE(def.lateToleranceMs, 1500);
}

void TestSessionDefinition::colourAlias()
{
    SessionDefinition def;
    QString error;

    // American spelling accepted, and colours are normalised to lower case.
    QVERIFY2(SessionDefinition::fromJson(withOption(validJson(), 0, u"color"_s, u"#ABCDEF"_s), &def, &error),
             qPrintable(error));
    QCOMPARE(def.options[0].colour, u"#abcdef"_s);

    // Both given: the documented spelling wins.
    QJsonObject both = withOption(validJson(), 1, u"colour"_s, u"#010203"_s);
    both = withOption(both, 1, u"color"_s, u"#0a0b0c"_s);
    QVERIFY2(SessionDefinition::fromJson(both, &def, &error), qPrintable(error));
    QCOMPARE(def.options[1].colour, u"#010203"_s);

    // toJson writes the documented spelling only.
    const QJsonObject written = def.toJson().value(u"options"_s).toArray()[1].toObject();
    QCOMPARE(written.value(u"colour"_s).toString(), u"#010203"_s);
    QVERIFY(!written.contains(u"color"_s));
}

void TestSessionDefinition::defaultColours()
{
    SessionDefinition def;
    QString error;
    QJsonObject json = validJson();
    json.insert(u"options"_s, options(20));
    json = withOption(json, 3, u"colour"_s, u"#123456"_s);
    QVERIFY2(SessionDefinition::fromJson(json, &def, &error), qPrintable(error));
    for (int i = 0; i < def.options.size(); ++i) {
        if (i == 3)
            QCOMPARE(def.options[i].colour, u"#123456"_s);
        else
            QCOMPARE(def.options[i].colour, SessionDefinition::defaultColour(i));
    }

    // The palette: valid colours, distinct neighbours, defined for any index.
    QSet<QString> firstFour;
    for (int i = 0; i < 4; ++i)
        firstFour.insert(SessionDefinition::defaultColour(i));
    QCOMPARE(firstFour.size(), 4);
    for (const int index : {0, 1, 15, 16, 63, 1000, -1, -17})
        QVERIFY2(isColour(SessionDefinition::defaultColour(index)), qPrintable(QString::number(index)));
}

void TestSessionDefinition::labelDefaultsToKey()
{
    SessionDefinition def;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(withOption(validJson(), 1, u"label"_s, QJsonValue::Undefined), &def,
                                         &error),
             qPrintable(error));
    QCOMPARE(def.options[1].label, u"B"_s);
}

void TestSessionDefinition::indexOf_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<int>("index");

    QTest::newRow("first") << QByteArrayLiteral("A") << 0;
    QTest::newRow("last") << QByteArrayLiteral("D") << 3;
    QTest::newRow("long key") << QByteArrayLiteral("long_key-16chars") << 4;
    QTest::newRow("case matters") << QByteArrayLiteral("a") << -1;
    QTest::newRow("unknown") << QByteArrayLiteral("E") << -1;
    QTest::newRow("prefix of a key") << QByteArrayLiteral("long_key") << -1;
    QTest::newRow("key plus more") << QByteArrayLiteral("AB") << -1;
    QTest::newRow("empty") << QByteArray() << -1;
    QTest::newRow("trailing space") << QByteArrayLiteral("A ") << -1;
    QTest::newRow("UTF-8 bytes") << QByteArrayLiteral("\xC3\x84") << -1;
    QTest::newRow("Latin-1 byte") << QByteArrayLiteral("\xC4") << -1;
}

void TestSessionDefinition::indexOf()
{
    QFETCH(QByteArray, key);
    QFETCH(int, index);

    SessionDefinition def = SessionDefinition::demo();
    def.options.append({u"long_key-16chars"_s, u"Long"_s, SessionDefinition::defaultColour(4)});
    QVERIFY(def.validate().isEmpty());

    QCOMPARE(def.indexOf(QByteArrayView(key)), index);
    QCOMPARE(def.indexOf(QString::fromUtf8(key)), index);
}

void TestSessionDefinition::demo()
{
    const SessionDefinition def = SessionDefinition::demo();
    QVERIFY2(def.validate().isEmpty(), qPrintable(def.validate()));
    QCOMPARE(def.question, u"Which act goes through?"_s);
    QVERIFY(!def.title.isEmpty());
    QCOMPARE(def.options.size(), 4);
    const QStringList keys = {u"A"_s, u"B"_s, u"C"_s, u"D"_s};
    QSet<QString> colours;
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(def.options[i].key, keys[i]);
        QVERIFY(!def.options[i].label.isEmpty());
        QVERIFY(isColour(def.options[i].colour));
        colours.insert(def.options[i].colour);
    }
    QCOMPARE(colours.size(), 4);
    QCOMPARE(def.policy, VotePolicy::LastWins);
    QCOMPARE(def.id, 0);
}

void TestSessionDefinition::audienceVoterIdMode()
{
    SessionDefinition def = SessionDefinition::demo();
    QCOMPARE(def.audienceVoterId, u"browser"_s);
    QCOMPARE(def.toJson().value(u"voter_id"_s).toString(), u"browser"_s);
    QJsonObject json = def.toJson();
    for (const QString &mode : {u"browser"_s, u"query"_s, u"code"_s}) {
        json.insert(u"voter_id"_s, mode);
        SessionDefinition parsed;
        QString error;
        QVERIFY2(SessionDefinition::fromJson(json, &parsed, &error), qPrintable(error));
        QCOMPARE(parsed.audienceVoterId, mode);
    }
    json.insert(u"voter_id"_s, u"phone"_s);
    SessionDefinition refused;
    QString error;
    QVERIFY(!SessionDefinition::fromJson(json, &refused, &error));
    QVERIFY2(error.contains(u"voter_id"_s), qPrintable(error));
    json.insert(u"voter_id"_s, 3);
    QVERIFY(!SessionDefinition::fromJson(json, &refused, &error));
}

void TestSessionDefinition::rehearsalAndExportFolder()
{
    SessionDefinition def;
    QString error;
    QVERIFY2(SessionDefinition::fromJson(validJson(), &def, &error), qPrintable(error));
    QVERIFY(!def.rehearsal); // a live session unless said otherwise
    QVERIFY(def.exportFolder.isEmpty());
    QCOMPARE(def.toJson().value(u"rehearsal"_s).toBool(true), false);
    QVERIFY(!def.toJson().contains(u"export_folder"_s));

    QJsonObject json = with(validJson(), u"rehearsal"_s, true);
    json.insert(u"export_folder"_s, u"/srv/graphics/final"_s);
    QVERIFY2(SessionDefinition::fromJson(json, &def, &error), qPrintable(error));
    QVERIFY(def.rehearsal);
    QCOMPARE(def.exportFolder, u"/srv/graphics/final"_s);
    SessionDefinition back;
    QVERIFY(SessionDefinition::fromJson(def.toJson(), &back, &error));
    QVERIFY(back.rehearsal);
    QCOMPARE(back.exportFolder, def.exportFolder);

    QVERIFY(!SessionDefinition::fromJson(with(validJson(), u"rehearsal"_s, u"yes"_s), &def, &error));
    QCOMPARE(error, u"rehearsal must be true or false"_s);
    QVERIFY(!SessionDefinition::fromJson(with(validJson(), u"export_folder"_s, 3), &def, &error));
    QVERIFY(error.contains(u"export_folder"_s));
    QVERIFY(
        !SessionDefinition::fromJson(with(validJson(), u"export_folder"_s, u"relative/dir"_s), &def, &error));
    QVERIFY2(error.contains(u"absolute path"_s), qPrintable(error));
}

void TestSessionDefinition::problemNamesTheField()
{
    SessionDefinition def = SessionDefinition::demo();
    QVERIFY(def.check().isEmpty());
    QCOMPARE(def.check().message, def.validate());

    SessionDefinition broken = def;
    broken.title = u"  "_s;
    QCOMPARE(broken.check().field, SessionField::Title);
    QCOMPARE(broken.check().option, -1);

    broken = def;
    broken.options[2].key = u"A"_s;
    QCOMPARE(broken.check().field, SessionField::OptionKey);
    QCOMPARE(broken.check().option, 2);
    QCOMPARE(broken.check().message, broken.validate());

    broken = def;
    broken.options[1].label.clear();
    QCOMPARE(broken.check().field, SessionField::OptionLabel);
    QCOMPARE(broken.check().option, 1);

    broken = def;
    broken.options[3].colour = u"red"_s;
    QCOMPARE(broken.check().field, SessionField::OptionColour);
    QCOMPARE(broken.check().option, 3);

    broken = def;
    broken.options.resize(1);
    QCOMPARE(broken.check().field, SessionField::Options);

    broken = def;
    broken.windowMs = 10;
    QCOMPARE(broken.check().field, SessionField::WindowLength);

    broken = def;
    broken.lateToleranceMs = -1;
    QCOMPARE(broken.check().field, SessionField::LateTolerance);

    broken = def;
    broken.policy = VotePolicy::Capped;
    QCOMPARE(broken.check().field, SessionField::Policy);

    broken = def;
    broken.exportFolder = u"out"_s;
    QCOMPARE(broken.check().field, SessionField::ExportFolder);
}

QTEST_APPLESS_MAIN(TestSessionDefinition)
#include "tst_sessiondefinition.moc"
