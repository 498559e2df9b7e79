#include "audiencepanel.h"

#include <QClipboard>
#include <QGridLayout>
#include <QGuiApplication>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QScreen>
#include <QToolButton>

#include "audiencescreen.h"
#include "qrcodewidget.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// Large enough that every module of a typical URL's symbol gets 3 px (QrCodeWidget's floor),
// small enough to sit beside the counters at 1280x800.
// "http://192.168.1.20" and ":8080/vote" on two lines: word wrap alone breaks after "http://",
// which reads as two unrelated fragments.
QString twoLineUrl(const QString &url)
{
    const qsizetype hostStart = url.indexOf(u"://"_s);
    const qsizetype port = hostStart < 0 ? -1 : url.indexOf(u':', hostStart + 3);
    if (port < 0)
        return url;
    return url.left(port) + u'\n' + url.mid(port);
}

constexpr int QrSidePx = 111; // (29 + 8 modules) x 3 px: a LAN URL is a version 3 symbol
} // namespace

AudiencePanel::AudiencePanel(QWidget *parent)
    : QWidget(parent)
{
    m_caption = new QLabel(tr("AUDIENCE VOTES AT"), this);
    m_caption->setForegroundRole(QPalette::PlaceholderText);

    m_qr = new QrCodeWidget(this);
    m_qr->setObjectName(u"audienceQrCode"_s);
    m_qr->setFixedSize(QrSidePx, QrSidePx);

    m_urlLabel = new QLabel(this);
    m_urlLabel->setObjectName(u"audienceUrlLabel"_s);
    m_urlLabel->setWordWrap(true);
    // Selectable with the mouse only: no keyboard focus, so the window's keys stay the window's.
    m_urlLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_urlLabel->setTextFormat(Qt::PlainText);

    m_copyButton = new QPushButton(tr("Copy"), this);
    m_copyButton->setObjectName(u"copyAudienceUrlButton"_s);
    m_copyButton->setToolTip(tr("Copy the audience page's address to the clipboard"));
    m_copyButton->setFocusPolicy(Qt::NoFocus);
    connect(m_copyButton, &QPushButton::clicked, this, &AudiencePanel::copyUrl);

    m_showButton = new QToolButton(this);
    m_showButton->setObjectName(u"showAudienceScreenButton"_s);
    m_showButton->setText(tr("Show on screen"));
    m_showButton->setToolTip(tr("The QR code full screen on a second monitor, for the studio audience "
                                "(Esc or a click closes it). The arrow chooses the monitor."));
    m_showButton->setPopupMode(QToolButton::MenuButtonPopup);
    m_showButton->setFocusPolicy(Qt::NoFocus);
    auto *menu = new QMenu(m_showButton);
    m_showButton->setMenu(menu);
    connect(menu, &QMenu::aboutToShow, this, &AudiencePanel::fillScreenMenu);
    connect(m_showButton, &QToolButton::clicked, this, [this] { showAudienceScreen(-1); });

    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setHorizontalSpacing(10);
    layout->setVerticalSpacing(4);
    // The caption beside the code rather than above it: the rejected-by-reason table above
    // keeps its rows on a 1280 x 800 screen.
    layout->addWidget(m_qr, 0, 0, 4, 1, Qt::AlignTop);
    layout->addWidget(m_caption, 0, 1, Qt::AlignTop);
    layout->addWidget(m_urlLabel, 1, 1, Qt::AlignTop);
    layout->addWidget(m_copyButton, 2, 1, Qt::AlignLeft | Qt::AlignBottom);
    layout->addWidget(m_showButton, 3, 1, Qt::AlignLeft);
    layout->setRowStretch(1, 1);
    layout->setColumnStretch(1, 1);
    setAudience({}, {});
}

AudiencePanel::~AudiencePanel()
{
    // A top-level window of its own: not deleted with the panel unless we do it.
    delete m_screen.data();
}

void AudiencePanel::setAudience(const QString &url, const QString &question)
{
    m_url = url;
    m_question = question;
    const bool served = !url.isEmpty();
    m_qr->setText(url);
    m_qr->setVisible(served);
    m_urlLabel->setText(served ? twoLineUrl(url) : tr("The audience page is off (File › Settings…)."));
    m_urlLabel->setForegroundRole(served ? QPalette::WindowText : QPalette::PlaceholderText);
    m_copyButton->setEnabled(served);
    m_showButton->setEnabled(served);
    if (m_screen)
        m_screen->setAudience(url, question);
}

void AudiencePanel::showAudienceScreen(int screenIndex)
{
    if (m_url.isEmpty())
        return;
    if (!m_screen) {
        m_screen = new AudienceScreen;
        m_screen->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_screen->setAudience(m_url, m_question);
    m_screen->showOn(screenIndex);
}

AudienceScreen *AudiencePanel::audienceScreen() const
{
    return m_screen;
}

void AudiencePanel::copyUrl()
{
    if (m_url.isEmpty())
        return;
    QGuiApplication::clipboard()->setText(m_url);
    Q_EMIT audienceUrlCopied(m_url);
}

void AudiencePanel::fillScreenMenu()
{
    QMenu *menu = m_showButton->menu();
    menu->clear();
    const QList<QScreen *> screens = QGuiApplication::screens();
    for (int i = 0; i < screens.size(); ++i) {
        const QScreen *screen = screens.at(i);
        const QSize size = screen->size();
        QAction *action = menu->addAction(
            tr("Screen %1: %2 (%3×%4)").arg(i + 1).arg(screen->name()).arg(size.width()).arg(size.height()));
        connect(action, &QAction::triggered, this, [this, i] { showAudienceScreen(i); });
    }
}
