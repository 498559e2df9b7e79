#include "sessioneditordialog.h"

#include <algorithm>

#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "theme.h"

using namespace Qt::Literals::StringLiterals;

namespace {
enum Column
{
    KeyColumn = 0,
    LabelColumn,
    ColourColumn,
    ColumnCount
};

void paintColourCell(QTableWidgetItem *item)
{
    const QColor colour(item->text().trimmed());
    if (colour.isValid() && item->text().trimmed().size() == 7) {
        item->setBackground(colour);
        item->setForeground(textColourOn(colour));
    } else {
        item->setBackground(QBrush());
        item->setForeground(QBrush());
    }
}
} // namespace

SessionEditorDialog::SessionEditorDialog(const SessionDefinition &initial, Purpose purpose, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(purpose == Purpose::Duplicate ? tr("Duplicate session") : tr("New session"));
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);

    m_title = new QLineEdit(initial.title, this);
    m_title->setObjectName(u"title"_s);
    m_title->setPlaceholderText(tr("e.g. Semi-final, vote 2"));
    form->addRow(tr("Title"), m_title);
    m_question = new QLineEdit(initial.question, this);
    m_question->setObjectName(u"question"_s);
    m_question->setPlaceholderText(tr("What the audience is asked"));
    form->addRow(tr("Question"), m_question);

    m_options = new QTableWidget(0, ColumnCount, this);
    m_options->setObjectName(u"options"_s);
    m_options->setHorizontalHeaderLabels({tr("Key"), tr("Label"), tr("Colour")});
    m_options->horizontalHeader()->setSectionResizeMode(KeyColumn, QHeaderView::ResizeToContents);
    m_options->horizontalHeader()->setSectionResizeMode(LabelColumn, QHeaderView::Stretch);
    m_options->horizontalHeader()->setSectionResizeMode(ColourColumn, QHeaderView::ResizeToContents);
    m_options->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_options->setSelectionMode(QAbstractItemView::SingleSelection);
    m_options->setMinimumHeight(220);
    m_options->setToolTip(
        tr("Key: what apps send (1-16 of A-Z a-z 0-9 _ -). Label: what the audience and the "
           "graphics see. Colour: #rrggbb."));
    m_addOption = new QPushButton(tr("Add"), this);
    m_addOption->setObjectName(u"addOption"_s);
    m_removeOption = new QPushButton(tr("Remove"), this);
    m_removeOption->setObjectName(u"removeOption"_s);
    m_moveUp = new QPushButton(tr("Up"), this);
    m_moveUp->setObjectName(u"moveOptionUp"_s);
    m_moveDown = new QPushButton(tr("Down"), this);
    m_moveDown->setObjectName(u"moveOptionDown"_s);
    m_colour = new QPushButton(tr("Colour…"), this);
    m_colour->setObjectName(u"chooseColour"_s);
    auto *optionButtons = new QVBoxLayout;
    for (QPushButton *button : {m_addOption, m_removeOption, m_moveUp, m_moveDown, m_colour})
        optionButtons->addWidget(button);
    optionButtons->addStretch(1);
    auto *optionRow = new QHBoxLayout;
    optionRow->addWidget(m_options, 1);
    optionRow->addLayout(optionButtons);
    form->addRow(tr("Options"), optionRow);

    m_windowSeconds = new QSpinBox(this);
    m_windowSeconds->setObjectName(u"windowSeconds"_s);
    m_windowSeconds->setRange(1, 24 * 3600);
    m_windowSeconds->setSuffix(tr(" s"));
    m_windowSeconds->setValue(int(std::clamp<qint64>(initial.windowMs / 1000, 1, 24 * 3600)));
    form->addRow(tr("Window length"), m_windowSeconds);
    m_lateToleranceMs = new QSpinBox(this);
    m_lateToleranceMs->setObjectName(u"lateToleranceMs"_s);
    m_lateToleranceMs->setRange(0, 60'000);
    m_lateToleranceMs->setSingleStep(100);
    m_lateToleranceMs->setSuffix(tr(" ms"));
    m_lateToleranceMs->setSpecialValueText(tr("none"));
    m_lateToleranceMs->setValue(int(std::clamp<qint64>(initial.lateToleranceMs, 0, 60'000)));
    m_lateToleranceMs->setToolTip(tr("Votes received this long after the close instant still count"));
    form->addRow(tr("Late tolerance"), m_lateToleranceMs);

    m_policy = new QComboBox(this);
    m_policy->setObjectName(u"policy"_s);
    m_policy->addItem(tr("Last vote counts (last_wins)"), QVariant::fromValue(int(VotePolicy::LastWins)));
    m_policy->addItem(tr("First vote counts (first_wins)"), QVariant::fromValue(int(VotePolicy::FirstWins)));
    m_policy->addItem(tr("Every vote counts (unlimited)"), QVariant::fromValue(int(VotePolicy::Unlimited)));
    m_policy->addItem(tr("Up to N votes per voter (capped)"), QVariant::fromValue(int(VotePolicy::Capped)));
    m_policy->setCurrentIndex(qMax(0, m_policy->findData(int(initial.policy))));
    m_voteCap = new QSpinBox(this);
    m_voteCap->setObjectName(u"voteCap"_s);
    m_voteCap->setRange(1, CountingRule::MaxVoteCap);
    m_voteCap->setPrefix(tr("N = "));
    m_voteCap->setValue(initial.voteCap > 0 ? initial.voteCap : 20);
    m_optionCap = new QSpinBox(this);
    m_optionCap->setObjectName(u"optionCap"_s);
    m_optionCap->setRange(0, CountingRule::MaxOptionCap);
    m_optionCap->setSpecialValueText(tr("no cap per option"));
    m_optionCap->setSuffix(tr(" per option"));
    m_optionCap->setValue(initial.optionCap);
    auto *policyRow = new QHBoxLayout;
    policyRow->addWidget(m_policy, 1);
    policyRow->addWidget(m_voteCap);
    policyRow->addWidget(m_optionCap);
    form->addRow(tr("Policy"), policyRow);

    m_visibility = new QComboBox(this);
    m_visibility->setObjectName(u"visibility"_s);
    m_visibility->addItem(tr("Only what the operator publishes"), int(ResultsVisibility::OnPublish));
    m_visibility->addItem(tr("Once the lines are closed"), int(ResultsVisibility::AfterClose));
    m_visibility->addItem(tr("Live from the start"), int(ResultsVisibility::Live));
    m_visibility->setCurrentIndex(qMax(0, m_visibility->findData(int(initial.visibility))));
    m_autoPublish = new QCheckBox(tr("Publish by itself once allowed"), this);
    m_autoPublish->setObjectName(u"autoPublish"_s);
    m_autoPublish->setChecked(initial.autoPublish);
    auto *visibilityRow = new QHBoxLayout;
    visibilityRow->addWidget(m_visibility, 1);
    visibilityRow->addWidget(m_autoPublish);
    form->addRow(tr("Results shown"), visibilityRow);

    m_voterId = new QComboBox(this);
    m_voterId->setObjectName(u"voterId"_s);
    m_voterId->addItem(tr("Browser (an id kept on the phone)"), u"browser"_s);
    m_voterId->addItem(tr("Link (?voter=… in the show's link)"), u"query"_s);
    m_voterId->addItem(tr("Code (typed by the voter)"), u"code"_s);
    m_voterId->setCurrentIndex(qMax(0, m_voterId->findData(initial.audienceVoterId)));
    form->addRow(tr("Audience page voter"), m_voterId);

    m_exportFolder = new QLineEdit(initial.exportFolder, this);
    m_exportFolder->setObjectName(u"exportFolder"_s);
    m_exportFolder->setPlaceholderText(tr("the folder in Settings"));
    auto *browse = new QPushButton(tr("Choose…"), this);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_exportFolder, 1);
    folderRow->addWidget(browse);
    form->addRow(tr("Export folder"), folderRow);

    m_rehearsal =
        new QCheckBox(tr("Rehearsal: simulated traffic allowed, everything marked REHEARSAL"), this);
    m_rehearsal->setObjectName(u"rehearsal"_s);
    m_rehearsal->setChecked(initial.rehearsal);
    form->addRow(tr("Rehearsal"), m_rehearsal);

    m_problem = new QLabel(this);
    m_problem->setObjectName(u"problem"_s);
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(u"color: #ff6b6b; font-weight: bold;"_s);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)
        ->setText(purpose == Purpose::Duplicate ? tr("Create copy") : tr("Create"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);

    m_filling = true;
    for (const VoteOption &option : initial.options)
        appendOptionRow(option);
    m_filling = false;

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_addOption, &QPushButton::clicked, this, &SessionEditorDialog::addOption);
    connect(m_removeOption, &QPushButton::clicked, this, &SessionEditorDialog::removeOption);
    connect(m_moveUp, &QPushButton::clicked, this, [this] { moveOption(-1); });
    connect(m_moveDown, &QPushButton::clicked, this, [this] { moveOption(+1); });
    connect(m_colour, &QPushButton::clicked, this, &SessionEditorDialog::chooseColour);
    connect(browse, &QPushButton::clicked, this, &SessionEditorDialog::chooseExportFolder);
    connect(m_options, &QTableWidget::cellChanged, this, &SessionEditorDialog::optionEdited);
    connect(m_options, &QTableWidget::itemSelectionChanged, this, &SessionEditorDialog::updateOptionButtons);
    connect(m_policy, &QComboBox::currentIndexChanged, this, &SessionEditorDialog::updatePolicyFields);
    for (QLineEdit *edit : {m_title, m_question, m_exportFolder})
        connect(edit, &QLineEdit::textChanged, this, &SessionEditorDialog::revalidate);
    for (QSpinBox *box : {m_windowSeconds, m_lateToleranceMs, m_voteCap, m_optionCap})
        connect(box, &QSpinBox::valueChanged, this, &SessionEditorDialog::revalidate);
    for (QComboBox *box : {m_visibility, m_voterId})
        connect(box, &QComboBox::currentIndexChanged, this, &SessionEditorDialog::revalidate);

    resize(760, 680);
    updatePolicyFields(); // revalidates
}

SessionDefinition SessionEditorDialog::blank()
{
    SessionDefinition def;
    def.title = tr("New vote");
    def.question = QString();
    def.options = {{u"A"_s, tr("Option A"), SessionDefinition::defaultColour(0)},
                   {u"B"_s, tr("Option B"), SessionDefinition::defaultColour(1)}};
    return def;
}

SessionDefinition SessionEditorDialog::duplicateOf(const SessionDefinition &source)
{
    SessionDefinition copy = source;
    copy.id = 0;
    copy.title = tr("%1 (copy)").arg(source.title).left(200);
    return copy;
}

SessionDefinition SessionEditorDialog::definition() const
{
    SessionDefinition def;
    def.title = m_title->text().trimmed();
    def.question = m_question->text().trimmed();
    for (int row = 0; row < m_options->rowCount(); ++row) {
        auto text = [this, row](int column) {
            const QTableWidgetItem *item = m_options->item(row, column);
            return item ? item->text().trimmed() : QString();
        };
        def.options.append({text(KeyColumn), text(LabelColumn), text(ColourColumn).toLower()});
    }
    def.windowMs = qint64(m_windowSeconds->value()) * 1000;
    def.lateToleranceMs = m_lateToleranceMs->value();
    def.policy = VotePolicy(m_policy->currentData().toInt());
    def.voteCap = def.policy == VotePolicy::Capped ? m_voteCap->value() : 0;
    def.optionCap = m_optionCap->isEnabled() ? m_optionCap->value() : 0;
    def.visibility = ResultsVisibility(m_visibility->currentData().toInt());
    def.autoPublish = m_autoPublish->isChecked();
    def.audienceVoterId = m_voterId->currentData().toString();
    def.exportFolder = m_exportFolder->text().trimmed();
    def.rehearsal = m_rehearsal->isChecked();
    return def;
}

SessionProblem SessionEditorDialog::problem() const
{
    return definition().check();
}

void SessionEditorDialog::appendOptionRow(const VoteOption &option)
{
    const int row = m_options->rowCount();
    m_options->insertRow(row);
    m_options->setItem(row, KeyColumn, new QTableWidgetItem(option.key));
    m_options->setItem(row, LabelColumn, new QTableWidgetItem(option.label));
    auto *colour = new QTableWidgetItem(option.colour);
    paintColourCell(colour);
    m_options->setItem(row, ColourColumn, colour);
}

QString SessionEditorDialog::unusedKey() const
{
    const SessionDefinition current = definition();
    for (char c = 'A'; c <= 'Z'; ++c) {
        const QString key(QLatin1Char{c});
        if (current.indexOf(key) < 0)
            return key;
    }
    for (int n = 1;; ++n) {
        const QString key = u"O%1"_s.arg(n);
        if (current.indexOf(key) < 0)
            return key;
    }
}

void SessionEditorDialog::addOption()
{
    if (m_options->rowCount() >= SessionDefinition::MaxOptions)
        return;
    const QString key = unusedKey();
    m_filling = true;
    appendOptionRow({key, tr("Option %1").arg(key), SessionDefinition::defaultColour(m_options->rowCount())});
    m_filling = false;
    m_options->setCurrentCell(m_options->rowCount() - 1, LabelColumn);
    revalidate();
}

void SessionEditorDialog::removeOption()
{
    const int row = m_options->currentRow();
    if (row < 0)
        return;
    m_options->removeRow(row);
    if (m_options->rowCount() > 0)
        m_options->setCurrentCell(qMin(row, m_options->rowCount() - 1), KeyColumn);
    revalidate();
}

void SessionEditorDialog::moveOption(int delta)
{
    const int row = m_options->currentRow();
    const int target = row + delta;
    if (row < 0 || target < 0 || target >= m_options->rowCount())
        return;
    m_filling = true;
    for (int column = 0; column < ColumnCount; ++column) {
        QTableWidgetItem *moving = m_options->takeItem(row, column);
        QTableWidgetItem *other = m_options->takeItem(target, column);
        m_options->setItem(target, column, moving);
        m_options->setItem(row, column, other);
    }
    m_filling = false;
    m_options->setCurrentCell(target,
                              m_options->currentColumn() < 0 ? KeyColumn : m_options->currentColumn());
    revalidate();
}

void SessionEditorDialog::chooseColour()
{
    const int row = m_options->currentRow();
    if (row < 0)
        return;
    QTableWidgetItem *item = m_options->item(row, ColourColumn);
    const QColor chosen = QColorDialog::getColor(QColor(item->text()), this, tr("Colour of the option"));
    if (chosen.isValid())
        item->setText(chosen.name()); // cellChanged paints and revalidates
}

void SessionEditorDialog::chooseExportFolder()
{
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Export folder"), m_exportFolder->text());
    if (!folder.isEmpty())
        m_exportFolder->setText(folder);
}

void SessionEditorDialog::optionEdited(int row, int column)
{
    if (m_filling)
        return;
    if (column == ColourColumn) {
        const QSignalBlocker blocker(m_options);
        paintColourCell(m_options->item(row, column));
    }
    revalidate();
}

void SessionEditorDialog::updatePolicyFields()
{
    const auto policy = VotePolicy(m_policy->currentData().toInt());
    m_voteCap->setEnabled(policy == VotePolicy::Capped);
    // An option cap only means something where a voter's votes can add up.
    m_optionCap->setEnabled(policy == VotePolicy::Unlimited || policy == VotePolicy::Capped);
    revalidate();
}

void SessionEditorDialog::updateOptionButtons()
{
    const int row = m_options->currentRow();
    const int rows = m_options->rowCount();
    m_addOption->setEnabled(rows < SessionDefinition::MaxOptions);
    m_removeOption->setEnabled(row >= 0);
    m_moveUp->setEnabled(row > 0);
    m_moveDown->setEnabled(row >= 0 && row < rows - 1);
    m_colour->setEnabled(row >= 0);
}

void SessionEditorDialog::markInvalid(QWidget *widget, bool invalid)
{
    widget->setStyleSheet(invalid ? u"border: 2px solid #ff6b6b;"_s : QString());
}

void SessionEditorDialog::revalidate()
{
    if (m_filling)
        return;
    const SessionProblem found = problem();
    m_problem->setText(found.message.isEmpty() ? QString() : tr("Cannot create yet: %1").arg(found.message));
    m_problem->setVisible(!found.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(found.isEmpty());

    const bool any = !found.isEmpty();
    markInvalid(m_title, any && found.field == SessionField::Title);
    markInvalid(m_question, any && found.field == SessionField::Question);
    markInvalid(m_windowSeconds, any && found.field == SessionField::WindowLength);
    markInvalid(m_lateToleranceMs, any && found.field == SessionField::LateTolerance);
    markInvalid(m_policy, any && found.field == SessionField::Policy);
    markInvalid(m_exportFolder, any && found.field == SessionField::ExportFolder);
    const bool optionProblem = any && (found.field == SessionField::Options || found.option >= 0);
    markInvalid(m_options, optionProblem);
    if (any && found.option >= 0 && found.option < m_options->rowCount()) {
        // Point at the cell: the row is selected, so the operator sees which option it is.
        const int column = found.field == SessionField::OptionKey     ? KeyColumn
                           : found.field == SessionField::OptionLabel ? LabelColumn
                                                                      : ColourColumn;
        const QSignalBlocker blocker(m_options);
        m_options->setCurrentCell(found.option, column);
        m_options->scrollToItem(m_options->item(found.option, column));
    }
    updateOptionButtons();
}
