#include "sessionheader.h"

#include <QFontDatabase>
#include <QGridLayout>
#include <QLabel>

#include "session/sessiondefinition.h"

using namespace Qt::Literals::StringLiterals;

SessionHeader::SessionHeader(QWidget *parent)
    : QWidget(parent)
{
    m_questionLabel = new QLabel(this);
    m_questionLabel->setObjectName(u"questionLabel"_s);
    m_questionLabel->setWordWrap(true);
    m_questionLabel->setTextFormat(Qt::PlainText);
    QFont questionFont = m_questionLabel->font();
    questionFont.setPointSize(26);
    questionFont.setBold(true);
    m_questionLabel->setFont(questionFont);

    m_detailsLabel = new QLabel(this);
    m_detailsLabel->setObjectName(u"sessionDetailsLabel"_s);
    m_detailsLabel->setTextFormat(Qt::PlainText);
    m_detailsLabel->setForegroundRole(QPalette::PlaceholderText);

    auto *urlCaption = new QLabel(tr("Votes to"), this);
    urlCaption->setForegroundRole(QPalette::PlaceholderText);
    m_urlLabel = new QLabel(this);
    m_urlLabel->setObjectName(u"ingestUrlLabel"_s);
    m_urlLabel->setTextFormat(Qt::PlainText);
    m_urlLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_urlLabel->setCursor(Qt::IBeamCursor);
    QFont urlFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    urlFont.setPointSize(13);
    m_urlLabel->setFont(urlFont);
    m_urlLabel->setToolTip(tr("POST votes here, e.g. {\"voter\":\"u123\",\"option\":\"A\"}"));

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_questionLabel, 0, 0, 1, 3);
    layout->addWidget(m_detailsLabel, 1, 0);
    layout->addWidget(urlCaption, 1, 1, Qt::AlignRight);
    layout->addWidget(m_urlLabel, 1, 2);
    layout->setColumnStretch(0, 1);
}

void SessionHeader::setSession(const SessionDefinition &session)
{
    m_questionLabel->setText(session.question.isEmpty() ? session.title : session.question);
    // Sessions have 2 to 64 options, so the plural never needs a singular.
    m_detailsLabel->setText(
        tr("%1 · %2 options · %3")
            .arg(session.title, QString::number(session.options.size()), session.policyText()));
}

void SessionHeader::setIngestUrl(const QString &url)
{
    m_urlLabel->setText(url);
}

QString SessionHeader::questionText() const
{
    return m_questionLabel->text();
}

QString SessionHeader::ingestUrlText() const
{
    return m_urlLabel->text();
}
