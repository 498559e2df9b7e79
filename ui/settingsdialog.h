#pragma once

#include <QDialog>

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
// the next start; the dialog says so, because the lines may be open right now.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    explicit SettingsDialog(const ConsoleSettings &settings, QWidget *parent = nullptr);

    ConsoleSettings settings() const;
    QString problem() const; // empty when valid

private:
    void revalidate();
    void chooseExportFolder();

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
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};
