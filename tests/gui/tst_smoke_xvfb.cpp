#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHash>
#include <QImage>
#include <QPixmap>
#include <QProcess>
#include <QScreen>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::Literals::StringLiterals;

// The real console on a real X server (Xvfb, started by xvfb-run in the add_test): the app
// starts, its window appears under the expected title, and the screen shows more than a blank
// fill. The screenshot stays in SCREENSHOT_DIR for people and CI artefacts.
class TestSmokeXvfb final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void consoleWindowAppears();
    void cleanup();

private:
    static QString windowTree();
    static QString blankReason(const QImage &image);

    QTemporaryDir m_dataDir;
    QProcess m_app;
    QByteArray m_stdout;
};

void TestSmokeXvfb::initTestCase()
{
    if (QGuiApplication::platformName() != u"xcb"_s)
        QSKIP("needs an X server (run through ctest, which wraps the test in xvfb-run)");
    QVERIFY2(QFileInfo::exists(QStringLiteral(VOTEDESK_BINARY)), VOTEDESK_BINARY " is missing");
    QVERIFY(m_dataDir.isValid());
    QVERIFY(QDir().mkpath(QStringLiteral(SCREENSHOT_DIR)));
}

void TestSmokeXvfb::consoleWindowAppears()
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
    QTRY_VERIFY2_WITH_TIMEOUT(windowTree().contains(u"votedesk \u2014 "_s),
                              qPrintable(u"no votedesk window in:\n"_s + windowTree()), 30'000);

    // Mapped is not painted yet: grab until a screenshot shows the console or time runs out,
    // and keep the last one either way, since a blank screenshot is itself a diagnosis.
    QScreen *screen = QGuiApplication::primaryScreen();
    QVERIFY(screen);
    QImage shot;
    QString blank;
    const bool painted = QTest::qWaitFor(
        [&] {
            shot = screen->grabWindow(0).toImage();
            blank = blankReason(shot);
            return blank.isEmpty();
        },
        10'000);

    const QString path = QDir(QStringLiteral(SCREENSHOT_DIR)).filePath(u"console.png"_s);
    QVERIFY2(shot.save(path), qPrintable(path));
    qInfo("screenshot: %s (%dx%d)", qPrintable(path), shot.width(), shot.height());
    QVERIFY2(painted, qPrintable(blank));

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

QString TestSmokeXvfb::windowTree()
{
    QProcess xwininfo;
    xwininfo.start(u"xwininfo"_s, {u"-root"_s, u"-tree"_s});
    if (!xwininfo.waitForFinished(5'000))
        return u"(xwininfo failed: %1; Debian package x11-utils)"_s.arg(xwininfo.errorString());
    return QString::fromUtf8(xwininfo.readAllStandardOutput());
}

// Empty when the image looks like a rendered window; else why it looks blank.
QString TestSmokeXvfb::blankReason(const QImage &image)
{
    if (image.isNull())
        return u"the screen grab is empty"_s;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    QHash<QRgb, qint64> histogram;
    for (int y = 0; y < rgb.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); ++x)
            ++histogram[line[x]];
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
