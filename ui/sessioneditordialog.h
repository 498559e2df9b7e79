#pragma once

#include <QDialog>

#include "session/sessiondefinition.h"

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

// Sets up one vote: title, question, options (key, label, colour; added, removed and
// reordered, 2 to 64), window length, late tolerance, counting policy, visibility, export
// folder and whether it is a rehearsal. The checks are core's (SessionDefinition::check), run
// on every edit: the first problem is named under the form, the field it is about is
// marked, and OK stays disabled until there is none.
class SessionEditorDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionEditorDialog)

public:
    enum class Purpose
    {
        Create = 1, // a new session
        Duplicate   // a copy of an existing one, to adjust
    };

    SessionEditorDialog(const SessionDefinition &initial, Purpose purpose, QWidget *parent = nullptr);

    // What the form says now (id 0: the engine assigns one).
    SessionDefinition definition() const;
    // Core's verdict on it; empty when OK may be pressed.
    SessionProblem problem() const;

    // A starting point for a new session: two options, the usual window.
    static SessionDefinition blank();
    // A copy of `source` to adjust: no id, "(copy)" in the title.
    static SessionDefinition duplicateOf(const SessionDefinition &source);

private:
    void addOption();
    void removeOption();
    void moveOption(int delta);
    void chooseColour();
    void chooseExportFolder();
    void appendOptionRow(const VoteOption &option);
    void optionEdited(int row, int column);
    void updatePolicyFields();
    void updateOptionButtons();
    void revalidate();
    void markInvalid(QWidget *widget, bool invalid);
    QString unusedKey() const;

    QLineEdit *m_title = nullptr;
    QLineEdit *m_question = nullptr;
    QTableWidget *m_options = nullptr;
    QPushButton *m_addOption = nullptr;
    QPushButton *m_removeOption = nullptr;
    QPushButton *m_moveUp = nullptr;
    QPushButton *m_moveDown = nullptr;
    QPushButton *m_colour = nullptr;
    QSpinBox *m_windowSeconds = nullptr;
    QSpinBox *m_lateToleranceMs = nullptr;
    QComboBox *m_policy = nullptr;
    QSpinBox *m_voteCap = nullptr;
    QSpinBox *m_optionCap = nullptr;
    QComboBox *m_visibility = nullptr;
    QCheckBox *m_autoPublish = nullptr;
    QComboBox *m_voterId = nullptr;
    QLineEdit *m_exportFolder = nullptr;
    QCheckBox *m_rehearsal = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    bool m_filling = false; // rows being filled by code: no revalidation per cell
};
