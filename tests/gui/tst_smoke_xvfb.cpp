#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHash>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPixmap>
#include <QProcess>
#include <QRegularExpression>
#include <QScreen>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::Literals::StringLiterals;

// The real console on a real X server (Xvfb, started by xvfb-run in the add_test, once at
// 1600x1000 and once at 1280x800): the app starts, its window appears under the expected
// title and fits the screen, the lines open, votes flow in through HTTP, the lines close, the
// results are published and finalized, all through the admin API. A screenshot of
// each step stays in SCREENSHOT_DIR (console-<screen>-<step>.png) for people and CI
// artefacts; each must show more than a blank fill.
class TestSmokeXvfb final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void consoleRunsASession();
    void cleanup();

private:
    static QString windowTree();
    static QString blankReason(const QImage &image);
    // The console window's geometry on the screen, from xwininfo; empty if not found.
    static QRect consoleGeometry();
    // Grabs the screen until it shows something (or time runs out) and saves it as
    // console-<screen>-<step>.png; returns why it looks blank, empty if it does not.
    QString screenshot(const QString &step);
    QJsonObject httpJson(const QByteArray &verb, const QString &path, const QByteArray &body = {});
    QByteArray httpBody(const QByteArray &verb, const QString &path, const QByteArray &body = {});

    QTemporaryDir m_dataDir;
    QProcess m_app;
    QByteArray m_stdout;
    QString m_base;
    QNetworkAccessManager m_network;
};

void TestSmokeXvfb::initTestCase()
{
    // ctest always wraps this test in xvfb-run: without an X server it fails, never passes quietly.
    QVERIFY2(QGuiApplication::platformName() == u"xcb"_s,
             "needs an X server: run it through ctest, which wraps the test in xvfb-run");
    QVERIFY2(QFileInfo::exists(QStringLiteral(VOTEDESK_BINARY)), VOTEDESK_BINARY " is missing");
    QVERIFY2(QFileInfo::exists(QStringLiteral(VOTEDESK_LOADGEN_BINARY)),
             VOTEDESK_LOADGEN_BINARY " is missing");
    QVERIFY(m_dataDir.isValid());
    QVERIFY(QDir().mkpath(QStringLiteral(SCREENSHOT_DIR)));
}

