#include "replaydialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "engine/consolebackend.h"
#include "numberformat.h"

using namespace Qt::Literals::StringLiterals;

namespace {
qint64 countAt(const std::vector<qint64> &counts, int index)
{
    return index >= 0 && size_t(index) < counts.size() ? counts[size_t(index)] : 0;
}
} // namespace

ReplayDialog::ReplayDialog(ConsoleBackend &backend, QWidget *parent)
    : QDialog(parent)
    , m_backend(backend)
{
    setObjectName(u"replayDialog"_s);
    setWindowTitle(tr("Replay under another counting policy"));

    m_policy = new QComboBox(this);
    m_policy->setObjectName(u"replayPolicy"_s);
    m_policy->addItem(tr("Last vote wins"), u"last_wins"_s);
    m_policy->addItem(tr("First vote wins"), u"first_wins"_s);
    m_policy->addItem(tr("Every vote counts (unlimited)"), u"unlimited"_s);
    m_policy->addItem(tr("Capped: each voter's first N votes"), u"capped"_s);
    m_voteCap = new QSpinBox(this);
    m_voteCap->setObjectName(u"replayVoteCap"_s);
    m_voteCap->setRange(1, CountingRule::MaxVoteCap);
    m_voteCap->setValue(20);
    m_voteCap->setPrefix(u"N = "_s);
    m_optionCap = new QSpinBox(this);
    m_optionCap->setObjectName(u"replayOptionCap"_s);
    m_optionCap->setRange(0, CountingRule::MaxOptionCap);
    m_optionCap->setSpecialValueText(tr("no cap"));
    m_optionCap->setToolTip(
        tr("Most votes of one voter that count for one option (unlimited and capped only)"));

    auto *policyRow = new QHBoxLayout;
    policyRow->addWidget(m_policy, 1);
    policyRow->addWidget(m_voteCap);
    auto *form = new QFormLayout;
    form->addRow(tr("Policy"), policyRow);
    form->addRow(tr("Per option"), m_optionCap);

    auto *note = new QLabel(tr("A replay changes nothing: the live tally, the results on air and the stored "
                               "votes stay as they are. It is noted in the event log."),
                            this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);

    m_message = new QLabel(this);
    m_message->setObjectName(u"replayMessage"_s);
    m_message->setWordWrap(true);

    m_table = new QTableWidget(0, 4, this);
    m_table->setObjectName(u"replayTable"_s);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_replayButton = buttons->addButton(tr("Replay"), QDialogButtonBox::ActionRole);
    m_replayButton->setObjectName(u"replayButton"_s);
    m_replayButton->setDefault(true);
    connect(m_replayButton, &QPushButton::clicked, this, &ReplayDialog::replay);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_message);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(640, 480);

    connect(m_policy, &QComboBox::currentIndexChanged, this, &ReplayDialog::updateCapEnabled);
    connect(&m_backend, &ConsoleBackend::policyReplayReady, this, &ReplayDialog::onReplay);
    // The session's own rule is the first question's baseline; the other one is more telling.
    const CountingRule live = m_backend.session().rule();
    setPolicy(live.policy == VotePolicy::FirstWins ? u"last_wins"_s : u"first_wins"_s);
}

QString ReplayDialog::policyText() const
{
    const QString policy = m_policy->currentData().toString();
    return policy == u"capped"_s ? u"capped:%1"_s.arg(m_voteCap->value()) : policy;
}

int ReplayDialog::optionCap() const
{
    return m_optionCap->value();
}

void ReplayDialog::setPolicy(const QString &policy, int optionCap)
{
    CountingRule rule;
    if (!CountingRule::parsePolicy(policy, &rule))
        return;
    m_policy->setCurrentIndex(qMax(0, m_policy->findData(votePolicyName(rule.policy))));
    if (rule.policy == VotePolicy::Capped)
        m_voteCap->setValue(rule.voteCap);
    m_optionCap->setValue(optionCap);
    updateCapEnabled();
}

void ReplayDialog::updateCapEnabled()
{
    const QString policy = m_policy->currentData().toString();
    m_voteCap->setEnabled(policy == u"capped"_s);
    m_optionCap->setEnabled(policy == u"capped"_s || policy == u"unlimited"_s);
    if (!m_optionCap->isEnabled())
        m_optionCap->setValue(0);
}

bool ReplayDialog::replay()
{
    QString error;
    if (!m_backend.replayPolicy(policyText(), optionCap(), &error)) {
        m_message->setText(tr("Cannot replay: %1").arg(error));
        return false;
    }
    m_waiting = true;
    m_message->setText(tr("Replaying the stored votes under %1…").arg(policyText()));
    return true;
}

QString ReplayDialog::messageText() const
{
    return m_message->text();
}

void ReplayDialog::onReplay(const PolicyReplay &replay)
{
    if (!m_waiting)
        return; // somebody else's (the admin API's) replay
    m_waiting = false;
    if (!replay.ok) {
        m_message->setText(tr("The replay failed: %1").arg(replay.error));
        return;
    }
    const SessionDefinition session = m_backend.session();
    m_table->clear();
    m_table->setColumnCount(4);
    m_table->setHorizontalHeaderLabels({tr("Option"), tr("Live (%1)").arg(replay.liveRule.describe()),
                                        tr("Replay (%1)").arg(replay.rule.describe()), tr("Difference")});
    m_table->setRowCount(int(session.options.size()) + 2);
    auto setRow = [this](int row, const QString &label, qint64 live, qint64 replayed) {
        const qint64 delta = replayed - live;
        const QStringList cells{label, formatCount(live), formatCount(replayed),
                                delta == 0 ? u"—"_s
                                           : (delta > 0 ? u"+"_s : u"−"_s) + formatCount(qAbs(delta))};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells.at(column));
            if (column > 0)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (column == 3 && delta != 0) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
            }
            m_table->setItem(row, column, item);
        }
    };
    for (int i = 0; i < session.options.size(); ++i)
        setRow(i, u"%1 · %2"_s.arg(session.options.at(i).key, session.options.at(i).label),
               countAt(replay.live.exact, i), countAt(replay.replayed.exact, i));
    setRow(int(session.options.size()), tr("Votes received"), replay.live.accepted, replay.replayed.accepted);
    setRow(int(session.options.size()) + 1, tr("Voters"), replay.live.uniqueVoters,
           replay.replayed.uniqueVoters);

    int differing = 0;
    for (const TallyDifference &difference : replay.differences)
        differing += difference.field == TallyDifference::Field::Exact;
    const QString rule = replay.rule.describe();
    if (differing == 0)
        m_message->setText(tr("Same result under %1: no option changes.").arg(rule));
    else if (differing == 1)
        m_message->setText(tr("1 option would differ under %1. Nothing was changed.").arg(rule));
    else
        m_message->setText(
            tr("%1 options would differ under %2. Nothing was changed.").arg(differing).arg(rule));
    // The fraud panel's exclusions are part of what certifying would count: say so.
    if (!replay.exclusions.isEmpty()) {
        m_message->setText(m_message->text() + u' ' +
                           tr("Left out, as finalize will: %1 votes of %2 excluded voters.")
                               .arg(replay.excludedVotes)
                               .arg(replay.exclusions.size()));
    }
}
