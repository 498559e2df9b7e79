#include "settingsdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace {
QSpinBox *spinBox(int minimum, int maximum, int value, const QString &suffix, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(minimum, maximum);
    box->setValue(value);
    box->setSuffix(suffix);
    box->setGroupSeparatorShown(true);
    return box;
}
} // namespace

SettingsDialog::SettingsDialog(const ConsoleSettings &settings, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("votedesk settings"));
    auto *form = new QFormLayout;

    m_bind = new QLineEdit(settings.bindAddress, this);
    m_bind->setObjectName(u"bindAddress"_s);
    m_bind->setToolTip(
        tr("127.0.0.1: this machine only. 0.0.0.0: every network interface (phones on the LAN)."));
    form->addRow(tr("Listen on address"), m_bind);
    m_port = spinBox(0, 65535, settings.port, {}, this);
    m_port->setObjectName(u"port"_s);
    m_port->setGroupSeparatorShown(false);
    m_port->setSpecialValueText(tr("any free port"));
    form->addRow(tr("Port"), m_port);
    m_ioThreads = spinBox(0, 256, settings.ioThreads, {}, this);
    m_ioThreads->setObjectName(u"ioThreads"_s);
    m_ioThreads->setSpecialValueText(tr("one per core"));
    form->addRow(tr("I/O threads"), m_ioThreads);
    m_audiencePage = new QCheckBox(tr("Serve the voting page for phones at /"), this);
    m_audiencePage->setObjectName(u"audiencePage"_s);
    m_audiencePage->setChecked(settings.audiencePage);
    m_audiencePage->setToolTip(tr("On for rehearsals and local events; off when the show uses its own app."));
    form->addRow(tr("Audience page"), m_audiencePage);

    m_durability = new QComboBox(this);
    m_durability->setObjectName(u"durability"_s);
    m_durability->addItem(tr("Full: every acknowledged vote survives a power cut"), u"full"_s);
    m_durability->addItem(tr("Normal: survives a crash, not a power cut"), u"normal"_s);
    m_durability->setCurrentIndex(qMax(0, m_durability->findData(settings.durability)));
    form->addRow(tr("Durability"), m_durability);
    m_queueCapacity =
        spinBox(1, 100'000'000, int(qMin<qint64>(settings.queueCapacity, 100'000'000)), tr(" votes"), this);
    m_queueCapacity->setObjectName(u"queueCapacity"_s);
    form->addRow(tr("Queue capacity"), m_queueCapacity);
    m_batchSize = spinBox(1, 1'000'000, int(qMin<qint64>(settings.batchSize, 1'000'000)), tr(" votes"), this);
    m_batchSize->setObjectName(u"batchSize"_s);
    form->addRow(tr("Group commit size"), m_batchSize);
    m_batchWindow = spinBox(0, 10'000, settings.batchWindowMs, tr(" ms"), this);
    m_batchWindow->setObjectName(u"batchWindowMs"_s);
    m_batchWindow->setSpecialValueText(tr("none (commit what is queued)"));
    form->addRow(tr("Group commit window"), m_batchWindow);

    m_exportFolder = new QLineEdit(settings.exportFolder, this);
    m_exportFolder->setObjectName(u"exportFolder"_s);
    m_exportFolder->setPlaceholderText(settings.effectiveExportFolder());
    auto *browse = new QPushButton(tr("Choose…"), this);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_exportFolder, 1);
    folderRow->addWidget(browse);
    form->addRow(tr("Export folder"), folderRow);
    m_exportInterval = spinBox(1, 3600, settings.exportIntervalSeconds, tr(" s"), this);
    m_exportInterval->setObjectName(u"exportIntervalSeconds"_s);
    form->addRow(tr("Export every"), m_exportInterval);
    m_themeScale = new QDoubleSpinBox(this);
    m_themeScale->setObjectName(u"themeScale"_s);
    m_themeScale->setRange(0.5, 3.0);
    m_themeScale->setSingleStep(0.25);
    m_themeScale->setValue(settings.themeScale);
    m_themeScale->setSuffix(u"\u00d7"_s);
    form->addRow(tr("Type size"), m_themeScale);

    auto *note = new QLabel(
        tr("Network, ingest and type size settings take effect the next time votedesk starts."), this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    m_problem = new QLabel(this);
    m_problem->setObjectName(u"problem"_s);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(u"color: #ff6b6b; font-weight: bold;"_s);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, &SettingsDialog::chooseExportFolder);
    connect(m_bind, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    connect(m_exportFolder, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
    revalidate();
}

ConsoleSettings SettingsDialog::settings() const
{
    ConsoleSettings s;
    s.bindAddress = m_bind->text().trimmed();
    s.port = m_port->value();
    s.ioThreads = m_ioThreads->value();
    s.durability = m_durability->currentData().toString();
    s.queueCapacity = m_queueCapacity->value();
    s.batchSize = m_batchSize->value();
    s.batchWindowMs = m_batchWindow->value();
    s.exportFolder = m_exportFolder->text().trimmed();
    s.exportIntervalSeconds = m_exportInterval->value();
    s.themeScale = m_themeScale->value();
    s.audiencePage = m_audiencePage->isChecked();
    return s;
}

QString SettingsDialog::problem() const
{
    return settings().validate();
}

void SettingsDialog::revalidate()
{
    const QString text = problem();
    m_problem->setText(text);
    m_problem->setVisible(!text.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(text.isEmpty());
}

void SettingsDialog::chooseExportFolder()
{
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Export folder"), settings().effectiveExportFolder());
    if (!folder.isEmpty())
        m_exportFolder->setText(folder);
}
