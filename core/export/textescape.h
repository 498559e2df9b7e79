#pragma once

#include <QByteArray>
#include <QString>

// Escaping for the documents the feeds write. Each returns UTF-8 ready to paste between the
// delimiters of its format; none adds the delimiters itself. Labels are typed by operators
// and may hold anything a keyboard or a paste can produce, so every function has a defined
// answer for every QString, including control characters and broken surrogates.
namespace TextEscape {
// Element text or an attribute value (either quote style): & < > " ' become entities; tab,
// CR and LF become character references so that neither attribute-value normalisation nor
// line-end normalisation can change them on the way through a parser. Characters XML 1.0
// cannot carry at all (other C0 controls, lone surrogates, U+FFFE, U+FFFF) become U+FFFD.
QByteArray xml(const QString &text);

// The inside of a JSON string (RFC 8259): quote, backslash and every control character
// escaped; U+2028 and U+2029 escaped too, so the document is also valid JavaScript for
// templates that eval or JSONP it. Non-ASCII stays UTF-8.
QByteArray json(const QString &text);

// HTML element text and double-quoted attribute values.
QByteArray html(const QString &text);

// "2024-05-01T20:15:03.250Z"; empty for 0 (never happened).
QString isoUtc(qint64 epochMs);
} // namespace TextEscape
