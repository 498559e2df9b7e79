#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QXmlStreamReader>

#include "export/casparcgclient.h"
#include "exporttestsupport.h"

using namespace Qt::Literals::StringLiterals;
using State = CasparCgClient::State;

namespace {
constexpr int kWaitMs = 20'000; // a bound for a stuck test, not a timing expectation

// A stand-in for CasparCG's AMCP port on loopback: records every line each connection sends
// and answers each with the next scripted reply (default "202 CG OK").
class FakeCaspar final : public QObject
{
public:
    FakeCaspar()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                const int index = int(m_lines.size());
                m_lines.append(QList<QByteArray>());
                m_sockets.append(socket);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket, index] { read(socket, index); });
            }
        });
    }

    bool listen(quint16 port = 0) { return m_server.listen(QHostAddress::LocalHost, port); }
    void close() { m_server.close(); }
    quint16 port() const { return m_server.serverPort(); }

    qsizetype connections() const { return m_lines.size(); }
    const QList<QByteArray> &lines(qsizetype connection) const { return m_lines[connection]; }
    qsizetype totalLines() const
    {
        qsizetype n = 0;
        for (const QList<QByteArray> &lines : m_lines)
            n += lines.size();
        return n;
    }
    void script(const QByteArray &reply) { m_replies.append(reply); }
    void dropAll()
    {
        for (QTcpSocket *socket : std::as_const(m_sockets))
            socket->disconnectFromHost();
    }

private:
    void read(QTcpSocket *socket, int index)
    {
        m_buffers[index] += socket->readAll();
        qsizetype end;
        while ((end = m_buffers[index].indexOf("\r\n")) >= 0) {
            m_lines[index].append(m_buffers[index].left(end));
            m_buffers[index].remove(0, end + 2);
            socket->write(m_replies.isEmpty() ? QByteArray("202 CG OK\r\n") : m_replies.takeFirst());
        }
    }

    QTcpServer m_server;
    QList<QList<QByteArray>> m_lines;
    QList<QTcpSocket *> m_sockets;
    QHash<int, QByteArray> m_buffers;
    QList<QByteArray> m_replies;
};

// CasparCG's AMCP tokenizer (protocol/util/tokenize.cpp): split on spaces outside quotes,
// a backslash escapes the next character (\\ \" and \n for a newline).
QStringList tokenize(const QString &message)
{
    QStringList tokens;
    QString current;
    bool inQuote = false;
    bool escape = false;
    for (const QChar c : message) {
        if (escape) {
            if (c == u'\\')
                current += u'\\';
            else if (c == u'"')
                current += u'"';
            else if (c == u'n')
                current += u'\n';
            escape = false;
            continue;
        }
        if (c == u'\\') {
            escape = true;
            continue;
        }
        if (c == u' ' && !inQuote) {
            if (!current.isEmpty())
                tokens << std::exchange(current, QString());
            continue;
        }
        if (c == u'"') {
            inQuote = !inQuote;
            if (!current.isEmpty() || !inQuote)
                tokens << std::exchange(current, QString());
            continue;
        }
        current += c;
    }
    if (!current.isEmpty())
        tokens << current;
    return tokens;
}

// componentData id -> the value of its <data id="text">.
QMap<QString, QString> templateFields(const QString &xml, QString *problem)
{
    QMap<QString, QString> fields;
    QXmlStreamReader reader(xml);
    QString component;
    if (!reader.readNextStartElement() || reader.name() != u"templateData"_s) {
        *problem = u"no templateData root"_s;
        return fields;
    }
    while (!reader.atEnd()) {
        reader.readNext();
        if (!reader.isStartElement())
            continue;
        if (reader.name() == u"componentData"_s)
            component = reader.attributes().value(u"id"_s).toString();
        else if (reader.name() == u"data"_s && reader.attributes().value(u"id"_s) == u"text"_s)
            fields.insert(component, reader.attributes().value(u"value"_s).toString());
    }
    if (reader.hasError())
        *problem = reader.errorString();
    return fields;
}

PublishedResults twoActs(quint64 version, const QString &labelA = u"Act A"_s)
{
    return ExportTest::results(ExportTest::session({{u"A"_s, labelA}, {u"B"_s, u"Act B"_s}}),
                               {qint64(version) * 3, qint64(version)}, version);
}

