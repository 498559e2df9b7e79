#pragma once

#include <vector>

#include <QWidget>

// A QR code of a text (the audience URL), drawn crisp at any size: one square per module,
// black on white with the quiet zone the standard asks for, so a phone across a studio can
// read it off a screen. Encoded with Debian's libqrencode (error correction M).
class QrCodeWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QrCodeWidget)

public:
    explicit QrCodeWidget(QWidget *parent = nullptr);

    void setText(const QString &text);
    QString text() const { return m_text; }

    // The encoded symbol: width x width modules, true = dark. Empty if encoding failed.
    int symbolWidth() const { return m_width; }
    bool isDark(int x, int y) const;

    static constexpr int QuietZoneModules = 4;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return width; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_text;
    int m_width = 0;
    std::vector<bool> m_modules;
};
