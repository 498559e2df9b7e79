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

// Escaping builds a QString and encodes it once with Qt's UTF-8 encoder; lone surrogates
// never reach it (forEachCodePoint replaced them).
void append(QString &out, const char32_t cp)
{
    out += QStringView(QChar::fromUcs4(cp));
}

// The escapes XML and HTML text share; false when cp is not one of them.
bool appendMarkupEscape(QString &out, const char32_t cp, const QLatin1StringView apostrophe)
{
    switch (cp) {
    case U'&':
        out += "&amp;"_L1;
        return true;
    case U'<':
        out += "&lt;"_L1;
        return true;
    case U'>':
        out += "&gt;"_L1;
        return true;
    case U'"':
        out += "&quot;"_L1;
        return true;
    case U'\'':
        out += apostrophe;
        return true;
    default:
        return false;
    }
}

const char kHex[] = "0123456789abcdef";
} // namespace

QByteArray TextEscape::xml(const QString &text)
{
    QString out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&out](const char32_t cp) {
        if (appendMarkupEscape(out, cp, "&apos;"_L1))
            return;
        switch (cp) {
        case U'\t':
            out += "&#9;"_L1;
            return;
        case U'\n':
            out += "&#10;"_L1;
            return;
        case U'\r':
            out += "&#13;"_L1;
            return;
        default:
            break;
        }
        append(out, cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF ? kReplacement : cp);
    });
    return out.toUtf8();
}

QByteArray TextEscape::json(const QString &text)
{
    QString out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&out](const char32_t cp) {
        switch (cp) {
        case U'"':
            out += "\\\""_L1;
            return;
        case U'\\':
            out += "\\\\"_L1;
            return;
        case U'\n':
            out += "\\n"_L1;
            return;
        case U'\r':
            out += "\\r"_L1;
            return;
        case U'\t':
            out += "\\t"_L1;
            return;
        default:
            break;
        }
        if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
            out += "\\u"_L1;
            for (int shift = 12; shift >= 0; shift -= 4)
                out += QLatin1Char(kHex[(cp >> shift) & 0xF]);
        } else {
            append(out, cp);
        }
    });
    return out.toUtf8();
}

QByteArray TextEscape::html(const QString &text)
{
    QString out;
    out.reserve(text.size() + 16);
    forEachCodePoint(text, [&out](const char32_t cp) {
        if (appendMarkupEscape(out, cp, "&#39;"_L1))
            return;
        // Controls other than tab, CR and LF are not allowed in HTML text.
        const bool control = (cp < 0x20 && cp != U'\t' && cp != U'\n' && cp != U'\r') || cp == 0x7F;
        append(out, control ? kReplacement : cp);
    });
    return out.toUtf8();
}

QString TextEscape::isoUtc(const qint64 epochMs)
{
    if (epochMs <= 0)
        return QString();
    // Qt::UTC, not QTimeZone::utc(): only the former makes ISODate end in "Z" (the API's
    // isoTime does the same, so files and endpoints spell times alike).
    return QDateTime::fromMSecsSinceEpoch(epochMs, Qt::UTC).toString(Qt::ISODateWithMs);
}
