#include "sessionheader.h"

#include <QClipboard>
#include <QEvent>
#include <QFontDatabase>
#include <QGridLayout>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

#include "session/sessiondefinition.h"

using namespace Qt::Literals::StringLiterals;

SessionHeader::SessionHeader(QWidget *parent)
    : QWidget(parent)
{
    m_questionLabel = new QLabel(this);
    m_questionLabel->setObjectName(u"questionLabel"_s);
    m_questionLabel->setTextFormat(Qt::PlainText);
    QFont questionFont = m_questionLabel->font();
    questionFont.setPointSize(26);
    questionFont.setBold(true);
    m_questionLabel->setFont(questionFont);
    // One line whatever the question's length: a wrapped question would push the whole
    // console down mid-show. A long one is elided (full text in the tooltip).
    m_questionLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_questionLabel->setMinimumWidth(200);
    m_questionLabel->installEventFilter(this);

    m_detailsLabel = new QLabel(this);
    m_detailsLabel->setObjectName(u"sessionDetailsLabel"_s);
    m_detailsLabel->setTextFormat(Qt::PlainText);
    m_detailsLabel->setForegroundRole(QPalette::PlaceholderText);

    auto *urlCaption = new QLabel(tr("Votes to"), this);
    urlCaption->setForegroundRole(QPalette::PlaceholderText);
    // A read-only field rather than a label: it selects and copies like any text field and
    // shows the whole address however long the host name.
    m_urlField = new QLineEdit(this);
    m_urlField->setObjectName(u"ingestUrlField"_s);
    m_urlField->setReadOnly(true);
    QFont urlFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    urlFont.setPointSize(12);
    m_urlField->setFont(urlFont);
    m_urlField->setToolTip(tr("POST votes here, e.g. {\"voter\":\"u123\",\"option\":\"A\"}"));
    // Focus only by a click: as the first field of the window it would otherwise get the
    // keyboard at start, and a text field keeps the window's one-key shortcuts to itself.
    // Escape hands the keyboard back to the window.
    m_urlField->setFocusPolicy(Qt::ClickFocus);
    m_urlField->installEventFilter(this);
    urlCaption->setBuddy(m_urlField);

    m_copyButton = new QPushButton(tr("Copy"), this);
    m_copyButton->setObjectName(u"copyIngestUrlButton"_s);
    m_copyButton->setToolTip(tr("Copy the ingest address to the clipboard, for the web and app team"));
    m_copyButton->setAutoDefault(false);
    connect(m_copyButton, &QPushButton::clicked, this, &SessionHeader::copyIngestUrl);

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setHorizontalSpacing(8);
    layout->addWidget(m_questionLabel, 0, 0, 1, 4);
    layout->addWidget(m_detailsLabel, 1, 0);
    layout->addWidget(urlCaption, 1, 1, Qt::AlignRight);
    layout->addWidget(m_urlField, 1, 2);
    layout->addWidget(m_copyButton, 1, 3);
    layout->setColumnStretch(0, 1);
}

void SessionHeader::setSession(const SessionDefinition &session)
{
    m_question = session.question.isEmpty() ? session.title : session.question;
    m_questionLabel->setToolTip(m_question);
    elideQuestion();
    // Sessions have 2 to 64 options, so the plural never needs a singular.
    m_detailsLabel->setText(
        tr("%1 · %2 options · %3")
            .arg(session.title, QString::number(session.options.size()), session.policyText()));
}

void SessionHeader::setIngestUrl(const QString &url)
{
    m_urlField->setText(url);
    m_urlField->setCursorPosition(0);
    // Wide enough for the whole address and no wider: the details on the left keep the rest.
    const QFontMetrics metrics(m_urlField->font());
    m_urlField->setFixedWidth(metrics.horizontalAdvance(url) + 2 * metrics.averageCharWidth() + 12);
}

QString SessionHeader::questionText() const
{
    return m_question;
}

bool SessionHeader::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_questionLabel && event->type() == QEvent::Resize)
        elideQuestion();
    if (watched == m_urlField && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape) {
        m_urlField->deselect();
        m_urlField->clearFocus();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void SessionHeader::elideQuestion()
{
    const QString shown =
        m_questionLabel->fontMetrics().elidedText(m_question, Qt::ElideRight, m_questionLabel->width());
    if (m_questionLabel->text() != shown)
        m_questionLabel->setText(shown);
}

QString SessionHeader::ingestUrlText() const
{
    return m_urlField->text();
}

void SessionHeader::copyIngestUrl()
{
    const QString url = m_urlField->text();
    if (url.isEmpty())
        return;
    QGuiApplication::clipboard()->setText(url);
    // Copied: the keyboard goes back to the window's shortcuts.
    m_urlField->clearFocus();
    Q_EMIT ingestUrlCopied(url);
}
