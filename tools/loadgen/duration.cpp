#include "duration.h"

#include <cmath>

using namespace Qt::Literals::StringLiterals;

qint64 parseDurationMs(const QString &text, QString *error)
{
    const QString trimmed = text.trimmed();
    qsizetype unitAt = 0;
    while (unitAt < trimmed.size() && (trimmed[unitAt].isDigit() || trimmed[unitAt] == u'.'))
        ++unitAt;
    const QString number = trimmed.left(unitAt);
    const QString unit = trimmed.mid(unitAt);
    bool ok = false;
    const double value = number.toDouble(&ok);
    double scale = 0;
    if (unit.isEmpty() || unit == u"s")
        scale = 1000;
    else if (unit == u"ms")
        scale = 1;
    else if (unit == u"m" || unit == u"min")
        scale = 60'000;
    else if (unit == u"h")
        scale = 3'600'000;
    // A week is far more than any show; the bound keeps the arithmetic away from overflow.
    if (!ok || scale == 0 || !std::isfinite(value) || value < 0 || value * scale > 7.0 * 24 * 3'600'000) {
        if (error)
            *error = u"\"%1\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)"_s.arg(text);
        return -1;
    }
    return qint64(std::llround(value * scale));
}

QString formatDurationMs(qint64 ms)
{
    if (ms < 1000 || ms % 1000 != 0)
        return ms < 1000 ? u"%1ms"_s.arg(ms) : u"%1s"_s.arg(double(ms) / 1000.0);
    const qint64 seconds = ms / 1000;
    if (seconds < 60)
        return u"%1s"_s.arg(seconds);
    if (seconds % 60 == 0)
        return u"%1m"_s.arg(seconds / 60);
    return u"%1m%2s"_s.arg(seconds / 60).arg(seconds % 60);
}
