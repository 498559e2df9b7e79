#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

// The admin token: a shared secret that opens the admin API from any address
// ("Authorization: Bearer <token>"; without one the API answers loopback only). It comes from
// a file only its owner may read, or from the environment, never from the command line (where
// `ps` shows it) nor from the settings file in plain text: the console's Settings keep the
// file's path. The server, the console's Settings dialog and votedesk-loadgen all read it
// here, so a file one of them accepts the others accept too. Qt Core only: the loadgen links it.
namespace AdminToken {

constexpr qsizetype kMinLength = 16;
// A token file is a line of text; anything longer is the wrong file (and not read whole).
constexpr qsizetype kMaxFileBytes = 4096;
constexpr char kEnvironmentVariable[] = "VOTEDESK_ADMIN_TOKEN";

// Empty when the token is usable (at least kMinLength printable ASCII characters, no spaces);
// else what is wrong with it.
QString checkToken(QByteArrayView token);

// Reads and checks a token file: it must exist, be a regular file, be readable, not be
// readable by group or others, and hold a usable token (surrounding white space is ignored).
// On failure false and a message that names the file and the problem.
bool readFile(const QString &path, QByteArray *token, QString *error);

// The token from a file when a path is given, else the environment's value. True with an
// empty token when neither gives one (the admin API stays loopback only).
bool read(const QString &path, const QString &environment, QByteArray *token, QString *error);

// 32 bytes from the system's CSPRNG as 64 lower-case hex digits.
QByteArray generate();

// Writes a newly generated token (and a newline) to `path`, replacing the file atomically;
// the file is readable and writable by its owner only (0600) before the token is written, so
// it is never readable by anyone else, not even for a moment. The token in *token.
bool writeNewFile(const QString &path, QByteArray *token, QString *error);

} // namespace AdminToken
