#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

#include "ui/settingsdialog.h"

using namespace Qt::Literals::StringLiterals;

class TestSettingsDialog final : public QObject
{
    Q_OBJECT

private:
    static QPushButton *okButton(SettingsDialog &dialog)
    {
        return dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    }

private Q_SLOTS:
    void showsAndReturnsTheSettings()
    {
        ConsoleSettings chosen;
        chosen.bindAddress = u"0.0.0.0"_s;
        chosen.port = 9000;
        chosen.ioThreads = 2;
        chosen.durability = u"normal"_s;
        chosen.queueCapacity = 20'000;
        chosen.batchSize = 1024;
        chosen.batchWindowMs = 1;
        chosen.exportFolder = u"/srv/graphics"_s;
        chosen.exportIntervalSeconds = 2;
        chosen.themeScale = 1.25;
        chosen.csvByteOrderMark = true;
        chosen.pseudonymiseVoters = true;
        chosen.casparCgHost = u"10.0.0.9"_s;
        chosen.casparCgPort = 5251;
        chosen.casparCgChannelLayer = u"2-30"_s;
        chosen.casparCgTemplateLayer = 4;
        chosen.casparCgTemplate = u"votedesk/bars"_s;
        SettingsDialog dialog(chosen);
        QCOMPARE(dialog.findChild<QLineEdit *>(u"bindAddress"_s)->text(), u"0.0.0.0"_s);
        QCOMPARE(dialog.findChild<QSpinBox *>(u"port"_s)->value(), 9000);
        QCOMPARE(dialog.findChild<QComboBox *>(u"durability"_s)->currentData().toString(), u"normal"_s);
        QCOMPARE(dialog.settings(), chosen);
        QVERIFY(okButton(dialog)->isEnabled());

        dialog.findChild<QSpinBox *>(u"queueCapacity"_s)->setValue(50'000);
        dialog.findChild<QComboBox *>(u"durability"_s)->setCurrentIndex(0);
        QCOMPARE(dialog.settings().queueCapacity, 50'000);
        QCOMPARE(dialog.settings().durability, u"full"_s);

        // A CasparCG channel-layer it cannot use is named and blocks OK.
        dialog.findChild<QLineEdit *>(u"casparCgChannelLayer"_s)->setText(u"main"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        QVERIFY(dialog.problem().contains(u"channel-layer"_s));
        dialog.findChild<QLineEdit *>(u"casparCgHost"_s)->clear(); // off: the rest does not matter
        QVERIFY(okButton(dialog)->isEnabled());
    }

    void aBadAddressIsNamedAndBlocksOk()
    {
        SettingsDialog dialog{ConsoleSettings()};
        dialog.show();
        auto *bind = dialog.findChild<QLineEdit *>(u"bindAddress"_s);
        auto *problem = dialog.findChild<QLabel *>(u"problem"_s);
        QVERIFY(problem->isHidden());
        bind->clear();
        QTest::keyClicks(bind, u"studio-pc"_s);
        QVERIFY(!okButton(dialog)->isEnabled());
        QVERIFY(problem->isVisible());
        QVERIFY2(problem->text().contains(u"bind address"_s), qPrintable(problem->text()));
        bind->setText(u"192.168.1.20"_s);
        QVERIFY(okButton(dialog)->isEnabled());
        QVERIFY(problem->isHidden());
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
