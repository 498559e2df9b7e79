#include "session/sessiondefinition.h"

#include <algorithm>
#include <cmath>

#include <QDir>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

using namespace Qt::Literals::StringLiterals;

namespace {
// Colours that stay distinct on a dark console and on broadcast graphics.
const char *const kPalette[] = {"#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
                                "#f032e6", "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324",
                                "#fffac8", "#800000", "#aaffc3", "#808000"};

bool isValidKey(const QString &key)
{
    // anchoredPattern, not ^…$: PCRE's $ also matches before a final newline ("A\n" was a key).
    static const QRegularExpression pattern(QRegularExpression::anchoredPattern(u"[A-Za-z0-9_-]{1,16}"_s));
    return pattern.match(key).hasMatch();
}

bool isValidColour(const QString &colour)
{
    static const QRegularExpression pattern(QRegularExpression::anchoredPattern(u"#[0-9A-Fa-f]{6}"_s));
    return pattern.match(colour).hasMatch();
}

// JSON numbers are doubles: qRound64() of one beyond qint64 is undefined behaviour, and
// QJsonValue::toInteger() silently turns a fraction or a huge value into 0. Anything this
// far out only has to fail validate(), so it becomes -1.
qint64 roundedMs(const double ms)
{
    return (ms > -1e15 && ms < 1e15) ? qRound64(ms) : -1;
}
} // namespace

QString votePolicyName(VotePolicy policy)
{
    switch (policy) {
    case VotePolicy::LastWins:
        return u"last_wins"_s;
    case VotePolicy::FirstWins:
        return u"first_wins"_s;
    case VotePolicy::Unlimited:
        return u"unlimited"_s;
    case VotePolicy::Capped:
        return u"capped"_s;
    }
    return u"unknown"_s;
}

bool parseVotePolicy(const QString &name, VotePolicy *policy)
{
    for (VotePolicy candidate : {VotePolicy::LastWins, VotePolicy::FirstWins, VotePolicy::Unlimited}) {
        if (votePolicyName(candidate) == name) {
            *policy = candidate;
            return true;
        }
    }
    return false;
}

QString CountingRule::policyName() const
{
    if (policy == VotePolicy::Capped)
        return u"capped:%1"_s.arg(voteCap);
    return votePolicyName(policy);
}

QString CountingRule::describe() const
{
    QString text = policyName();
    if (optionCap > 0)
        text += u", at most %1 per option"_s.arg(optionCap);
    return text;
}

QString CountingRule::validate() const
{
    switch (policy) {
    case VotePolicy::Capped:
        if (voteCap < 1 || voteCap > MaxVoteCap)
            return u"a capped policy counts 1 to %1 votes per voter, not %2"_s.arg(MaxVoteCap).arg(voteCap);
        break;
    case VotePolicy::LastWins:
    case VotePolicy::FirstWins:
    case VotePolicy::Unlimited:
        if (voteCap != 0)
            return u"only the capped policy takes a vote cap"_s;
        break;
    default:
        return u"unknown policy"_s;
    }
    if (optionCap < 0 || optionCap > MaxOptionCap)
        return u"option_cap must be 0 (none) to %1, not %2"_s.arg(MaxOptionCap).arg(optionCap);
    if (optionCap > 0 && policy != VotePolicy::Unlimited && policy != VotePolicy::Capped)
        return u"option_cap applies to the unlimited and capped policies only (%1 counts one ballot)"_s.arg(
            votePolicyName(policy));
    return {};
}

int CountingRule::effectiveOptionCap() const
{
    if (policy == VotePolicy::Capped && optionCap >= voteCap)
        return 0;
    if (policy != VotePolicy::Unlimited && policy != VotePolicy::Capped)
        return 0;
    return optionCap;
}

bool CountingRule::parsePolicy(const QString &text, CountingRule *rule, QString *error)
{
    VotePolicy simple;
    if (parseVotePolicy(text, &simple)) {
        rule->policy = simple;
        rule->voteCap = 0;
        return true;
    }
    static const QRegularExpression capped(QRegularExpression::anchoredPattern(u"capped:([0-9]{1,4})"_s));
    const QRegularExpressionMatch match = capped.match(text);
    const int cap = match.hasMatch() ? match.captured(1).toInt() : 0;
    if (!match.hasMatch() || cap < 1 || cap > MaxVoteCap) {
        if (error) {
            *error = u"policy must be last_wins, first_wins, unlimited or capped:N (N from 1 to %1)"_s.arg(
                MaxVoteCap);
        }
        return false;
    }
    rule->policy = VotePolicy::Capped;
    rule->voteCap = cap;
    return true;
}

