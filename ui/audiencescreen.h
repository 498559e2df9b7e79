#pragma once

#include <QWidget>

class QLabel;
class QrCodeWidget;

// "Vote at …" for the studio screen: the audience URL as a large QR code with the URL and the
// question under it, shown full screen on a chosen monitor (usually the second one, the one
// the floor manager points a camera or the audience at). Esc or a click closes it.
class AudienceScreen final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AudienceScreen)

public:
    explicit AudienceScreen(QWidget *parent = nullptr);

    void setAudience(const QString &url, const QString &question);
    // Full screen on the given screen (index into QGuiApplication::screens(); out of range =
    // the last one, which is the second monitor when there are two).
    void showOn(int screenIndex);

    QString url() const;
    const QrCodeWidget *qrCode() const { return m_qr; }

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    QrCodeWidget *m_qr = nullptr;
    QLabel *m_url = nullptr;
    QLabel *m_question = nullptr;
};
