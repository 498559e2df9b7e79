#include "settingsdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

#include "access/admintoken.h"

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

// Lines broken by hand: a word-wrapped label in a form layout is given too little height.
QString adminAccessText(const AdminAccess &access)
{
    if (access.remote) {
        QString text =
            SettingsDialog::tr("Remote admin is on in this run: \u201cAuthorization: Bearer <token>\u201d "
                               "is let in from any address.\nToken from %1")
                .arg(access.source);
        if (!access.source.startsWith(u"Settings: "_s))
            text += SettingsDialog::tr(" (wins over the file set here)");
        return text + u'.';
    }
    if (!access.problem.isEmpty())
        return SettingsDialog::tr("Remote admin is off in this run (loopback only):\n%1.")
            .arg(access.problem);
    return SettingsDialog::tr(
        "Remote admin is off in this run: no admin token, the admin API answers only on "
        "loopback.");
}

QString chooseNewTokenFile(QWidget *parent, const QString &suggested)
{
    QDir().mkpath(QFileInfo(suggested).absolutePath());
    return QFileDialog::getSaveFileName(parent, SettingsDialog::tr("New admin token file"), suggested);
}
} // namespace

SettingsDialog::SettingsDialog(const ConsoleSettings &settings, const AdminAccess &adminAccess,
                               QWidget *parent)
    : QDialog(parent)
    , m_tokenPathChooser(chooseNewTokenFile)
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
    m_adminTokenFile = new QLineEdit(settings.adminTokenFile, this);
    m_adminTokenFile->setObjectName(u"adminTokenFile"_s);
    m_adminTokenFile->setPlaceholderText(tr("none: the admin API answers only on loopback"));
    m_adminTokenFile->setToolTip(
        tr("A file readable by its owner only (chmod 600) holding the admin token: show automation on other "
           "machines sends it as \u201cAuthorization: Bearer <token>\u201d. --admin-token-file and "
           "VOTEDESK_ADMIN_TOKEN win over it."));
    auto *chooseToken = new QPushButton(tr("Choose…"), this);
    chooseToken->setObjectName(u"chooseAdminTokenFile"_s);
    auto *generateToken = new QPushButton(tr("Generate…"), this);
    generateToken->setObjectName(u"generateAdminToken"_s);
    generateToken->setToolTip(
        tr("Write a new random token (256 bits) to a file only you can read, and use it"));
    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_adminTokenFile, 1);
    tokenRow->addWidget(chooseToken);
    tokenRow->addWidget(generateToken);
    form->addRow(tr("Admin token file"), tokenRow);
    m_adminAccessText = adminAccessText(adminAccess);
    m_remoteAdminOn = adminAccess.remote;
    m_adminAccess = new QLabel(m_adminAccessText, this);
    m_adminAccess->setObjectName(u"adminAccess"_s);
    m_adminAccess->setTextFormat(Qt::PlainText); // "<token>" and file paths are not markup
    m_adminAccess->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(m_adminAccess); // the whole width: paths are long
    // A token with a loopback listen address opens nothing to other machines: said next to it,
    // since "remote admin is on" would otherwise read as reachable.
    m_adminReach = new QLabel(tr("Only this machine reaches votedesk on a loopback address: for the token "
                                 "to let other machines in,\nset \u201cListen on address\u201d to "
                                 "0.0.0.0 or the show network's address."),
                              this);
    m_adminReach->setObjectName(u"adminReach"_s);
    m_adminReach->setStyleSheet(u"color: #f5a623;"_s);
    form->addRow(m_adminReach);

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
    m_csvByteOrderMark = new QCheckBox(tr("Byte order mark on the CSV files (for Excel)"), this);
    m_csvByteOrderMark->setObjectName(u"csvByteOrderMark"_s);
    m_csvByteOrderMark->setChecked(settings.csvByteOrderMark);
    form->addRow(tr("CSV"), m_csvByteOrderMark);
    m_pseudonymiseVoters = new QCheckBox(tr("Pseudonymise voter ids in the results pack"), this);
    m_pseudonymiseVoters->setObjectName(u"pseudonymiseVoters"_s);
    m_pseudonymiseVoters->setChecked(settings.pseudonymiseVoters);
    m_pseudonymiseVoters->setToolTip(tr("HMAC-SHA-256 with a per-session secret kept next to the database: "
                                        "voter ids may be phone numbers."));
    form->addRow(tr("Results pack"), m_pseudonymiseVoters);

    m_casparCgHost = new QLineEdit(settings.casparCgHost, this);
    m_casparCgHost->setObjectName(u"casparCgHost"_s);
    m_casparCgHost->setPlaceholderText(tr("off"));
    m_casparCgHost->setToolTip(tr("CasparCG server: each publish is sent as CG UPDATE over AMCP."));
    m_casparCgPort = spinBox(1, 65535, qBound(1, settings.casparCgPort, 65535), {}, this);
    m_casparCgPort->setObjectName(u"casparCgPort"_s);
    m_casparCgPort->setGroupSeparatorShown(false);
    auto *casparRow = new QHBoxLayout;
    casparRow->addWidget(m_casparCgHost, 1);
    casparRow->addWidget(m_casparCgPort);
    form->addRow(tr("CasparCG host, port"), casparRow);
    m_casparCgChannelLayer = new QLineEdit(settings.casparCgChannelLayer, this);
    m_casparCgChannelLayer->setObjectName(u"casparCgChannelLayer"_s);
    m_casparCgTemplateLayer = spinBox(0, 9999, qMax(0, settings.casparCgTemplateLayer), {}, this);
    m_casparCgTemplateLayer->setObjectName(u"casparCgTemplateLayer"_s);
    auto *layerRow = new QHBoxLayout;
    layerRow->addWidget(m_casparCgChannelLayer, 1);
    layerRow->addWidget(m_casparCgTemplateLayer);
    form->addRow(tr("CasparCG channel-layer, CG layer"), layerRow);
    m_casparCgTemplate = new QLineEdit(settings.casparCgTemplate, this);
    m_casparCgTemplate->setObjectName(u"casparCgTemplate"_s);
    m_casparCgTemplate->setPlaceholderText(tr("none: only UPDATE a template loaded on the rundown"));
    m_casparCgTemplate->setToolTip(tr("Loaded with CG ADD on the first connection, not played."));
    form->addRow(tr("CasparCG template"), m_casparCgTemplate);
    m_themeScale = new QDoubleSpinBox(this);
    m_themeScale->setObjectName(u"themeScale"_s);
    m_themeScale->setRange(0.5, 3.0);
    m_themeScale->setSingleStep(0.25);
    m_themeScale->setValue(settings.themeScale);
    m_themeScale->setSuffix(u"\u00d7"_s);
    form->addRow(tr("Type size"), m_themeScale);

    auto *note = new QLabel(
        tr("Network, ingest, admin token and type size settings take effect the next time votedesk starts."),
        this);
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
    connect(chooseToken, &QPushButton::clicked, this, &SettingsDialog::chooseAdminTokenFile);
    connect(generateToken, &QPushButton::clicked, this, &SettingsDialog::generateAdminToken);
    connect(m_adminTokenFile, &QLineEdit::textChanged, this, [this] {
        m_generateProblem.clear();
        revalidate();
    });
    for (QLineEdit *edit : {m_casparCgHost, m_casparCgChannelLayer, m_casparCgTemplate})
        connect(edit, &QLineEdit::textChanged, this, &SettingsDialog::revalidate);
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
    s.csvByteOrderMark = m_csvByteOrderMark->isChecked();
    s.pseudonymiseVoters = m_pseudonymiseVoters->isChecked();
    s.casparCgHost = m_casparCgHost->text().trimmed();
    s.casparCgPort = m_casparCgPort->value();
    s.casparCgChannelLayer = m_casparCgChannelLayer->text().trimmed();
    s.casparCgTemplateLayer = m_casparCgTemplateLayer->value();
    s.casparCgTemplate = m_casparCgTemplate->text().trimmed();
    s.themeScale = m_themeScale->value();
    s.audiencePage = m_audiencePage->isChecked();
    s.adminTokenFile = m_adminTokenFile->text().trimmed();
    return s;
}

