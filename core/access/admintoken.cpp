#include "access/admintoken.h"

#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

using namespace Qt::Literals::StringLiterals;

namespace AdminToken {

QString checkToken(QByteArrayView token)
{
    if (token.size() < kMinLength)
        return u"the admin token must be at least %1 characters"_s.arg(kMinLength);
    for (char c : token) {
        if (c <= ' ' || c > '~')
            return u"the admin token must be printable ASCII without spaces"_s;
    }
    return {};
}

bool readFile(const QString &path, QByteArray *token, QString *error)
{
    const auto fail = [&](const QString &problem) {
        *error = u"the admin token file %1 %2"_s.arg(path, problem);
        return false;
    };
    const QFileInfo info(path);
    if (!info.exists())
        return fail(u"does not exist"_s);
    // Not a regular file: a directory has no token, and a FIFO or device would block or never
    // end (the Settings dialog reads the file as the operator types).
    if (!info.isFile())
        return fail(u"is not a regular file"_s);
    // Like ssh with its keys: a secret that others can read is no secret.
    if (info.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther))
        return fail(u"is readable by others; chmod 600 it"_s);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(u"cannot be read: %1"_s.arg(file.errorString()));
    const QByteArray content = file.read(kMaxFileBytes + 1);
    if (content.size() > kMaxFileBytes)
        return fail(u"is longer than %1 bytes: not a token file"_s.arg(kMaxFileBytes));
    const QByteArray value = content.trimmed();
    if (value.isEmpty())
        return fail(u"is empty"_s);
    if (const QString problem = checkToken(value); !problem.isEmpty())
        return fail(u"is not usable: "_s + problem);
    *token = value;
    return true;
}

bool read(const QString &path, const QString &environment, QByteArray *token, QString *error)
{
    if (!path.isEmpty())
        return readFile(path, token, error);
    const QByteArray value = environment.toUtf8().trimmed();
    if (value.isEmpty())
        return true; // no token: loopback only
    if (const QString problem = checkToken(value); !problem.isEmpty()) {
        *error = u"%1: %2"_s.arg(QLatin1StringView(kEnvironmentVariable), problem);
        return false;
    }
    *token = value;
    return true;
}

QByteArray generate()
{
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof(words)).toHex();
}

bool writeNewFile(const QString &path, QByteArray *token, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    // QSaveFile creates a new file's temporary with 0666 less the umask: narrow it before the
    // secret is in it. The rename keeps the mode.
    if (!file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        *error = u"cannot make %1 readable by its owner only: %2"_s.arg(path, file.errorString());
        file.cancelWriting();
        return false;
    }
    const QByteArray value = generate();
    file.write(value + '\n');
    if (!file.commit()) {
        *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    // What the server will check at its next start, checked now (a file system that ignores
    // modes, such as FAT, shows here rather than on the night).
    QByteArray written;
    if (!readFile(path, &written, error))
        return false;
    if (written != value) {
        *error = u"the admin token file %1 does not hold the token just written"_s.arg(path);
        return false;
    }
    *token = value;
    return true;
}

} // namespace AdminToken
