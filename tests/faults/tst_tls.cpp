// The HTTPS listener (engine/tlsterminator.h) against a running Engine, with a self-signed
// certificate made by the openssl command for this run (no private key is committed). The
// client verifies the certificate (it trusts exactly that one), votes over TLS, and the server
// sees the client's own address (X-Forwarded-For from the terminator), not the terminator's.
//
// Distinct client addresses on loopback: the test binds its TLS sockets to 127.0.0.2 and
// 127.0.0.3 (all of 127/8 is loopback on Linux), so traffic never leaves the machine.
#include <memory>

#include <QProcess>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#include "../integration/httpclient.h"
#include "engine/engine.h"

using namespace Qt::Literals::StringLiterals;

class TestTls final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Engine> startEngine(const AccessOptions &access, QString *error = nullptr)
    {
        Engine::Options options;
        options.databasePath = m_dir->filePath(u"votedesk.db"_s);
        options.port = 0;
        options.workersMax = 2;
        options.access = access;
        options.tls.enabled = true;
        options.tls.port = 0;
        options.tls.certificatePath = m_dir->filePath(u"test-only-cert.pem"_s);
        options.tls.keyPath = m_dir->filePath(u"test-only-key.pem"_s);
        auto engine = std::make_unique<Engine>(options);
        QString problem;
        if (!engine->start(&problem)) {
            if (error)
                *error = problem;
            return nullptr;
        }
        return engine;
    }

    // One request over TLS from `from`, answered and closed (the request says Connection: close).
    QByteArray exchange(quint16 port, const QString &from, const QByteArray &request)
    {
        QSslSocket socket;
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(QSslCertificate::fromPath(m_dir->filePath(u"test-only-cert.pem"_s)));
        tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
        socket.setSslConfiguration(tls);
        if (!socket.bind(QHostAddress(from), 0))
            return "bind failed: " + socket.errorString().toLatin1();
        socket.connectToHostEncrypted(u"127.0.0.1"_s, port);
        if (!socket.waitForEncrypted(10'000))
            return "no handshake: " + socket.errorString().toLatin1();
        socket.write(request);
        QByteArray answer;
        while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10'000))
            answer += socket.readAll();
        return answer + socket.readAll();
    }

    static QByteArray vote(const QByteArray &voter, const QByteArray &extraHeaders = {})
    {
        const QByteArray body = "{\"voter\":\"" + voter + "\",\"option\":\"A\"}";
        return "POST /v1/votes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
               extraHeaders + "Content-Length: " + QByteArray::number(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body;
    }

    std::unique_ptr<QTemporaryDir> m_dir;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        QVERIFY(QSslSocket::supportsSsl());
        // A throwaway key for this run only.
        QProcess openssl;
        openssl.start(u"openssl"_s,
                      {u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s,
                       u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s, u"-days"_s, u"1"_s, u"-subj"_s,
                       u"/CN=votedesk test"_s, u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s, u"-keyout"_s,
                       m_dir->filePath(u"test-only-key.pem"_s), u"-out"_s,
                       m_dir->filePath(u"test-only-cert.pem"_s)});
        QVERIFY(openssl.waitForFinished(30'000));
        QVERIFY2(openssl.exitCode() == 0, openssl.readAllStandardError().constData());
    }

    void votesOverHttpsCarryTheClientsAddress()
    {
        AccessOptions access;
        access.clientRate = RateLimiter::Config{0.001, 1}; // one vote per client address
        auto engine = startEngine(access);
        QVERIFY(engine);
        QVERIFY(engine->tlsPort() != 0);
        HttpClient plain(engine->port());
        QCOMPARE(plain.admin(u"open"_s).status, 200);
        QCOMPARE(plain.vote(u"p1"_s, u"A"_s).status, 202); // 127.0.0.1's one vote

        // The terminator's own connection comes from 127.0.0.1 too: if the server counted it
        // as the client, this vote would be 429.
        const QByteArray first = exchange(engine->tlsPort(), u"127.0.0.2"_s, vote("t1"));
        QVERIFY2(first.startsWith("HTTP/1.1 202 "), first.constData());
        QVERIFY(first.contains("\"receipt\":\""));
        const QByteArray second = exchange(engine->tlsPort(), u"127.0.0.2"_s, vote("t2"));
        QVERIFY2(second.startsWith("HTTP/1.1 429 "), second.constData());
        QVERIFY(second.contains("\"error\":\"rate_limited\""));
        QVERIFY(second.contains("Retry-After: "));
        // A client's own X-Forwarded-For is dropped by the terminator, not believed.
        const QByteArray spoofed =
            exchange(engine->tlsPort(), u"127.0.0.3"_s, vote("t3", "X-Forwarded-For: 127.0.0.2\r\n"));
        QVERIFY2(spoofed.startsWith("HTTP/1.1 202 "), spoofed.constData());
        QCOMPARE(engine->tally()->accepted, 3);

        // Public reads work over HTTPS as well.
        const QByteArray session =
            exchange(engine->tlsPort(), u"127.0.0.4"_s,
                     "GET /v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        QVERIFY2(session.startsWith("HTTP/1.1 200 "), session.constData());
        QVERIFY(session.contains("\"state\":\"open\""));
    }

    void badRequestsOverHttpsGetTheServersAnswer()
    {
        auto engine = startEngine({});
        QVERIFY(engine);
        const QByteArray garbage = exchange(engine->tlsPort(), u"127.0.0.2"_s, "NOT HTTP AT ALL\r\n\r\n");
        QVERIFY2(garbage.startsWith("HTTP/1.1 400 "), garbage.constData());
        QVERIFY(garbage.contains("Connection: close"));
        // A canary from afar is refused: the terminator drops the flag and the id is reserved.
        const QByteArray canary =
            exchange(engine->tlsPort(), u"127.0.0.2"_s, vote("canary.1", "X-Votedesk-Canary: 1\r\n"));
        QVERIFY2(canary.startsWith("HTTP/1.1 400 "), canary.constData());
        QVERIFY(canary.contains("\"error\":\"invalid_voter\""));
    }

    void refusesToStartWithoutAUsableCertificate()
    {
        QFile::remove(m_dir->filePath(u"test-only-key.pem"_s));
        QString error;
        QVERIFY(!startEngine({}, &error));
        QVERIFY2(error.contains(u"test-only-key.pem"_s), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
