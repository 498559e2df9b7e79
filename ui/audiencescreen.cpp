#include "audiencescreen.h"

#include <QGuiApplication>
#include <QKeyEvent>
#include <QLabel>
#include <QScreen>
#include <QVBoxLayout>
#include <QWindow>

#include "qrcodewidget.h"

using namespace Qt::Literals::StringLiterals;

AudienceScreen::AudienceScreen(QWidget *parent)
    : QWidget(parent, Qt::Window)
{
    setWindowTitle(tr("votedesk — audience QR code"));
    setObjectName(u"audienceScreen"_s);
    setAutoFillBackground(true);
    QPalette palette = this->palette();
    palette.setColor(QPalette::Window, QColor(0x15, 0x17, 0x1a));
    palette.setColor(QPalette::WindowText, Qt::white);
    setPalette(palette);

    m_question = new QLabel(this);
    m_question->setAlignment(Qt::AlignCenter);
    m_question->setWordWrap(true);
    QFont questionFont = font();
    questionFont.setPointSize(40);
    questionFont.setBold(true);
    m_question->setFont(questionFont);

    m_qr = new QrCodeWidget(this);
    m_url = new QLabel(this);
    m_url->setAlignment(Qt::AlignCenter);
    m_url->setObjectName(u"audienceUrl"_s);
    QFont urlFont = font();
    urlFont.setPointSize(28);
    m_url->setFont(urlFont);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(48, 32, 48, 32);
    layout->addWidget(m_question);
    layout->addWidget(m_qr, 1);
    layout->addWidget(m_url);
}

void AudienceScreen::setAudience(const QString &url, const QString &question)
{
    m_qr->setText(url);
    m_url->setText(tr("Vote at %1").arg(url));
    m_question->setText(question);
}

QString AudienceScreen::url() const
{
    return m_qr->text();
}

void AudienceScreen::showOn(int screenIndex)
{
    const QList<QScreen *> screens = QGuiApplication::screens();
    if (!screens.isEmpty()) {
        QScreen *screen = screens.value(screenIndex, screens.last());
        setGeometry(screen->geometry());
        if (windowHandle())
            windowHandle()->setScreen(screen);
    }
    showFullScreen();
    raise();
}

void AudienceScreen::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape) {
        close();
        return;
    }
    QWidget::keyPressEvent(event);
}

void AudienceScreen::mousePressEvent(QMouseEvent *event)
{
    Q_UNUSED(event);
    close();
}