QString SettingsDialog::problem() const
{
    const ConsoleSettings chosen = settings();
    if (const QString problem = chosen.validate(); !problem.isEmpty())
        return problem;
    if (!m_generateProblem.isEmpty())
        return m_generateProblem;
    // The file as the server will read it at the next start: found now, not on the night.
    return chosen.adminTokenFileProblem();
}

void SettingsDialog::revalidate()
{
    const QString text = problem();
    m_problem->setText(text);
    m_problem->setVisible(!text.isEmpty());
    const QHostAddress bind(m_bind->text().trimmed());
    const bool loopbackOnly = m_bind->text().trimmed() == u"localhost"_s || bind.isLoopback();
    const bool tokenSet = m_remoteAdminOn || !m_adminTokenFile->text().trimmed().isEmpty();
    m_adminReach->setVisible(tokenSet && loopbackOnly);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(text.isEmpty());
}

void SettingsDialog::chooseExportFolder()
{
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Export folder"), settings().effectiveExportFolder());
    if (!folder.isEmpty())
        m_exportFolder->setText(folder);
}

void SettingsDialog::chooseAdminTokenFile()
{
    const QString current = m_adminTokenFile->text().trimmed();
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Admin token file"),
        current.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) : current);
    if (!file.isEmpty())
        m_adminTokenFile->setText(file);
}

void SettingsDialog::generateAdminToken()
{
    const QString current = m_adminTokenFile->text().trimmed();
    const QString suggested = !current.isEmpty() && !QDir::isRelativePath(current)
                                  ? current
                                  : QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation))
                                        .filePath(u"admin.token"_s);
    const QString path = m_tokenPathChooser ? m_tokenPathChooser(this, suggested) : QString();
    if (path.isEmpty())
        return;
    QByteArray token;
    QString error;
    if (!AdminToken::writeNewFile(path, &token, &error)) {
        m_generateProblem = error; // named under the form until the path is edited
        revalidate();
        return;
    }
    m_adminTokenFile->setText(path);
    m_generateProblem.clear();
    m_adminAccess->setText(m_adminAccessText + u"\n"_s +
                           tr("New token written to %1: it applies from the next start.").arg(path));
    revalidate();
    adjustSize(); // room for the longer note
}
