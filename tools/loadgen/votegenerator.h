#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

// What a simulated audience member sends. Valid votes and the malformed kinds the server
// must refuse, each with the answer it must give (DESIGN.md §4).
enum class VoteKind : std::uint8_t
{
    Valid = 0,
    InvalidJson,          // a body cut short: 400 invalid_json
    MissingField,         // no "option": 400 missing_field
    InvalidVoter,         // a voter id with characters outside [A-Za-z0-9._:@+-]: 400 invalid_voter
    UnknownOption,        // an option key the session does not have: 400 unknown_option
    UnsupportedMediaType, // text/plain: 415 unsupported_media_type
};
constexpr int kVoteKindCount = 6;

QString voteKindName(VoteKind kind); // "valid", "invalid_json", ...
bool parseVoteKind(const QString &name, VoteKind *kind);
int expectedStatus(VoteKind kind);           // 202 for Valid
QByteArray expectedErrorCode(VoteKind kind); // empty for Valid

// One vote the generator planned. voterIndex numbers the voter within its namespace: valid
// votes use <prefix><index>, malformed ones <prefix>i<index> (so a malformed vote that ends
// up stored is recognisable as one).
struct PlannedVote
{
    std::uint32_t voterIndex = 0;
    std::int16_t optionIndex = -1; // into the generator's options; -1 when the kind has none
    VoteKind kind = VoteKind::Valid;
};

// Decides, vote by vote, who votes for what: voters (new or returning), options by a target
// distribution, malformed votes by kind. Deterministic for a given seed. Qt Core only: the
// console's rehearsal mode drives the same generator.
class VoteGenerator final
{
public:
    struct Config
    {
        QByteArray voterPrefix;      // unique per run, so the run's votes can be told apart
        QStringList optionKeys;      // the session's keys the votes are spread over
        QList<double> optionWeights; // same length; need not sum to anything in particular
        qint64 voters = 0;           // distinct voter ids; 0 = a new voter for every vote
        double repeatRatio = 0;      // share of votes cast by a voter who voted before
        std::array<double, kVoteKindCount> invalidRatio{}; // share of votes of each malformed kind
        quint64 seed = 1;
        QByteArray unknownOptionKey; // for UnknownOption: a key the session does not have
    };

    explicit VoteGenerator(Config config);

    PlannedVote next();

    // The request's body and Content-Type for a planned vote.
    void body(const PlannedVote &vote, QByteArray &out) const;
    QByteArray contentType(const PlannedVote &vote) const;
    QByteArray voterId(const PlannedVote &vote) const;
    QByteArray validVoterId(std::uint32_t index) const; // <prefix><index>
    const Config &config() const { return m_config; }
    qint64 votersUsed() const { return m_nextVoter; }

    // --options "A:40,B:30,C:20,D:10" (or "A,B,C": equal weights). Keys as the session
    // spells them; weights non-negative with a positive sum.
    static bool parseOptionWeights(const QString &spec, QStringList *keys, QList<double> *weights,
                                   QString *error);
    // --invalid-ratio "0.05" (spread evenly over the malformed kinds) or
    // "unknown_option:0.02,invalid_json:0.01". The total must stay below 1.
    static bool parseInvalidRatio(const QString &spec, std::array<double, kVoteKindCount> *ratios,
                                  QString *error);
    // A voter id of this run: true and the index for <prefix><digits>.
    static bool parseValidVoter(QByteArrayView voter, QByteArrayView prefix, std::uint32_t *index);

private:
    double uniform(); // [0, 1)
    void appendVoterId(const PlannedVote &vote, QByteArray &out) const;

    Config m_config;
    QList<QByteArray> m_optionKeysUtf8;
    std::vector<double> m_cumulativeWeights;
    std::array<double, kVoteKindCount> m_cumulativeInvalid{};
    double m_invalidTotal = 0;
    quint64 m_state;
    std::uint32_t m_nextVoter = 0;
    std::uint32_t m_nextInvalidVoter = 0;
};
