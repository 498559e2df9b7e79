#include <sys/stat.h>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>
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

    // settings-<name>.png under the build folder's screenshots, for people to look at.
    static void saveGrab(QWidget &widget, const QString &name)
    {
        QVERIFY(QDir().mkpath(QStringLiteral(SCREENSHOT_DIR)));
        const QString path = QDir(QStringLiteral(SCREENSHOT_DIR)).filePath(u"settings-%1.png"_s.arg(name));
        QVERIFY2(widget.grab().save(path), qPrintable(path));
    }

    // A token file with the given content and mode; empty on failure.
    QString tokenFile(const QString &name, const QByteArray &content, mode_t mode)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) != content.size())
            return {};
        file.close();
        if (::chmod(QFile::encodeName(path).constData(), mode) != 0)
            return {};
        return path;
    }

    QTemporaryDir m_dir;

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
        chosen.adminTokenFile = tokenFile(u"admin.token"_s, "s3cret-token-0123456789\n", 0600);
        QVERIFY(!chosen.adminTokenFile.isEmpty());
        SettingsDialog dialog(chosen);
        QCOMPARE(dialog.findChild<QLineEdit *>(u"adminTokenFile"_s)->text(), chosen.adminTokenFile);
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

    // The token file is checked as typed, by the server's rules, and each problem is named.
    void theAdminTokenFileIsCheckedAsTyped()
    {
        SettingsDialog dialog{ConsoleSettings()};
        dialog.show();
        auto *file = dialog.findChild<QLineEdit *>(u"adminTokenFile"_s);
        auto *problem = dialog.findChild<QLabel *>(u"problem"_s);
        QVERIFY(file);
        QVERIFY(okButton(dialog)->isEnabled()); // none: loopback only
        QVERIFY(dialog.settings().adminTokenFile.isEmpty());

        const QString good = tokenFile(u"good.token"_s, "s3cret-token-0123456789\n", 0600);
        const QString shared = tokenFile(u"shared.token"_s, "s3cret-token-0123456789\n", 0644);
        const QString empty = tokenFile(u"empty.token"_s, "", 0600);
        const QString shortToken = tokenFile(u"short.token"_s, "abc", 0600);
        QVERIFY(!good.isEmpty() && !shared.isEmpty() && !empty.isEmpty() && !shortToken.isEmpty());
        const struct
        {
            QString path;
            QString mentions;
        } cases[] = {
            {m_dir.filePath(u"missing.token"_s), u"does not exist"_s},
            {shared, u"readable by others"_s},
            {empty, u"is empty"_s},
            {shortToken, u"at least 16"_s},
            {m_dir.path(), u"not a regular file"_s},
            {u"admin.token"_s, u"absolute path"_s},
        };
        for (const auto &[path, mentions] : cases) {
            file->clear();
            QTest::keyClicks(file, path);
            QVERIFY2(!okButton(dialog)->isEnabled(), qPrintable(path));
            QVERIFY(problem->isVisible());
            QVERIFY2(problem->text().contains(mentions), qPrintable(problem->text()));
        }
        file->clear();
        QTest::keyClicks(file, good);
        QVERIFY2(okButton(dialog)->isEnabled(), qPrintable(problem->text()));
        QVERIFY(problem->isHidden());
        QCOMPARE(dialog.settings().adminTokenFile, good);
    }

    // A token with a loopback listen address lets no other machine in: the dialog says so.
    void aTokenOnLoopbackSaysOnlyThisMachineReachesIt()
    {
        ConsoleSettings settings;
        settings.bindAddress = u"127.0.0.1"_s;
        SettingsDialog dialog{settings};
        dialog.show();
        auto *reach = dialog.findChild<QLabel *>(u"adminReach"_s);
        auto *bind = dialog.findChild<QLineEdit *>(u"bindAddress"_s);
        auto *file = dialog.findChild<QLineEdit *>(u"adminTokenFile"_s);
        QVERIFY(reach && bind && file);
        QVERIFY(reach->isHidden()); // no token: loopback only is what is meant
        const QString good = tokenFile(u"reach.token"_s, "s3cret-token-0123456789\n", 0600);
        QTest::keyClicks(file, good);
        QVERIFY(reach->isVisible());
        QVERIFY2(reach->text().contains(u"Listen on address"_s), qPrintable(reach->text()));
        for (const QString &address : {u"0.0.0.0"_s, u"192.168.10.5"_s, u"::"_s}) {
            bind->setText(address);
            QVERIFY2(reach->isHidden(), qPrintable(address));
        }
        for (const QString &address : {u"::1"_s, u"localhost"_s, u"127.0.0.2"_s}) {
            bind->setText(address);
            QVERIFY2(reach->isVisible(), qPrintable(address));
        }
        file->clear();
        QVERIFY(reach->isHidden());

        // A token from the command line counts as set too.
        SettingsDialog fromCommandLine(settings, AdminAccess{true, u"--admin-token-file /etc/a.token"_s, {}});
        fromCommandLine.show();
        QVERIFY(fromCommandLine.findChild<QLabel *>(u"adminReach"_s)->isVisible());
    }

    void showsWhetherRemoteAdminIsOn()
    {
        const auto shown = [](const AdminAccess &access) {
            SettingsDialog dialog(ConsoleSettings(), access);
            return dialog.findChild<QLabel *>(u"adminAccess"_s)->text();
        };
        QString text = shown(AdminAccess{});
        QVERIFY2(text.contains(u"off in this run"_s) && text.contains(u"only on loopback"_s),
                 qPrintable(text));

        text = shown(AdminAccess{true, u"--admin-token-file /etc/votedesk/admin.token"_s, {}});
        QVERIFY2(text.contains(u"on in this run"_s), qPrintable(text));
        QVERIFY2(text.contains(u"--admin-token-file /etc/votedesk/admin.token"_s), qPrintable(text));
        QVERIFY2(text.contains(u"wins over the file set here"_s), qPrintable(text));

        text = shown(AdminAccess{true, u"Settings: /home/op/.config/votedesk/admin.token"_s, {}});
        QVERIFY2(text.contains(u"on in this run"_s) && !text.contains(u"wins over"_s), qPrintable(text));

        text =
            shown(AdminAccess{false, {}, u"the admin token file /x is readable by others; chmod 600 it"_s});
        QVERIFY2(text.contains(u"off in this run"_s) && text.contains(u"/x is readable by others"_s),
                 qPrintable(text));
    }

    void generateWritesAnOwnerOnlyTokenAndSelectsIt()
    {
        SettingsDialog dialog(ConsoleSettings(),
                              AdminAccess{true, u"--admin-token-file /etc/votedesk/admin.token"_s, {}});
        dialog.show();
        auto *file = dialog.findChild<QLineEdit *>(u"adminTokenFile"_s);
        auto *generate = dialog.findChild<QPushButton *>(u"generateAdminToken"_s);
        QVERIFY(generate);
        QString chosen;
        QString suggested;
        dialog.setTokenPathChooser([&](QWidget *, const QString &proposal) {
            suggested = proposal;
            return chosen;
        });

        // Cancelled: nothing written, nothing selected.
        QTest::mouseClick(generate, Qt::LeftButton);
        QVERIFY(suggested.endsWith(u"/admin.token"_s));
        QVERIFY(file->text().isEmpty());

        // Over an existing world-readable file: the new one is the owner's only.
        chosen = tokenFile(u"generated.token"_s, "old", 0644);
        QVERIFY(!chosen.isEmpty());
        QTest::mouseClick(generate, Qt::LeftButton);
        QCOMPARE(file->text(), chosen);
        QCOMPARE(dialog.settings().adminTokenFile, chosen);
        QVERIFY(okButton(dialog)->isEnabled());
        struct stat st
        {};
        QCOMPARE(::stat(QFile::encodeName(chosen).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, mode_t(0600));
        QFile written(chosen);
        QVERIFY(written.open(QIODevice::ReadOnly));
        const QByteArray token = written.readAll().trimmed();
        QCOMPARE(token.size(), 64);
        QCOMPARE(QByteArray::fromHex(token).toHex(), token);
        QVERIFY(dialog.findChild<QLabel *>(u"adminAccess"_s)->text().contains(chosen));
        saveGrab(dialog, u"admin-token-generated"_s);

        // Again: a different token (the current file is proposed).
        QTest::mouseClick(generate, Qt::LeftButton);
        QCOMPARE(suggested, chosen);
        QFile again(chosen);
        QVERIFY(again.open(QIODevice::ReadOnly));
        QVERIFY(again.readAll().trimmed() != token);

        // A file that cannot be written is named under the form and blocks OK.
        chosen = m_dir.filePath(u"no/such/folder/admin.token"_s);
        QTest::mouseClick(generate, Qt::LeftButton);
        QVERIFY(!okButton(dialog)->isEnabled());
        auto *problem = dialog.findChild<QLabel *>(u"problem"_s);
        QVERIFY2(problem->text().contains(u"no/such/folder"_s), qPrintable(problem->text()));

        // A file others can read is named too (and shown, for people to look at).
        file->setText(tokenFile(u"shared.token"_s, "s3cret-token-0123456789\n", 0644));
        QVERIFY(!okButton(dialog)->isEnabled());
        QVERIFY2(problem->text().contains(u"readable by others"_s), qPrintable(problem->text()));
        saveGrab(dialog, u"admin-token-problem"_s);
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