CasparCgClient::Settings settingsFor(quint16 port)
{
    CasparCgClient::Settings settings;
    settings.host = u"127.0.0.1"_s;
    settings.port = port;
    settings.channelLayer = u"1-20"_s;
    settings.templateLayer = 1;
    settings.reconnectMinMs = 5; // fast reconnects keep the test short; nothing asserts times
    settings.reconnectMaxMs = 50;
    return settings;
}
} // namespace

class TestCasparCgClient final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void updateCommandBytes();
    void sendsEachNewPublishOnce();
    void escapingSurvivesCasparCGsTokenizerAndXmlParser();
    void resendsTheLatestAfterTheServerDrops();
    void addsTheTemplateOnFirstConnectOnly();
    void reportsRefusals();
    void connectsOnceTheServerComesUp();
    void refusesBadSettings();
};

void TestCasparCgClient::updateCommandBytes()
{
    const CasparCgClient::Settings settings = settingsFor(5250);
    const QByteArray expected =
        "CG 1-20 UPDATE 1 \"<templateData>"
        "<componentData id=\\\"question\\\"><data id=\\\"text\\\" value=\\\"Who stays?\\\"/></componentData>"
        "<componentData id=\\\"total\\\"><data id=\\\"text\\\" value=\\\"8\\\"/></componentData>"
        "<componentData id=\\\"status\\\"><data id=\\\"text\\\" value=\\\"PROVISIONAL\\\"/></componentData>"
        "<componentData id=\\\"A_label\\\"><data id=\\\"text\\\" value=\\\"Act A\\\"/></componentData>"
        "<componentData id=\\\"A_votes\\\"><data id=\\\"text\\\" value=\\\"6\\\"/></componentData>"
        "<componentData id=\\\"A_percent\\\"><data id=\\\"text\\\" value=\\\"75.0\\\"/></componentData>"
        "<componentData id=\\\"A_rank\\\"><data id=\\\"text\\\" value=\\\"1\\\"/></componentData>"
        "<componentData id=\\\"B_label\\\"><data id=\\\"text\\\" value=\\\"Act B\\\"/></componentData>"
        "<componentData id=\\\"B_votes\\\"><data id=\\\"text\\\" value=\\\"2\\\"/></componentData>"
        "<componentData id=\\\"B_percent\\\"><data id=\\\"text\\\" value=\\\"25.0\\\"/></componentData>"
        "<componentData id=\\\"B_rank\\\"><data id=\\\"text\\\" value=\\\"2\\\"/></componentData>"
        "</templateData>\"\r\n";
    QCOMPARE(CasparCgClient::updateCommand(settings, twoActs(2)), expected);

    CasparCgClient::Settings add = settings;
    add.templateName = u"votedesk/results"_s;
    QVERIFY(
        CasparCgClient::addCommand(add, twoActs(2))
            .startsWith(
                "CG 1-20 ADD 1 \"votedesk/results\" 0 \"<templateData><componentData id=\\\"question\\\">"));
    QCOMPARE(CasparCgClient::quoteParameter("a\\b\"c"), QByteArray("\"a\\\\b\\\"c\""));
}

void TestCasparCgClient::sendsEachNewPublishOnce()
{
    FakeCaspar caspar;
    QVERIFY(caspar.listen());
    CasparCgClient client;
    const CasparCgClient::Settings settings = settingsFor(caspar.port());
    client.publish(ExportTest::shared(twoActs(1))); // before the connection: sent once connected
    QVERIFY(client.start(settings));
    QTRY_COMPARE_WITH_TIMEOUT(caspar.totalLines(), 1, kWaitMs);
    QCOMPARE(caspar.lines(0).at(0) + "\r\n", CasparCgClient::updateCommand(settings, twoActs(1)));
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(1), kWaitMs);
    QCOMPARE(client.status().state, State::Connected);

    client.publish(ExportTest::shared(twoActs(1))); // the same publish: nothing sent
    client.publish(ExportTest::shared(twoActs(2)));
    QTRY_COMPARE_WITH_TIMEOUT(caspar.totalLines(), 2, kWaitMs);
    QCOMPARE(caspar.lines(0).at(1) + "\r\n", CasparCgClient::updateCommand(settings, twoActs(2)));
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(2), kWaitMs);
    QCOMPARE(caspar.connections(), 1);
    QCOMPARE(client.status().sentVersion, quint64(2));
    QVERIFY(client.status().lastError.isEmpty());
}