QString resultsVisibilityName(ResultsVisibility visibility)
{
    switch (visibility) {
    case ResultsVisibility::Live:
        return u"live"_s;
    case ResultsVisibility::AfterClose:
        return u"after_close"_s;
    case ResultsVisibility::OnPublish:
        return u"on_publish"_s;
    }
    return u"unknown"_s;
}

bool parseResultsVisibility(const QString &name, ResultsVisibility *visibility)
{
    for (ResultsVisibility candidate :
         {ResultsVisibility::Live, ResultsVisibility::AfterClose, ResultsVisibility::OnPublish}) {
        if (resultsVisibilityName(candidate) == name) {
            *visibility = candidate;
            return true;
        }
    }
    return false;
}

QString voterTokenModeName(VoterTokenMode mode)
{
    switch (mode) {
    case VoterTokenMode::None:
        return u"none"_s;
    case VoterTokenMode::Hmac:
        return u"hmac"_s;
    }
    return u"none"_s;
}

int SessionDefinition::indexOf(QByteArrayView key) const
{
    for (int i = 0; i < options.size(); ++i) {
        const QString &candidate = options[i].key;
        if (candidate.size() != key.size())
            continue;
        // Keys are ASCII (validated), so a byte-wise compare is exact.
        bool same = true;
        for (qsizetype c = 0; c < key.size(); ++c) {
            if (candidate[c].unicode() != static_cast<uchar>(key[c])) {
                same = false;
                break;
            }
        }
        if (same)
            return i;
    }
    return -1;
}

int SessionDefinition::indexOf(const QString &key) const
{
    for (int i = 0; i < options.size(); ++i) {
        if (options[i].key == key)
            return i;
    }
    return -1;
}

