#include "qrcodewidget.h"

#include <QPainter>
#include <qrencode.h>

QrCodeWidget::QrCodeWidget(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void QrCodeWidget::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    m_width = 0;
    m_modules.clear();
    const QByteArray utf8 = text.toUtf8();
    // Version 0: the smallest symbol that fits. Case-sensitive 8-bit mode keeps the URL exact.
    QRcode *code = QRcode_encodeString(utf8.constData(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (code) {
        m_width = code->width;
        m_modules.resize(std::size_t(m_width) * std::size_t(m_width));
        for (int i = 0; i < m_width * m_width; ++i)
            m_modules[std::size_t(i)] = (code->data[i] & 1) != 0; // bit 0 = dark module
        QRcode_free(code);
    }
    updateGeometry();
    update();
}

bool QrCodeWidget::isDark(int x, int y) const
{
    if (x < 0 || y < 0 || x >= m_width || y >= m_width)
        return false;
    return m_modules[std::size_t(y) * std::size_t(m_width) + std::size_t(x)];
}

QSize QrCodeWidget::sizeHint() const
{
    return {320, 320};
}

QSize QrCodeWidget::minimumSizeHint() const
{
    const int side = (m_width + 2 * QuietZoneModules) * 3; // 3 px per module still scans
    return {side, side};
}

void QrCodeWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const int side = qMin(width(), height());
    const QRect area((width() - side) / 2, (height() - side) / 2, side, side);
    painter.fillRect(area, Qt::white);
    if (m_width == 0)
        return;
    // Whole pixels per module: blurred module edges are what makes a screen QR hard to read.
    const int modules = m_width + 2 * QuietZoneModules;
    const int unit = qMax(1, side / modules);
    const int drawn = unit * modules;
    const QPoint origin(area.x() + (side - drawn) / 2 + QuietZoneModules * unit,
                        area.y() + (side - drawn) / 2 + QuietZoneModules * unit);
    for (int y = 0; y < m_width; ++y) {
        for (int x = 0; x < m_width; ++x) {
            if (isDark(x, y))
                painter.fillRect(origin.x() + x * unit, origin.y() + y * unit, unit, unit, Qt::black);
        }
    }
}