void TestCasparCgClient::escapingSurvivesCasparCGsTokenizerAndXmlParser()
{
    const QString nasty = u"Say \"hi\" \\ <b>&amp;</b>\r\nЗоя 王菲 🎤 'x'"_s;
    FakeCaspar caspar;
    QVERIFY(caspar.listen());
    CasparCgClient client;
    QVERIFY(client.start(settingsFor(caspar.port())));
    PublishedResults r = twoActs(1, nasty);
    r.session.question = u"Who \"wins\"?\nTonight"_s;
    client.publish(ExportTest::shared(r));
    QTRY_COMPARE_WITH_TIMEOUT(caspar.totalLines(), 1, kWaitMs);
    const QByteArray line = caspar.lines(0).at(0);
    QVERIFY(!line.contains('\n') && !line.contains('\r')); // one AMCP line

    const QStringList tokens = tokenize(QString::fromUtf8(line));
    QCOMPARE(tokens.size(), 5);
    QCOMPARE(tokens.mid(0, 4), QStringList({u"CG"_s, u"1-20"_s, u"UPDATE"_s, u"1"_s}));
    QString problem;
    const QMap<QString, QString> fields = templateFields(tokens[4], &problem);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QCOMPARE(fields[u"A_label"_s], nasty);
    QCOMPARE(fields[u"question"_s], r.session.question);
    QCOMPARE(fields[u"A_votes"_s], u"3"_s);
    QCOMPARE(fields[u"B_percent"_s], u"25.0"_s);
    QCOMPARE(fields[u"status"_s], u"PROVISIONAL"_s);
}

void TestCasparCgClient::resendsTheLatestAfterTheServerDrops()
{
    FakeCaspar caspar;
    QVERIFY(caspar.listen());
    CasparCgClient client;
    const CasparCgClient::Settings settings = settingsFor(caspar.port());
    QVERIFY(client.start(settings));
    client.publish(ExportTest::shared(twoActs(1)));
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(1), kWaitMs);

    caspar.dropAll();
    QTRY_COMPARE_WITH_TIMEOUT(caspar.connections(), 2, kWaitMs);
    // A publish taken while the connection was down or coming back is what gets sent.
    client.publish(ExportTest::shared(twoActs(2)));
    QTRY_VERIFY_WITH_TIMEOUT(!caspar.lines(1).isEmpty() &&
                                 caspar.lines(1).last() + "\r\n" ==
                                     CasparCgClient::updateCommand(settings, twoActs(2)),
                             kWaitMs);
    for (const QByteArray &resent : caspar.lines(1))
        QVERIFY(resent.startsWith("CG 1-20 UPDATE 1 ")); // never ADD in UpdateOnly mode
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(2), kWaitMs);
    QCOMPARE(client.status().state, State::Connected);
    QCOMPARE(client.status().connects, qint64(2));
    QVERIFY(!client.status().lastError.isEmpty()); // the drop was reported
}

