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
    Unlimited     // every vote counts (e.g. paid votes)
};

QString votePolicyName(VotePolicy policy);
// Accepts "last_wins", "first_wins", "unlimited"; returns false for anything else.
bool parseVotePolicy(const QString &name, VotePolicy *policy);

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

    // -1 when the key is not an option. Linear: sessions have at most 64 options and the
    // keys are short, which beats hashing at this size.
    int indexOf(QByteArrayView key) const;
    int indexOf(const QString &key) const;

    // Empty when valid, else a message naming the problem ("option 3: duplicate key \"B\"").
    QString validate() const;

    // JSON form used by the admin API and the store (snake_case keys):
    // {"id":1,"title":…,"question":…,"options":[{"key":…,"label":…,"colour":…}],
    //  "window_seconds":120,"late_tolerance_ms":0,"policy":"last_wins"}
    QJsonObject toJson() const;
    // Parses and validates; on failure returns false and sets *error to a message that
    // names the field. Missing colours get defaults from a broadcast-safe palette.
    static bool fromJson(const QJsonObject &json, SessionDefinition *out, QString *error);

    // The session a fresh install starts with: "Which act goes through?", options A-D.
    static SessionDefinition demo();

    static QString defaultColour(int index);
};
