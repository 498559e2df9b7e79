#pragma once

#include <array>
#include <cstdint>

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>

// Voter tokens (a session option): the show's app proves that a voter id is one it handed
// out by sending, with the vote, HMAC-SHA-256(key = the session's secret, message = the voter
// id's bytes exactly as in the vote), in the header
//
//     X-Voter-Token: <64 hex digits, either case> | <43 characters of unpadded base64url>
//
// The secret is 16 to 64 random bytes, kept with the session and shown to the operator and
// the admin API as unpadded base64url ("voter_token_secret"). A vote without the header, with
// one that does not decode, or with a wrong one is refused 401 invalid_token.
//
// Cost (the per-vote path, on the I/O thread): two SHA-256 runs over 64 + 64 bytes and 64 +
// 32 bytes (four compression blocks) with OpenSSL's block functions and the state on the
// stack, so nothing is allocated per vote; the padded key blocks are built on the stack from
// the secret (no hashing: a key of at most 64 bytes is used as is, RFC 2104). About 0.8 us per
// vote (bench/accessbench.cpp); only sessions with voter tokens pay for it.
namespace VoterToken {

constexpr qsizetype kMinSecretBytes = 16;
constexpr qsizetype kMaxSecretBytes = 64; // one SHA-256 block: used as is, never hashed
constexpr char kHeader[] = "x-voter-token";

using Mac = std::array<std::uint8_t, 32>;

// 32 random bytes from the system's CSPRNG, as unpadded base64url.
QByteArray newSecret();
// A decoded secret, on the stack: decoding it per vote allocates nothing.
struct Key
{
    std::array<char, kMaxSecretBytes> bytes{};
    qsizetype size = 0;
    QByteArrayView view() const { return QByteArrayView(bytes.data(), size); }
};
// False when the text is not unpadded base64url of 16-64 bytes.
bool decodeSecret(QStringView base64url, Key *key);

// HMAC-SHA-256(secretBytes, voter). secretBytes must be at most kMaxSecretBytes long.
Mac sign(QByteArrayView secretBytes, QByteArrayView voter);
// What an app sends: lower-case hex.
QByteArray signHex(QByteArrayView secretBytes, QByteArrayView voter);

enum class Check
{
    Valid = 1,
    Missing,   // no X-Voter-Token header
    Malformed, // not 64 hex digits or 43 base64url characters
    Mismatch   // well-formed, wrong
};
// Compares in constant time (constantTimeEquals on the 32 bytes).
Check verify(QByteArrayView secretBytes, QByteArrayView voter, QByteArrayView presented);

} // namespace VoterToken
