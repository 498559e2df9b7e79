#pragma once

#include <QPointer>
#include <QWidget>

class AudienceScreen;
class QLabel;
class QPushButton;
class QToolButton;
class QrCodeWidget;

// Where the studio audience votes: the audience page's URL as a QR code and as text, a Copy
// button, and "Show on screen", which puts the big "Vote at" screen (AudienceScreen) full
// screen on a chosen monitor — by default the last one, the second monitor when there are two.
// When the page is not served (a setting), it says so instead.
class AudiencePanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AudiencePanel)

public:
    explicit AudiencePanel(QWidget *parent = nullptr);
    ~AudiencePanel() override;

    // Empty url: the page is off.
    void setAudience(const QString &url, const QString &question);
    QString url() const { return m_url; }

    // Full screen on the given screen (index into QGuiApplication::screens(); out of range =
    // the last one). Creates the screen on first use.
    void showAudienceScreen(int screenIndex);
    AudienceScreen *audienceScreen() const;

Q_SIGNALS:
    void audienceUrlCopied(const QString &url);

private:
    void copyUrl();
    void fillScreenMenu();

    QString m_url;
    QString m_question;
    QrCodeWidget *m_qr = nullptr;
    QLabel *m_caption = nullptr;
    QLabel *m_urlLabel = nullptr;
    QPushButton *m_copyButton = nullptr;
    QToolButton *m_showButton = nullptr;
    QPointer<AudienceScreen> m_screen;
};
