#include "resultscontrols.h"

#include <QAction>
#include <QDateTime>
#include <QEvent>
#include <QGridLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QToolButton>

#include "engine/consolebackend.h"
#include "publishdialog.h"

using namespace Qt::Literals::StringLiterals;

namespace {
QToolButton *bigButton(QAction *action, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    button->setMinimumHeight(36);
    button->setFocusPolicy(Qt::NoFocus);
    QFont font = button->font();
    font.setPointSize(13);
    font.setBold(true);
    button->setFont(font);
    return button;
}

QString withKey(const QString &text, const QAction *action)
{
    return u"%1 (%2)"_s.arg(text, action->shortcut().toString(QKeySequence::NativeText));
}

const QColor kDim(0x9a, 0xa0, 0xa8);
const QColor kOnAir(0x5f, 0xd0, 0x7a);
const QColor kFinal(0x6f, 0xa8, 0xff);
const QColor kRefused(0xff, 0x6b, 0x6b);
} // namespace

ResultsControls::ResultsControls(ConsoleBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
{
    m_publishAction = new QAction(tr("Publish…"), this);
    m_publishAction->setObjectName(u"publishAction"_s);
    m_publishAction->setShortcut(QKeySequence(Qt::Key_F9));
    m_publishAction->setToolTip(
        withKey(tr("Show what the graphics would get, then put it on air"), m_publishAction));
    connect(m_publishAction, &QAction::triggered, this, &ResultsControls::publish);

    m_finalizeAction = new QAction(tr("Finalize…"), this);
    m_finalizeAction->setObjectName(u"finalizeAction"_s);
    m_finalizeAction->setShortcut(QKeySequence(Qt::Key_F10));
    m_finalizeAction->setToolTip(
        withKey(tr("Recount from the store and certify the results (after the close, once exact)"),
                m_finalizeAction));
    connect(m_finalizeAction, &QAction::triggered, this, &ResultsControls::finalize);

    m_status = new QLabel(this);
    m_status->setObjectName(u"resultsStatusLabel"_s);
    m_status->setTextFormat(Qt::PlainText);
    // One line, elided, the whole text in the tooltip, placed by the window (the status bar):
    // the control column has no height to spare on a 1280 x 800 screen. A refusal's full text
    // is also on the alerts strip and in the event log.
    m_status->setFixedWidth(m_status->fontMetrics().horizontalAdvance(u'x') * 64);
    QFont statusFont = m_status->font();
    statusFont.setBold(true);
    m_status->setFont(statusFont);
    m_status->installEventFilter(this);

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setHorizontalSpacing(8);
    layout->setVerticalSpacing(6);
    layout->addWidget(bigButton(m_publishAction, this), 0, 0);
    layout->addWidget(bigButton(m_finalizeAction, this), 0, 1);

    connect(&m_backend, &ConsoleBackend::finalized, this, &ResultsControls::onFinalized);
    connect(&m_backend, &ConsoleBackend::finalizeFailed, this, &ResultsControls::onFinalizeFailed);
    setPublished(m_backend.published());
    updateEnabled();
}

void ResultsControls::setState(WindowState state)
{
    if (state == m_state)
        return;
    m_state = state;
    updateEnabled();
}

void ResultsControls::updateEnabled()
{
    const bool live =
        m_state == WindowState::Open || m_state == WindowState::Closing || m_state == WindowState::Closed;
    m_publishAction->setEnabled(live && !m_finalizing);
    m_finalizeAction->setEnabled(m_state == WindowState::Closed && !m_finalizing);
}

void ResultsControls::setPublished(const PublishedResultsPtr &published)
{
    const quint64 version = published ? published->publishVersion : 0;
    const bool final = published && published->final;
    if (version == m_shownVersion && final == m_shownFinal && !m_statusText.isEmpty())
        return;
    m_shownVersion = version;
    m_shownFinal = final;
    if (m_finalizing)
        return; // "recounting…" stays until the answer
    if (!published) {
        showStatus(m_finalText.isEmpty() ? tr("On air: nothing published yet") : m_finalText,
                   m_finalText.isEmpty() ? kDim : kRefused);
        return;
    }
    const QString time = QDateTime::fromMSecsSinceEpoch(published->publishedAtMs).toString(u"HH:mm:ss"_s);
    if (final) {
        showStatus(m_finalText.isEmpty()
                       ? tr("FINAL · certified, on air as version %1 since %2").arg(version).arg(time)
                       : m_finalText,
                   kFinal);
        return;
    }
    const QString onAir = tr("On air: version %1, taken %2").arg(version).arg(time);
    showStatus(m_finalText.isEmpty() ? onAir : m_finalText + u" · "_s + onAir,
               m_finalText.isEmpty() ? kOnAir : kRefused);
}

QString ResultsControls::statusText() const
{
    return m_statusText;
}

bool ResultsControls::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_status && event->type() == QEvent::Resize)
        elideStatus();
    return QWidget::eventFilter(watched, event);
}

void ResultsControls::elideStatus()
{
    m_status->setText(m_status->fontMetrics().elidedText(m_statusText, Qt::ElideRight, m_status->width()));
}

void ResultsControls::showStatus(const QString &text, const QColor &colour)
{
    m_statusText = text;
    m_status->setToolTip(text);
    elideStatus();
    QPalette palette = m_status->palette();
    palette.setColor(QPalette::WindowText, colour);
    m_status->setPalette(palette);
}

void ResultsControls::publish()
{
    if (!m_publishAction->isEnabled())
        return;
    const TallySnapshotPtr live = m_backend.tally();
    PublishDialog preview(m_backend.session(), m_backend.published(), *live, window());
    if (preview.exec() != QDialog::Accepted)
        return;
    QString error;
    if (!m_backend.publishResults(&error)) {
        QMessageBox::warning(window(), tr("Not published"),
                             tr("The results were not put on air:\n%1").arg(error));
        return;
    }
    setPublished(m_backend.published());
}

void ResultsControls::finalize()
{
    if (!m_finalizeAction->isEnabled())
        return;
    QMessageBox box(
        QMessageBox::Question, tr("Finalize the results?"),
        tr("votedesk recounts every stored vote and compares the count with the live tally. If they "
           "match, the results are certified and frozen, and put on air as final. This cannot be "
           "undone."),
        QMessageBox::Cancel, window());
    box.setObjectName(u"confirmFinalizeBox"_s);
    QPushButton *go = box.addButton(tr("Finalize"), QMessageBox::AcceptRole);
    go->setObjectName(u"confirmFinalizeButton"_s);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() != go)
        return;

    QString error;
    if (!m_backend.finalizeResults(&error)) {
        m_finalText = tr("Not finalized: %1").arg(error);
        showStatus(m_finalText, kRefused);
        return;
    }
    m_finalizing = true;
    m_finalText.clear();
    showStatus(tr("Recounting from the store…"), kDim);
    updateEnabled();
}

void ResultsControls::onFinalized(const FinalizationInputs &inputs)
{
    m_finalizing = false;
    m_finalText = tr("FINAL · recount matched: %1")
                      .arg(describeCounts(inputs.results.tally.exact, inputs.results.session));
    showStatus(m_finalText, kFinal);
    updateEnabled();
}

void ResultsControls::onFinalizeFailed(const QString &message)
{
    m_finalizing = false;
    m_finalText = tr("Not finalized: %1").arg(message);
    showStatus(m_finalText, kRefused);
    updateEnabled();
}