SessionProblem SessionDefinition::check() const
{
    auto problem = [](SessionField field, const QString &message, int option = -1) {
        return SessionProblem{field, option, message};
    };
    if (audienceVoterId != u"browser" && audienceVoterId != u"query" && audienceVoterId != u"code")
        return problem(SessionField::VoterId, u"voter_id must be browser, query or code"_s);
    if (title.trimmed().isEmpty())
        return problem(SessionField::Title, u"title is empty"_s);
    if (title.size() > 200)
        return problem(SessionField::Title, u"title is longer than 200 characters"_s);
    if (question.size() > 1000)
        return problem(SessionField::Question, u"question is longer than 1000 characters"_s);
    if (options.size() < MinOptions || options.size() > MaxOptions)
        return problem(SessionField::Options, u"a session needs %1 to %2 options, not %3"_s.arg(MinOptions)
                                                  .arg(MaxOptions)
                                                  .arg(options.size()));
    QSet<QString> keys;
    for (int i = 0; i < options.size(); ++i) {
        const VoteOption &option = options[i];
        const QString where = u"option %1"_s.arg(i + 1);
        if (!isValidKey(option.key)) {
            return problem(
                SessionField::OptionKey,
                where % u": key \""_s % option.key % u"\" must be 1-16 characters of A-Z a-z 0-9 _ -"_s, i);
        }
        if (keys.contains(option.key))
            return problem(SessionField::OptionKey, where % u": duplicate key \""_s % option.key % u'"', i);
        keys.insert(option.key);
        if (option.label.trimmed().isEmpty())
            return problem(SessionField::OptionLabel, where % u": label is empty"_s, i);
        if (option.label.size() > 200)
            return problem(SessionField::OptionLabel, where % u": label is longer than 200 characters"_s, i);
        if (!isValidColour(option.colour))
            return problem(SessionField::OptionColour,
                           where % u": colour \""_s % option.colour % u"\" is not #rrggbb"_s, i);
    }
    if (windowMs < 1000 || windowMs > 24LL * 3600 * 1000)
        return problem(SessionField::WindowLength, u"window length must be between 1 s and 24 h"_s);
    if (lateToleranceMs < 0 || lateToleranceMs > 60'000)
        return problem(SessionField::LateTolerance, u"late tolerance must be between 0 and 60000 ms"_s);
    if (!exportFolder.isEmpty() && (!QDir::isAbsolutePath(exportFolder) || exportFolder.size() > 1000 ||
                                    exportFolder.contains(QChar(0))))
        return problem(SessionField::ExportFolder,
                       u"export_folder \"%1\" must be an absolute path of at most 1000 characters (or empty "
                       u"for the console's setting)"_s.arg(exportFolder.left(80)));
    if (voterToken == VoterTokenMode::None && !voterTokenSecret.isEmpty())
        return problem(SessionField::VoterToken, u"voter_token_secret needs \"voter_token\": \"hmac\""_s);
    if (voterToken == VoterTokenMode::Hmac && !voterTokenSecret.isEmpty()) {
        // Unpadded base64url of 16 to 64 bytes: 22 to 86 characters, never 4n + 1.
        const bool base64url = std::all_of(voterTokenSecret.cbegin(), voterTokenSecret.cend(), [](QChar ch) {
            return (ch >= u'A' && ch <= u'Z') || (ch >= u'a' && ch <= u'z') || (ch >= u'0' && ch <= u'9') ||
                   ch == u'-' || ch == u'_';
        });
        if (!base64url || voterTokenSecret.size() < 22 || voterTokenSecret.size() > 86 ||
            voterTokenSecret.size() % 4 == 1)
            return problem(SessionField::VoterToken,
                           u"voter_token_secret must be 16 to 64 bytes as unpadded base64url"_s);
    }
    const QString ruleProblem = rule().validate();
    if (!ruleProblem.isEmpty())
        return problem(SessionField::Policy, ruleProblem);
    return {};
}

QJsonObject SessionDefinition::toJson() const
{
    QJsonArray optionArray;
    for (const VoteOption &option : options) {
        optionArray.append(
            QJsonObject{{u"key"_s, option.key}, {u"label"_s, option.label}, {u"colour"_s, option.colour}});
    }
    QJsonObject json{{u"title"_s, title},
                     {u"question"_s, question},
                     {u"options"_s, optionArray},
                     {u"window_seconds"_s, static_cast<double>(windowMs) / 1000.0},
                     {u"late_tolerance_ms"_s, lateToleranceMs},
                     {u"policy"_s, policyText()},
                     {u"option_cap"_s, optionCap},
                     {u"visibility"_s, resultsVisibilityName(visibility)},
                     {u"auto_publish"_s, autoPublish},
                     {u"voter_id"_s, audienceVoterId},
                     {u"rehearsal"_s, rehearsal}};
    if (!exportFolder.isEmpty())
        json.insert(u"export_folder"_s, exportFolder);
    if (id != 0)
        json.insert(u"id"_s, id);
    if (voterToken != VoterTokenMode::None) {
        json.insert(u"voter_token"_s, voterTokenModeName(voterToken));
        json.insert(u"voter_token_secret"_s, voterTokenSecret);
    }
    return json;
}

bool SessionDefinition::fromJson(const QJsonObject &json, SessionDefinition *out, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    SessionDefinition def;
    if (json.contains(u"id"_s)) {
        if (!json.value(u"id"_s).isDouble())
            return fail(u"id must be a number"_s);
        def.id = json.value(u"id"_s).toInteger();
    }
    const QJsonValue title = json.value(u"title"_s);
    if (!title.isString())
        return fail(u"title is missing or not a string"_s);
    def.title = title.toString().trimmed();
    const QJsonValue question = json.value(u"question"_s);
    if (!question.isUndefined() && !question.isString())
        return fail(u"question must be a string"_s);
    def.question = question.toString().trimmed();

    const QJsonValue options = json.value(u"options"_s);
    if (!options.isArray())
        return fail(u"options is missing or not an array"_s);
    const QJsonArray optionArray = options.toArray();
    for (qsizetype i = 0; i < optionArray.size(); ++i) {
        const QString where = u"option %1"_s.arg(i + 1);
        if (!optionArray[i].isObject())
            return fail(where % u" is not an object"_s);
        const QJsonObject o = optionArray[i].toObject();
        if (!o.value(u"key"_s).isString())
            return fail(where % u": key is missing or not a string"_s);
        VoteOption option;
        option.key = o.value(u"key"_s).toString();
        option.label = o.contains(u"label"_s) ? o.value(u"label"_s).toString().trimmed() : option.key;
        // Accept the American spelling too: show automation is written by many hands.
        const QJsonValue colour = o.contains(u"colour"_s) ? o.value(u"colour"_s) : o.value(u"color"_s);
        option.colour = colour.isString() ? colour.toString().toLower() : defaultColour(int(i));
        def.options.append(option);
    }

    const QJsonValue window = json.value(u"window_seconds"_s);
    if (!window.isUndefined()) {
        if (!window.isDouble())
            return fail(u"window_seconds must be a number"_s);
        def.windowMs = roundedMs(window.toDouble() * 1000.0);
    }
    const QJsonValue late = json.value(u"late_tolerance_ms"_s);
    if (!late.isUndefined()) {
        if (!late.isDouble())
            return fail(u"late_tolerance_ms must be a number"_s);
        def.lateToleranceMs = roundedMs(late.toDouble());
    }
    const QJsonValue policy = json.value(u"policy"_s);
    if (!policy.isUndefined()) {
        CountingRule rule;
        QString problem;
        if (!policy.isString() || !CountingRule::parsePolicy(policy.toString(), &rule, &problem))
            return fail(problem.isEmpty() ? u"policy must be a string"_s : problem);
        def.policy = rule.policy;
        def.voteCap = rule.voteCap;
    }
    const QJsonValue optionCap = json.value(u"option_cap"_s);
    if (!optionCap.isUndefined()) {
        const double cap = optionCap.toDouble(-1);
        if (!optionCap.isDouble() || cap != std::floor(cap) || cap < 0 || cap > CountingRule::MaxOptionCap)
            return fail(
                u"option_cap must be a whole number from 0 (none) to %1"_s.arg(CountingRule::MaxOptionCap));
        def.optionCap = int(cap);
    }
    const QJsonValue visibility = json.value(u"visibility"_s);
    if (!visibility.isUndefined()) {
        if (!visibility.isString() || !parseResultsVisibility(visibility.toString(), &def.visibility))
            return fail(u"visibility must be one of live, after_close, on_publish"_s);
    }
    const QJsonValue autoPublish = json.value(u"auto_publish"_s);
    if (autoPublish.isUndefined())
        def.autoPublish = def.visibility != ResultsVisibility::OnPublish;
    else if (!autoPublish.isBool())
        return fail(u"auto_publish must be true or false"_s);
    else
        def.autoPublish = autoPublish.toBool();
    const QJsonValue voterId = json.value(u"voter_id"_s);
    if (!voterId.isUndefined()) {
        if (!voterId.isString())
            return fail(u"voter_id must be browser, query or code"_s);
        def.audienceVoterId = voterId.toString();
    }
    const QJsonValue voterToken = json.value(u"voter_token"_s);
    if (!voterToken.isUndefined()) {
        if (voterToken == u"hmac"_s)
            def.voterToken = VoterTokenMode::Hmac;
        else if (voterToken != u"none"_s)
            return fail(u"voter_token must be none or hmac"_s);
    }
    const QJsonValue secret = json.value(u"voter_token_secret"_s);
    if (!secret.isUndefined()) {
        if (!secret.isString())
            return fail(u"voter_token_secret must be a string"_s);
        def.voterTokenSecret = secret.toString();
    }
    const QJsonValue rehearsal = json.value(u"rehearsal"_s);
    if (!rehearsal.isUndefined() && !rehearsal.isBool())
        return fail(u"rehearsal must be true or false"_s);
    def.rehearsal = rehearsal.toBool(false);
    const QJsonValue exportFolder = json.value(u"export_folder"_s);
    if (!exportFolder.isUndefined() && !exportFolder.isNull()) {
        if (!exportFolder.isString())
            return fail(u"export_folder must be a string (an absolute path)"_s);
        def.exportFolder = exportFolder.toString().trimmed();
    }
    const QString problem = def.validate();
    if (!problem.isEmpty())
        return fail(problem);
    *out = def;
    return true;
}

SessionDefinition SessionDefinition::demo()
{
    SessionDefinition def;
    def.title = u"Demo show"_s;
    def.question = u"Which act goes through?"_s;
    const QString labels[] = {u"Act A"_s, u"Act B"_s, u"Act C"_s, u"Act D"_s};
    const QString keys[] = {u"A"_s, u"B"_s, u"C"_s, u"D"_s};
    for (int i = 0; i < 4; ++i)
        def.options.append({keys[i], labels[i], defaultColour(i)});
    def.windowMs = 300'000;
    def.policy = VotePolicy::LastWins;
    return def;
}

QString SessionDefinition::defaultColour(int index)
{
    constexpr int count = int(sizeof(kPalette) / sizeof(kPalette[0]));
    return QString::fromLatin1(kPalette[((index % count) + count) % count]);
}
