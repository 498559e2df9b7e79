#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "ui/audiencescreen.h"
#include "ui/qrcodewidget.h"

using namespace Qt::Literals::StringLiterals;

class TestQrCodeWidget final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodesWithFinderPatterns()
    {
        QrCodeWidget qr;
        qr.setText(u"http://192.168.1.20:8080/"_s);
        const int w = qr.symbolWidth();
        QVERIFY(w >= 21);
        QCOMPARE((w - 17) % 4, 0); // a real QR version: 21, 25, 29, ...
        // The three finder patterns: a dark ring, a light ring, a dark 3x3 core.
        for (const QPoint corner : {QPoint(0, 0), QPoint(w - 7, 0), QPoint(0, w - 7)}) {
            QVERIFY(qr.isDark(corner.x(), corner.y()));
            QVERIFY(!qr.isDark(corner.x() + 1, corner.y() + 1));
            QVERIFY(qr.isDark(corner.x() + 3, corner.y() + 3));
        }
        QVERIFY(!qr.isDark(w - 1, w - 1 + 5)); // outside the symbol
    }

    void aPhoneCanReadItBack()
    {
        // Decode the widget as painted, with zbar (Debian zbar-tools): what the audience's
        // camera will do with the studio screen.
        const QString zbarimg = QStandardPaths::findExecutable(u"zbarimg"_s);
        QVERIFY2(!zbarimg.isEmpty(), "zbarimg (zbar-tools) is needed to check the code reads back");
        const QString url = u"http://10.0.0.5:8080/?show=Final%20night"_s;
        QrCodeWidget qr;
        qr.setText(url);
        qr.resize(400, 400);
        QTemporaryDir dir;
        const QString file = dir.filePath(u"qr.png"_s);
        QVERIFY(qr.grab().save(file));
        QProcess zbar;
        zbar.start(zbarimg, {u"--raw"_s, u"-q"_s, file});
        QVERIFY(zbar.waitForFinished(20'000));
        QCOMPARE(QString::fromUtf8(zbar.readAllStandardOutput()).trimmed(), url);
    }

    void audienceScreenShowsUrlAndQuestion()
    {
        AudienceScreen screen;
        screen.setAudience(u"http://10.0.0.5:8080/"_s, u"Who should win tonight?"_s);
        QCOMPARE(screen.url(), u"http://10.0.0.5:8080/"_s);
        QCOMPARE(screen.qrCode()->text(), u"http://10.0.0.5:8080/"_s);
        screen.showOn(99); // no such screen: the last one
        QVERIFY(screen.isVisible());
        QTest::keyClick(&screen, Qt::Key_Escape);
        QVERIFY(!screen.isVisible());
    }
};

QTEST_MAIN(TestQrCodeWidget)
#include "tst_qrcodewidget.moc"
