#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

// How ballots of the same voter count in the exact tally (the raw tally counts every vote).
enum class VotePolicy
{
    LastWins = 1, // one ballot per voter, the latest counts (default)
    FirstWins,    // one ballot per voter, the first counts
    Unlimited,    // every vote counts (e.g. paid votes)
    Capped        // each voter's first N counted votes count ("capped:20", as song contests allow)
};

QString votePolicyName(VotePolicy policy); // "capped" for Capped: its N is CountingRule's
// Accepts "last_wins", "first_wins", "unlimited"; returns false for anything else (a capped
// policy needs its N: CountingRule::parsePolicy).
bool parseVotePolicy(const QString &name, VotePolicy *policy);

// The whole counting rule of a session: the policy with its parameters. What the ledgers,
// the recount and a policy replay are given; compared as a value.
struct CountingRule
{
    static constexpr int MaxVoteCap = 1000;
    static constexpr int MaxOptionCap = 1000;

    VotePolicy policy = VotePolicy::LastWins;
    int voteCap = 0;   // capped:N's N (1..1000); 0 for every other policy
    int optionCap = 0; // most votes of one voter that count for one option; 0 = no cap.
                       // Only with unlimited and capped (the others count one ballot anyway).

    CountingRule() = default;
    // Implicit on purpose: a bare policy is a rule without caps, which is what every policy
    // but capped is. A capped rule needs its N.
    CountingRule(VotePolicy votePolicy, int votesPerVoter = 0, int votesPerOption = 0)
        : policy(votePolicy)
        , voteCap(votesPerVoter)
        , optionCap(votesPerOption)
    {}

    // "last_wins", "capped:20": what the API, the store and every export print.
    QString policyName() const;
    // For people: "capped:20, at most 5 per option".
    QString describe() const;
    // Empty when valid, else a message naming the problem.
    QString validate() const;
    // The option cap that can actually stop a vote: none when it is at or above capped:N's N.
    int effectiveOptionCap() const;

    // Parses "last_wins", "first_wins", "unlimited" or "capped:N" into policy and voteCap
    // (optionCap is left as it is). On failure returns false with a message for the client.
    static bool parsePolicy(const QString &text, CountingRule *rule, QString *error = nullptr);

    friend bool operator==(const CountingRule &, const CountingRule &) = default;
};

// Who may see a session's results through the public endpoints and the graphics feeds.
enum class ResultsVisibility
{
    Live = 1,   // from the start: the published picture follows the tally
    AfterClose, // once the lines are closed and drained
    OnPublish   // only what the operator publishes (default: nothing leaves the building before)
};

QString resultsVisibilityName(ResultsVisibility visibility); // "live", "after_close", "on_publish"
bool parseResultsVisibility(const QString &name, ResultsVisibility *visibility);

// Whether votes must carry a voter token (access/votertoken.h): the show's app signs each
// voter id with the session's secret, and unsigned or wrongly signed votes get 401.
enum class VoterTokenMode
{
    None = 1, // any well-formed voter id is taken (default)
    Hmac      // X-Voter-Token: HMAC-SHA-256(secret, voter id)
};

QString voterTokenModeName(VoterTokenMode mode); // "none", "hmac"

// Which part of a definition a validation problem is about, so an editor can point at it.
enum class SessionField
{
    Title = 1,
    Question,
    Options, // the number of options
    OptionKey,
    OptionLabel,
    OptionColour,
    WindowLength,
    LateTolerance,
    Policy, // the counting rule: policy, vote cap, option cap
    VoterId,
    ExportFolder,
    VoterToken
};

// The first problem of a definition: the field, the option it is in (0-based, -1 when the
// problem is not about one option) and the message for people.
struct SessionProblem
{
    SessionField field = SessionField::Title;
    int option = -1;
    QString message; // empty: no problem

    bool isEmpty() const { return message.isEmpty(); }
};

struct VoteOption
{
    QString key;    // what clients send: 1-16 chars of [A-Za-z0-9_-]
    QString label;  // what the audience and the graphics see
    QString colour; // #rrggbb
};

// A vote as the operator set it up. Plain value type; copies cross threads freely.
struct SessionDefinition
{
    static constexpr int MinOptions = 2;
    static constexpr int MaxOptions = 64;

    qint64 id = 0; // assigned by the engine; 0 = not stored yet
    QString title;
    QString question;
    QList<VoteOption> options;
    qint64 windowMs = 120'000;
    qint64 lateToleranceMs = 0; // votes received this long after the close instant still count
    VotePolicy policy = VotePolicy::LastWins;
    int voteCap = 0;   // capped:N's N; see CountingRule
    int optionCap = 0; // most votes of one voter counted for one option, 0 = none
    ResultsVisibility visibility = ResultsVisibility::OnPublish;
    // Publish by itself (every second while the tally changes) once the visibility allows it:
    // live from the start, after_close once closed, on_publish after the operator's first
    // publish. Defaults to on for live and after_close, off for on_publish. Persisted with
    // the session; the operator may toggle it.
    bool autoPublish = false;
    // How the audience page identifies a voter: "browser" (an id kept in the phone's browser),
    // "query" (the show's link carries ?voter=...), or "code" (the voter types a code the show
    // handed out). Only the built-in page reads it; apps send their own ids.
    QString audienceVoterId = QStringLiteral("browser");
    VoterTokenMode voterToken = VoterTokenMode::None;
    // With Hmac: the secret as unpadded base64url of 16-64 random bytes, kept with the session
    // (the store) and shown to the operator and the admin API, never to the public endpoints.
    // Empty in a new definition means "generate one" (the engine does, when it stores it).
    QString voterTokenSecret;
    // A rehearsal: the console can feed it simulated audience traffic, and everything it shows
    // and exports (banner, published picture, feeds, report) is marked REHEARSAL. A live
    // session refuses simulated traffic. Fixed when the session is created.
    bool rehearsal = false;
    // Where this session's feeds and final files go; empty = the console's export folder
    // setting. Absolute when set.
    QString exportFolder;

    CountingRule rule() const { return CountingRule(policy, voteCap, optionCap); }
    QString policyText() const { return rule().policyName(); } // "capped:20"

    // -1 when the key is not an option. Linear: sessions have at most 64 options and the
    // keys are short, which beats hashing at this size.
    int indexOf(QByteArrayView key) const;
    int indexOf(const QString &key) const;

    // Empty when valid, else a message naming the problem ("option 3: duplicate key \"B\"").
    QString validate() const { return check().message; }
    // The same check with the field it is about: the one rule set for the API, the store and
    // the console's editor.
    SessionProblem check() const;

    // JSON form used by the admin API and the store (snake_case keys):
    // {"id":1,"title":…,"question":…,"options":[{"key":…,"label":…,"colour":…}],
    //  "window_seconds":120,"late_tolerance_ms":0,"policy":"last_wins"|"capped:20",
    //  "option_cap":0,"visibility":"on_publish","auto_publish":false,"voter_id":"browser",
    //  "rehearsal":false,"export_folder":"/srv/graphics"} (export_folder only when set)
    // plus "voter_token":"hmac","voter_token_secret":"…" for a session with voter tokens.
    QJsonObject toJson() const;
    // Parses and validates; on failure returns false and sets *error to a message that
    // names the field. Missing colours get defaults from a broadcast-safe palette.
    static bool fromJson(const QJsonObject &json, SessionDefinition *out, QString *error);

    // The session a fresh install starts with: "Which act goes through?", options A-D.
    static SessionDefinition demo();

    static QString defaultColour(int index);
};