void TestCasparCgClient::addsTheTemplateOnFirstConnectOnly()
{
    FakeCaspar caspar;
    QVERIFY(caspar.listen());
    CasparCgClient client;
    CasparCgClient::Settings settings = settingsFor(caspar.port());
    settings.loadMode = CasparCgClient::LoadMode::AddOnFirstConnect;
    settings.templateName = u"votedesk/results"_s;
    caspar.script("404 CG ERROR\r\n"); // the first ADD is refused (template missing) ...
    client.publish(ExportTest::shared(twoActs(1)));
    QVERIFY(client.start(settings));
    QTRY_COMPARE_WITH_TIMEOUT(caspar.totalLines(), 1, kWaitMs);
    QCOMPARE(caspar.lines(0).at(0) + "\r\n", CasparCgClient::addCommand(settings, twoActs(1)));
    QTRY_VERIFY_WITH_TIMEOUT(client.status().lastError.contains(u"404 CG ERROR"_s), kWaitMs);
    QVERIFY(client.status().lastError.contains(u"ADD"_s));

    caspar.dropAll(); // ... so the next connection adds again, and that one is taken
    QTRY_COMPARE_WITH_TIMEOUT(caspar.connections(), 2, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(caspar.lines(1).size(), 1, kWaitMs);
    QVERIFY(caspar.lines(1).at(0).startsWith("CG 1-20 ADD 1 \"votedesk/results\" 0 \""));
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(1), kWaitMs);

    client.publish(ExportTest::shared(twoActs(2)));
    QTRY_COMPARE_WITH_TIMEOUT(caspar.lines(1).size(), 2, kWaitMs);
    QVERIFY(caspar.lines(1).at(1).startsWith("CG 1-20 UPDATE 1 \""));

    // Once added, a reconnect only updates: ADD again would reload a template on air.
    caspar.dropAll();
    QTRY_COMPARE_WITH_TIMEOUT(caspar.connections(), 3, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(caspar.lines(2).size(), 1, kWaitMs);
    QCOMPARE(caspar.lines(2).at(0) + "\r\n", CasparCgClient::updateCommand(settings, twoActs(2)));
}

void TestCasparCgClient::reportsRefusals()
{
    FakeCaspar caspar;
    QVERIFY(caspar.listen());
    CasparCgClient client;
    QSignalSpy changed(&client, &CasparCgClient::statusChanged);
    QVERIFY(client.start(settingsFor(caspar.port())));
    // "400 ERROR" is followed by an echo of the command, which is not an answer of its own.
    caspar.script("400 ERROR\r\nCG 1-20 UPDATE 1 \"...\"\r\n");
    client.publish(ExportTest::shared(twoActs(1)));
    QTRY_VERIFY_WITH_TIMEOUT(client.status().lastError.contains(u"400 ERROR"_s), kWaitMs);
    QVERIFY(client.status().lastError.contains(u"UPDATE (publish 1)"_s));
    QCOMPARE(client.status().acknowledgedVersion, quint64(0));
    client.publish(ExportTest::shared(twoActs(2)));
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(2), kWaitMs);
    QVERIFY(client.status().lastErrorAtMs > 0);
    QVERIFY(!changed.isEmpty()); // the console hears about it
}

void TestCasparCgClient::connectsOnceTheServerComesUp()
{
    // Find a free port, then leave it closed: the first attempts are refused.
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    CasparCgClient client;
    QVERIFY(client.start(settingsFor(port)));
    client.publish(ExportTest::shared(twoActs(3)));
    QTRY_VERIFY_WITH_TIMEOUT(!client.status().lastError.isEmpty(), kWaitMs);
    QVERIFY(client.status().state != State::Connected);

    FakeCaspar caspar;
    QVERIFY(caspar.listen(port));
    QTRY_COMPARE_WITH_TIMEOUT(caspar.totalLines(), 1, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(client.status().acknowledgedVersion, quint64(3), kWaitMs);
    QCOMPARE(client.status().state, State::Connected);

    client.stop();
    QTRY_COMPARE_WITH_TIMEOUT(client.status().state, State::Stopped, kWaitMs);
}

void TestCasparCgClient::refusesBadSettings()
{
    CasparCgClient client;
    CasparCgClient::Settings settings = settingsFor(5250);
    QString error;
    settings.channelLayer = u"1-20; PLAY"_s;
    QVERIFY(!client.start(settings, &error));
    QVERIFY(error.contains(u"channel-layer"_s));
    settings = settingsFor(5250);
    settings.loadMode = CasparCgClient::LoadMode::AddOnFirstConnect;
    QVERIFY(!client.start(settings, &error));
    QVERIFY(error.contains(u"template name"_s));
    settings.templateName = u"a\r\nPLAY"_s;
    QVERIFY(!client.start(settings, &error));
    settings = settingsFor(0);
    QVERIFY(!client.start(settings, &error));
    QCOMPARE(client.status().state, State::Stopped);
}

QTEST_GUILESS_MAIN(TestCasparCgClient)
#include "tst_casparcgclient.moc"