void TestSmokeXvfb::consoleRunsASession()
{
    connect(&m_app, &QProcess::readyReadStandardOutput, this,
            [this] { m_stdout += m_app.readAllStandardOutput(); });
    // The app's diagnostics go to the test log, where a failure needs them.
    m_app.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_app.setProgram(QStringLiteral(VOTEDESK_BINARY));
    m_app.setArguments({u"--db"_s, m_dataDir.filePath(u"votedesk.db"_s), u"--port"_s, u"0"_s});
    m_app.start();
    QVERIFY2(m_app.waitForStarted(10'000), qPrintable(m_app.errorString()));

    QTRY_VERIFY2_WITH_TIMEOUT(m_stdout.contains("listening on 127.0.0.1:"), m_stdout.constData(), 30'000);
    const QRegularExpressionMatch port =
        QRegularExpression(u"listening on 127\\.0\\.0\\.1:(\\d+)"_s).match(QString::fromUtf8(m_stdout));
    QVERIFY(port.hasMatch());
    m_base = u"http://127.0.0.1:"_s + port.captured(1);
    QTRY_VERIFY2_WITH_TIMEOUT(windowTree().contains(u"votedesk \u2014 "_s),
                              qPrintable(u"no votedesk window in:\n"_s + windowTree()), 30'000);

    // The whole window on the screen: a console that needs more room than the screen has
    // is cut off at the edge (no window manager here to squeeze it).
    QScreen *screen = QGuiApplication::primaryScreen();
    QVERIFY(screen);
    QTRY_VERIFY_WITH_TIMEOUT(consoleGeometry().isValid(), 10'000);
    const QRect window = consoleGeometry();
    QVERIFY2(screen->geometry().contains(window),
             qPrintable(u"the window (%1x%2+%3+%4) does not fit the screen (%5x%6)"_s.arg(window.width())
                            .arg(window.height())
                            .arg(window.x())
                            .arg(window.y())
                            .arg(screen->size().width())
                            .arg(screen->size().height())));

    QString blank = screenshot(u"ready"_s);
    QVERIFY2(blank.isEmpty(), qPrintable(blank));

    // Show automation opens the lines (a Stream Deck button: README, "Show automation").
    const QJsonObject opened = httpJson("POST", u"/v1/admin/window"_s, "{\"action\":\"open\"}");
    QVERIFY2(opened.value(u"state"_s).toString() == u"open"_s, QJsonDocument(opened).toJson().constData());

    // Votes from outside, through HTTP, as a web page or an SMS gateway would send them; a
    // few malformed ones fill the rejected-by-reason table.
    QProcess loadgen;
    loadgen.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    loadgen.start(QStringLiteral(VOTEDESK_LOADGEN_BINARY),
                  {u"--url"_s, m_base, u"--rate"_s, u"2000"_s, u"--duration"_s, u"4s"_s, u"--invalid-ratio"_s,
                   u"0.02"_s, u"--quiet"_s});
    QVERIFY2(loadgen.waitForFinished(60'000), "the load generator did not finish");
    QCOMPARE(loadgen.exitCode(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(httpJson("GET", u"/v1/admin/results"_s).value(u"accepted"_s).toInteger() > 1000,
                             10'000);
    // Two more seconds for the graphs (one point a second) and the tally to show them.
    QTest::qWait(2'000);
    blank = screenshot(u"open"_s);
    QVERIFY2(blank.isEmpty(), qPrintable(blank));

    const QJsonObject closed = httpJson("POST", u"/v1/admin/window"_s, "{\"action\":\"close\"}");
    QVERIFY2(closed.value(u"state"_s).toString() != u"open"_s, QJsonDocument(closed).toJson().constData());
    QTRY_COMPARE_WITH_TIMEOUT(httpJson("GET", u"/v1/session"_s).value(u"state"_s).toString(), u"closed"_s,
                              10'000);
    QTest::qWait(500);
    blank = screenshot(u"closed"_s);
    QVERIFY2(blank.isEmpty(), qPrintable(blank));

    // The graphics get the exact result: publish, then certify.
    const QJsonObject published = httpJson("POST", u"/v1/admin/window"_s, "{\"action\":\"publish\"}");
    QVERIFY2(published.value(u"version"_s).toInteger() == 1, QJsonDocument(published).toJson().constData());
    QTest::qWait(500); // the console's on-air line follows within a tick
    blank = screenshot(u"published"_s);
    QVERIFY2(blank.isEmpty(), qPrintable(blank));

    const QJsonObject finalized = httpJson("POST", u"/v1/admin/window"_s, "{\"action\":\"finalize\"}");
    QVERIFY2(finalized.value(u"final"_s).toBool(), QJsonDocument(finalized).toJson().constData());
    QTRY_COMPARE_WITH_TIMEOUT(httpJson("GET", u"/v1/session"_s).value(u"state"_s).toString(), u"final"_s,
                              10'000);
    QTest::qWait(500);
    blank = screenshot(u"final"_s);
    QVERIFY2(blank.isEmpty(), qPrintable(blank));

    // Every step is in the session's stored log, with who did it.
    const QByteArray audit = httpBody("GET", u"/v1/admin/audit"_s);
    for (const char *kind : {"lines_opened", "lines_closed", "results_published", "finalized"})
        QVERIFY2(audit.contains(kind), audit.constData());
    QVERIFY2(audit.contains("admin-api 127.0.0.1"), audit.constData());

    // SIGTERM (what a session manager or systemd sends) must end the app cleanly.
    m_app.terminate();
    QVERIFY2(m_app.waitForFinished(15'000), "the app did not exit after SIGTERM");
    QCOMPARE(m_app.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_app.exitCode(), 0);
}

void TestSmokeXvfb::cleanup()
{
    if (m_app.state() == QProcess::NotRunning)
        return;
    m_app.terminate();
    if (!m_app.waitForFinished(10'000)) {
        m_app.kill();
        QVERIFY(m_app.waitForFinished(5'000));
    }
}

QString TestSmokeXvfb::screenshot(const QString &step)
{
    // Mapped is not painted yet: grab until a screenshot shows the console or time runs out,
    // and keep the last one either way, since a blank screenshot is itself a diagnosis.
    QScreen *screen = QGuiApplication::primaryScreen();
    QImage shot;
    QString blank;
    (void)QTest::qWaitFor(
        [&] {
            shot = screen->grabWindow(0).toImage();
            blank = blankReason(shot);
            return blank.isEmpty();
        },
        10'000);
    const QString name =
        u"console-%1x%2-%3.png"_s.arg(screen->size().width()).arg(screen->size().height()).arg(step);
    const QString path = QDir(QStringLiteral(SCREENSHOT_DIR)).filePath(name);
    if (!shot.save(path))
        return u"cannot save "_s + path;
    qInfo("screenshot: %s (%dx%d)", qPrintable(path), shot.width(), shot.height());
    return blank;
}

QJsonObject TestSmokeXvfb::httpJson(const QByteArray &verb, const QString &path, const QByteArray &body)
{
    return QJsonDocument::fromJson(httpBody(verb, path, body)).object();
}

QByteArray TestSmokeXvfb::httpBody(const QByteArray &verb, const QString &path, const QByteArray &body)
{
    QNetworkRequest request(QUrl(m_base + path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json"_ba);
    request.setTransferTimeout(10'000);
    QNetworkReply *reply = m_network.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const QByteArray answer = reply->readAll();
    reply->deleteLater();
    return answer;
}

QString TestSmokeXvfb::windowTree()
{
    QProcess xwininfo;
    xwininfo.start(u"xwininfo"_s, {u"-root"_s, u"-tree"_s});
    if (!xwininfo.waitForFinished(5'000))
        return u"(xwininfo failed: %1; Debian package x11-utils)"_s.arg(xwininfo.errorString());
    return QString::fromUtf8(xwininfo.readAllStandardOutput());
}

QRect TestSmokeXvfb::consoleGeometry()
{
    // A line of `xwininfo -root -tree`:
    //   0x1e00007 "votedesk — Demo show": ("votedesk" "votedesk")  1600x1000+0+0  +0+0
    static const QRegularExpression line(
        u"\"votedesk \u2014 [^\"]*\":.*\\s(\\d+)x(\\d+)\\+(-?\\d+)\\+(-?\\d+)\\s"_s);
    const QRegularExpressionMatch match = line.match(windowTree());
    if (!match.hasMatch())
        return {};
    return QRect(match.captured(3).toInt(), match.captured(4).toInt(), match.captured(1).toInt(),
                 match.captured(2).toInt());
}

// Empty when the image looks like a rendered window; else why it looks blank.
QString TestSmokeXvfb::blankReason(const QImage &image)
{
    if (image.isNull())
        return u"the screen grab is empty"_s;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    QHash<QRgb, qint64> histogram;
    for (int y = 0; y < rgb.height(); ++y) {
        const auto *pixels = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); ++x)
            ++histogram[pixels[x]];
    }
    qint64 dominant = 0;
    for (const qint64 count : std::as_const(histogram))
        dominant = std::max(dominant, count);
    const qint64 pixels = qint64(rgb.width()) * rgb.height();
    // Text, anti-aliasing and coloured bars give hundreds of colours; a blank or single-fill
    // screen gives a handful.
    if (histogram.size() < 48)
        return u"only %1 distinct colours"_s.arg(histogram.size());
    if (dominant * 100 > pixels * 98)
        return u"one colour covers %1 % of the screen"_s.arg(dominant * 100.0 / pixels, 0, 'f', 1);
    return {};
}

QTEST_MAIN(TestSmokeXvfb)
#include "tst_smoke_xvfb.moc"
