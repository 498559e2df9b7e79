// The session editor offscreen: core's validation on every edit, the message naming the
// problem, the offending field marked, OK only when valid; options added, removed and
// reordered within 2..64; what the form returns.
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include "ui/sessioneditordialog.h"

using namespace Qt::Literals::StringLiterals;

class TestSessionEditorDialog final : public QObject
{
    Q_OBJECT

private:
    static SessionDefinition threeOptions()
    {
        SessionDefinition def;
        def.title = u"Semi-final"_s;
        def.question = u"Who goes through?"_s;
        def.options = {{u"A"_s, u"Anna"_s, u"#e6194b"_s},
                       {u"B"_s, u"Ben"_s, u"#3cb44b"_s},
                       {u"C"_s, u"Chloé"_s, u"#4363d8"_s}};
        def.windowMs = 90'000;
        return def;
    }

    static QPushButton *ok(SessionEditorDialog &dialog)
    {
        return dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    }
    static QTableWidget *table(SessionEditorDialog &dialog)
    {
        return dialog.findChild<QTableWidget *>(u"options"_s);
    }
    static QLabel *problem(SessionEditorDialog &dialog) { return dialog.findChild<QLabel *>(u"problem"_s); }
    static QPushButton *button(SessionEditorDialog &dialog, const QString &name)
    {
        return dialog.findChild<QPushButton *>(name);
    }

private Q_SLOTS:
    void aValidDefinitionComesBackAsItWent()
    {
        SessionDefinition def = threeOptions();
        def.policy = VotePolicy::Capped;
        def.voteCap = 20;
        def.optionCap = 5;
        def.lateToleranceMs = 500;
        def.rehearsal = true;
        def.exportFolder = u"/srv/graphics"_s;
        def.visibility = ResultsVisibility::Live;
        def.autoPublish = true;
        SessionEditorDialog dialog(def, SessionEditorDialog::Purpose::Create);
        dialog.show();
        QVERIFY(ok(dialog)->isEnabled());
        QVERIFY(problem(dialog)->isHidden());
        const SessionDefinition back = dialog.definition();
        QCOMPARE(back.title, def.title);
        QCOMPARE(back.question, def.question);
        QCOMPARE(back.options.size(), 3);
        QCOMPARE(back.options[2].label, u"Chloé"_s);
        QCOMPARE(back.options[2].colour, u"#4363d8"_s);
        QCOMPARE(back.windowMs, qint64(90'000));
        QCOMPARE(back.lateToleranceMs, qint64(500));
        QCOMPARE(back.rule(), def.rule());
        QCOMPARE(back.rehearsal, true);
        QCOMPARE(back.exportFolder, u"/srv/graphics"_s);
        QCOMPARE(back.visibility, ResultsVisibility::Live);
        QVERIFY(back.autoPublish);
    }

    void anEmptyTitleIsNamedAndBlocksOk()
    {
        SessionEditorDialog dialog(threeOptions(), SessionEditorDialog::Purpose::Create);
        dialog.show();
        auto *title = dialog.findChild<QLineEdit *>(u"title"_s);
        title->clear();
        QVERIFY(!ok(dialog)->isEnabled());
        QVERIFY(problem(dialog)->isVisible());
        QVERIFY2(problem(dialog)->text().contains(u"title is empty"_s), qPrintable(problem(dialog)->text()));
        QVERIFY(title->styleSheet().contains(u"border"_s)); // the field is marked
        QTest::keyClicks(title, u"Final"_s);
        QVERIFY(ok(dialog)->isEnabled());
        QVERIFY(problem(dialog)->isHidden());
        QVERIFY(title->styleSheet().isEmpty());
    }

    void aDuplicateKeyIsNamedAndItsRowSelected()
    {
        SessionEditorDialog dialog(threeOptions(), SessionEditorDialog::Purpose::Create);
        dialog.show();
        table(dialog)->item(2, 0)->setText(u"A"_s);
        QVERIFY(!ok(dialog)->isEnabled());
        QVERIFY2(problem(dialog)->text().contains(u"option 3: duplicate key \"A\""_s),
                 qPrintable(problem(dialog)->text()));
        QCOMPARE(table(dialog)->currentRow(), 2);
        QCOMPARE(table(dialog)->currentColumn(), 0);
        table(dialog)->item(2, 0)->setText(u"C"_s);
        QVERIFY(ok(dialog)->isEnabled());
    }

    void anEmptyLabelABadKeyAndABadColourAreNamed()
    {
        SessionEditorDialog dialog(threeOptions(), SessionEditorDialog::Purpose::Create);
        dialog.show();
        table(dialog)->item(1, 1)->setText(u"   "_s);
        QVERIFY2(problem(dialog)->text().contains(u"option 2: label is empty"_s),
                 qPrintable(problem(dialog)->text()));
        QCOMPARE(table(dialog)->currentRow(), 1);
        QVERIFY(!ok(dialog)->isEnabled());
        table(dialog)->item(1, 1)->setText(u"Ben"_s);

        table(dialog)->item(0, 0)->setText(u"A B"_s);
        QVERIFY2(problem(dialog)->text().contains(u"option 1: key \"A B\""_s),
                 qPrintable(problem(dialog)->text()));
        table(dialog)->item(0, 0)->setText(u"A"_s);

        table(dialog)->item(2, 2)->setText(u"blue"_s);
        QVERIFY2(problem(dialog)->text().contains(u"option 3: colour \"blue\" is not #rrggbb"_s),
                 qPrintable(problem(dialog)->text()));
        table(dialog)->item(2, 2)->setText(u"#FFAA00"_s);
        QVERIFY(ok(dialog)->isEnabled());
        QCOMPARE(dialog.definition().options[2].colour, u"#ffaa00"_s);
        // The cell shows its colour.
        QCOMPARE(table(dialog)->item(2, 2)->background().color(), QColor(u"#ffaa00"_s));
    }

    void optionsAreAddedRemovedAndReorderedWithinTwoToSixtyFour()
    {
        SessionEditorDialog dialog(threeOptions(), SessionEditorDialog::Purpose::Create);
        dialog.show();
        // Reorder: C moves to the top.
        table(dialog)->setCurrentCell(2, 1);
        button(dialog, u"moveOptionUp"_s)->click();
        button(dialog, u"moveOptionUp"_s)->click();
        QCOMPARE(dialog.definition().options[0].key, u"C"_s);
        QCOMPARE(dialog.definition().options[1].key, u"A"_s);
        QCOMPARE(table(dialog)->currentRow(), 0);
        QVERIFY(!button(dialog, u"moveOptionUp"_s)->isEnabled());
        button(dialog, u"moveOptionDown"_s)->click();
        QCOMPARE(dialog.definition().options[1].key, u"C"_s);

        // Down to one option: named, OK blocked.
        table(dialog)->setCurrentCell(0, 0);
        button(dialog, u"removeOption"_s)->click();
        button(dialog, u"removeOption"_s)->click();
        QCOMPARE(table(dialog)->rowCount(), 1);
        QVERIFY2(problem(dialog)->text().contains(u"2 to 64 options, not 1"_s),
                 qPrintable(problem(dialog)->text()));
        QVERIFY(!ok(dialog)->isEnabled());

        // Up to 64 with fresh keys and labels, then Add stops.
        while (table(dialog)->rowCount() < SessionDefinition::MaxOptions)
            button(dialog, u"addOption"_s)->click();
        QVERIFY(ok(dialog)->isEnabled());
        QVERIFY(!button(dialog, u"addOption"_s)->isEnabled());
        button(dialog, u"addOption"_s)->click();
        QCOMPARE(table(dialog)->rowCount(), SessionDefinition::MaxOptions);
        QVERIFY(dialog.problem().isEmpty());
    }

    void policyFieldsFollowThePolicy()
    {
        SessionEditorDialog dialog(threeOptions(), SessionEditorDialog::Purpose::Create);
        dialog.show();
        auto *policy = dialog.findChild<QComboBox *>(u"policy"_s);
        auto *voteCap = dialog.findChild<QSpinBox *>(u"voteCap"_s);
        auto *optionCap = dialog.findChild<QSpinBox *>(u"optionCap"_s);
        QVERIFY(!voteCap->isEnabled());
        QVERIFY(!optionCap->isEnabled());
        policy->setCurrentIndex(policy->findData(int(VotePolicy::Capped)));
        QVERIFY(voteCap->isEnabled());
        QVERIFY(optionCap->isEnabled());
        voteCap->setValue(10);
        optionCap->setValue(3);
        QCOMPARE(dialog.definition().policyText(), u"capped:10"_s);
        QCOMPARE(dialog.definition().optionCap, 3);
        policy->setCurrentIndex(policy->findData(int(VotePolicy::FirstWins)));
        QCOMPARE(dialog.definition().optionCap, 0); // not applicable: not sent
        QVERIFY(ok(dialog)->isEnabled());
    }

    void aRelativeExportFolderIsNamed()
    {
        SessionEditorDialog dialog(threeOptions(), SessionEditorDialog::Purpose::Create);
        dialog.show();
        auto *folder = dialog.findChild<QLineEdit *>(u"exportFolder"_s);
        folder->setText(u"graphics/out"_s);
        QVERIFY(!ok(dialog)->isEnabled());
        QVERIFY2(problem(dialog)->text().contains(u"absolute path"_s), qPrintable(problem(dialog)->text()));
        QVERIFY(folder->styleSheet().contains(u"border"_s));
        folder->setText(u"/srv/graphics"_s);
        QVERIFY(ok(dialog)->isEnabled());
    }

    void aDuplicateStartsAsACopy()
    {
        SessionDefinition source = threeOptions();
        source.id = 12;
        source.rehearsal = true;
        const SessionDefinition copy = SessionEditorDialog::duplicateOf(source);
        QCOMPARE(copy.id, 0);
        QCOMPARE(copy.title, u"Semi-final (copy)"_s);
        QCOMPARE(copy.options.size(), 3);
        QVERIFY(copy.rehearsal);
        SessionEditorDialog dialog(copy, SessionEditorDialog::Purpose::Duplicate);
        QCOMPARE(ok(dialog)->text(), u"Create copy"_s);
        QVERIFY(ok(dialog)->isEnabled());
        QVERIFY(SessionEditorDialog::blank().validate().isEmpty());
    }
};

QTEST_MAIN(TestSessionEditorDialog)
#include "tst_sessioneditordialog.moc"
