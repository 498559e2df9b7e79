#pragma once

#include <functional>

#include <QDialog>

#include "engine/consolebackend.h"
#include "engine/consolesettings.h"

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

// Edits the saved ConsoleSettings. OK is enabled only while every field is valid, and the
// problem is named under the form (no dialog-on-dialog). Network and ingest settings apply at
// the next start; the dialog says so, because the lines may be open right now. The admin token
// is kept as a file path (the settings file is plain text), checked by the server's rules as it
// is typed; the dialog shows whether this run takes remote admin calls and can write a new
// token file.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    // adminAccess: the running engine's admin API reach, shown next to the token file.
    explicit SettingsDialog(const ConsoleSettings &settings, const AdminAccess &adminAccess = {},
                            QWidget *parent = nullptr);

    ConsoleSettings settings() const;
    QString problem() const; // empty when valid

    // Where "Generate…" writes the new token file; by default a save-file dialog (empty =
    // cancelled). Tests replace it.
    using PathChooser = std::function<QString(QWidget *parent, const QString &suggested)>;
    void setTokenPathChooser(PathChooser chooser) { m_tokenPathChooser = std::move(chooser); }
    // Writes a new random admin token to a chosen file (0600) and selects it.
    void generateAdminToken();

private:
    void revalidate();
    void chooseExportFolder();
    void chooseAdminTokenFile();

    QLineEdit *m_bind = nullptr;
    QSpinBox *m_port = nullptr;
    QSpinBox *m_ioThreads = nullptr;
    QComboBox *m_durability = nullptr;
    QSpinBox *m_queueCapacity = nullptr;
    QSpinBox *m_batchSize = nullptr;
    QSpinBox *m_batchWindow = nullptr;
    QLineEdit *m_exportFolder = nullptr;
    QSpinBox *m_exportInterval = nullptr;
    QCheckBox *m_csvByteOrderMark = nullptr;
    QCheckBox *m_pseudonymiseVoters = nullptr;
    QLineEdit *m_casparCgHost = nullptr;
    QSpinBox *m_casparCgPort = nullptr;
    QLineEdit *m_casparCgChannelLayer = nullptr;
    QSpinBox *m_casparCgTemplateLayer = nullptr;
    QLineEdit *m_casparCgTemplate = nullptr;
    QDoubleSpinBox *m_themeScale = nullptr;
    QCheckBox *m_audiencePage = nullptr;
    QLineEdit *m_adminTokenFile = nullptr;
    QLabel *m_adminAccess = nullptr;
    QLabel *m_adminReach = nullptr; // shown when a token is set but the address is loopback
    bool m_remoteAdminOn = false;   // this run has a token (command line, environment or Settings)
    QString m_adminAccessText;      // the running engine's admin API reach, as shown
    PathChooser m_tokenPathChooser;
    QString m_generateProblem; // the last "Generate…" failure, until the path changes
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};
