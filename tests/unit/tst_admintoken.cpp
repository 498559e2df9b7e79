// The admin token's file rules, shared by the server, the console's Settings and the
// loadgen: a missing, unreadable-by-rule, empty or unusable file is refused with a message
// naming the file; a generated token is 256 random bits in a file only its owner can read.
#include <sys/stat.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include "access/admintoken.h"

using namespace Qt::Literals::StringLiterals;

class TestAdminToken final : public QObject
{
    Q_OBJECT

private:
    QString writeFile(const QString &name, const QByteArray &content, QFileDevice::Permissions permissions)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) != content.size())
            return {};
        file.close();
        if (!QFile::setPermissions(path, permissions))
            return {};
        return path;
    }

    static constexpr QFileDevice::Permissions kOwnerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void readsAnOwnerOnlyFile()
    {
        const QString path = writeFile(u"good"_s, "  s3cret-token-0123456789\n", kOwnerOnly);
        QVERIFY(!path.isEmpty());
        QByteArray token;
        QString error;
        QVERIFY2(AdminToken::readFile(path, &token, &error), qPrintable(error));
        QCOMPARE(token, QByteArray("s3cret-token-0123456789"));
    }

    void refusesWithTheFileAndTheProblem_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<int>("permissions"); // -1: do not create
        QTest::addColumn<QString>("problem");
        const int ownerOnly = int(kOwnerOnly.toInt());
        QTest::newRow("missing") << u"missing"_s << QByteArray() << -1 << u"does not exist"_s;
        QTest::newRow("group readable")
            << u"group"_s << QByteArray("s3cret-token-0123456789")
            << int((kOwnerOnly | QFileDevice::ReadGroup).toInt()) << u"readable by others"_s;
        QTest::newRow("world readable")
            << u"world"_s << QByteArray("s3cret-token-0123456789")
            << int((kOwnerOnly | QFileDevice::ReadOther).toInt()) << u"readable by others"_s;
        QTest::newRow("empty") << u"empty"_s << QByteArray() << ownerOnly << u"is empty"_s;
        QTest::newRow("white space only") << u"blank"_s << QByteArray(" \n\n") << ownerOnly << u"is empty"_s;
        QTest::newRow("too short") << u"short"_s << QByteArray("abc\n") << ownerOnly << u"at least 16"_s;
        QTest::newRow("inner space") << u"space"_s << QByteArray("s3cret token 0123456789") << ownerOnly
                                     << u"printable ASCII"_s;
        QTest::newRow("huge") << u"huge"_s << QByteArray(AdminToken::kMaxFileBytes + 1, 'x') << ownerOnly
                              << u"longer than"_s;
    }

    void refusesWithTheFileAndTheProblem()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        QFETCH(int, permissions);
        QFETCH(QString, problem);
        const QString path =
            permissions < 0
                ? m_dir.filePath(name)
                : writeFile(name, content,
                            QFileDevice::Permissions::fromInt(QFileDevice::Permissions::Int(permissions)));
        QVERIFY(!path.isEmpty());
        QByteArray token = "untouched";
        QString error;
        QVERIFY(!AdminToken::readFile(path, &token, &error));
        QVERIFY2(error.contains(path), qPrintable(error));
        QVERIFY2(error.contains(problem), qPrintable(error));
        QCOMPARE(token, QByteArray("untouched"));
    }

    void aDirectoryOrAFifoIsNotATokenFile()
    {
        QByteArray token;
        QString error;
        QVERIFY(!AdminToken::readFile(m_dir.path(), &token, &error));
        QVERIFY2(error.contains(u"not a regular file"_s), qPrintable(error));
        // Reading a FIFO would block the Settings dialog as the operator types.
        const QString fifo = m_dir.filePath(u"fifo"_s);
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QVERIFY(!AdminToken::readFile(fifo, &token, &error));
        QVERIFY2(error.contains(u"not a regular file"_s), qPrintable(error));
    }

    void theFileWinsOverTheEnvironment()
    {
        const QString path = writeFile(u"file"_s, "from-the-file-0123456789", kOwnerOnly);
        QByteArray token;
        QString error;
        QVERIFY(AdminToken::read(path, u"from-the-environment-0123"_s, &token, &error));
        QCOMPARE(token, QByteArray("from-the-file-0123456789"));
        token.clear();
        QVERIFY(AdminToken::read({}, u" from-the-environment-0123 "_s, &token, &error));
        QCOMPARE(token, QByteArray("from-the-environment-0123"));
        token.clear();
        QVERIFY(AdminToken::read({}, {}, &token, &error)); // neither: loopback only
        QVERIFY(token.isEmpty());
        QVERIFY(!AdminToken::read({}, u"short"_s, &token, &error));
        QVERIFY2(error.contains(u"VOTEDESK_ADMIN_TOKEN"_s), qPrintable(error));
    }

    void generatedTokensAreRandomHex()
    {
        const QByteArray a = AdminToken::generate();
        const QByteArray b = AdminToken::generate();
        QCOMPARE(a.size(), 64); // 32 bytes
        QVERIFY(a != b);
        QCOMPARE(QByteArray::fromHex(a).toHex(), a);
        QVERIFY(AdminToken::checkToken(a).isEmpty());
    }

    void writesANewFileOnlyItsOwnerCanRead()
    {
        // Over an existing world-readable file: the new one must not inherit its mode.
        const QString path = writeFile(u"new.token"_s, "old", QFileDevice::Permissions::fromInt(0x6644));
        QVERIFY(!path.isEmpty());
        QByteArray token;
        QString error;
        QVERIFY2(AdminToken::writeNewFile(path, &token, &error), qPrintable(error));
        QCOMPARE(token.size(), 64);
        struct stat st
        {};
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0600));
        QByteArray read;
        QVERIFY2(AdminToken::readFile(path, &read, &error), qPrintable(error));
        QCOMPARE(read, token);

        const QString fresh = m_dir.filePath(u"fresh.token"_s);
        QVERIFY2(AdminToken::writeNewFile(fresh, &token, &error), qPrintable(error));
        QCOMPARE(::stat(QFile::encodeName(fresh).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0600));

        QVERIFY(!AdminToken::writeNewFile(m_dir.filePath(u"no/such/folder/t"_s), &token, &error));
        QVERIFY2(error.contains(u"no/such/folder"_s), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestAdminToken)
#include "tst_admintoken.moc"
