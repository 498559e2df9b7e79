#include "export/textescape.h"

#include <QDateTime>

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr char32_t kReplacement = 0xFFFD;

// Iterates code points; a lone surrogate comes out as U+FFFD, so escaping never produces
// UTF-8 that a strict parser refuses.
template<typename Visit>
void forEachCodePoint(const QString &text, Visit visit)
{
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = text[i];
        if (c.isHighSurrogate() && i + 1 < n && text[i + 1].isLowSurrogate()) {
            visit(QChar::surrogateToUcs4(c, text[i + 1]));
            ++i;
        } else if (c.isSurrogate()) {
            visit(kReplacement);
        } else {
            visit(char32_t(c.unicode()));
        }
    }
}

void appendUtf8(QByteArray &out, const char32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

const char kHex[] = "0123456789abcdef";
} // namespace

QByteArray TextEscape::xml(const QString &text)
{
    QByteArray out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&out](const char32_t cp) {
        switch (cp) {
        case U'&':
            out += "&amp;";
            return;
        case U'<':
            out += "&lt;";
            return;
        case U'>':
            out += "&gt;";
            return;
        case U'"':
            out += "&quot;";
            return;
        case U'\'':
            out += "&apos;";
            return;
        case U'\t':
            out += "&#9;";
            return;
        case U'\n':
            out += "&#10;";
            return;
        case U'\r':
            out += "&#13;";
            return;
        default:
            break;
        }
        if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF)
            appendUtf8(out, kReplacement);
        else
            appendUtf8(out, cp);
    });
    return out;
}

QByteArray TextEscape::json(const QString &text)
{
    QByteArray out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&out](const char32_t cp) {
        switch (cp) {
        case U'"':
            out += "\\\"";
            return;
        case U'\\':
            out += "\\\\";
            return;
        case U'\n':
            out += "\\n";
            return;
        case U'\r':
            out += "\\r";
            return;
        case U'\t':
            out += "\\t";
            return;
        default:
            break;
        }
        if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4)
                out += kHex[(cp >> shift) & 0xF];
        } else {
            appendUtf8(out, cp);
        }
    });
    return out;
}

QByteArray TextEscape::html(const QString &text)
{
    QByteArray out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&out](const char32_t cp) {
        switch (cp) {
        case U'&':
            out += "&amp;";
            return;
        case U'<':
            out += "&lt;";
            return;
        case U'>':
            out += "&gt;";
            return;
        case U'"':
            out += "&quot;";
            return;
        case U'\'':
            out += "&#39;";
            return;
        default:
            break;
        }
        // Controls other than tab, CR and LF are not allowed in HTML text.
        if ((cp < 0x20 && cp != U'\t' && cp != U'\n' && cp != U'\r') || cp == 0x7F)
            appendUtf8(out, kReplacement);
        else
            appendUtf8(out, cp);
    });
    return out;
}

QString TextEscape::isoUtc(const qint64 epochMs)
{
    if (epochMs <= 0)
        return QString();
    // Qt::UTC, not QTimeZone::utc(): only the former makes ISODate end in "Z" (the API's
    // isoTime does the same, so files and endpoints spell times alike).
    return QDateTime::fromMSecsSinceEpoch(epochMs, Qt::UTC).toString(Qt::ISODateWithMs);
}
