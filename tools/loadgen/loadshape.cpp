#include "loadshape.h"

#include <cmath>
#include <limits>

#include <QHash>
#include <QStringList>

#include "duration.h"

using namespace Qt::Literals::StringLiterals;

namespace {
// The decay reaches 1 % of the excess over base after decayMs: tau = decay / ln(100).
double tauMs(qint64 decayMs)
{
    return double(decayMs) / std::log(100.0);
}

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

bool readRate(const QHash<QString, QString> &params, const QString &key, double fallback, double *out,
              QString *error)
{
    if (!params.contains(key)) {
        *out = fallback;
        return true;
    }
    bool ok = false;
    const double value = params.value(key).toDouble(&ok);
    // 10 M votes/s is beyond any audience and any single sender; the bound catches typos.
    if (!ok || !std::isfinite(value) || value < 0 || value > 1e7)
        return fail(error, u"%1=%2 is not a rate from 0 to 10000000 votes/s"_s.arg(key, params.value(key)));
    *out = value;
    return true;
}

bool readDuration(const QHash<QString, QString> &params, const QString &key, qint64 fallback, qint64 *out,
                  QString *error)
{
    if (!params.contains(key)) {
        *out = fallback;
        return true;
    }
    QString problem;
    const qint64 value = parseDurationMs(params.value(key), &problem);
    if (value < 0)
        return fail(error, u"%1: %2"_s.arg(key, problem));
    *out = value;
    return true;
}
} // namespace

LoadShape LoadShape::steady(double rate)
{
    LoadShape shape;
    shape.m_kind = Kind::Steady;
    shape.m_rate = rate;
    return shape;
}

LoadShape LoadShape::max()
{
    LoadShape shape;
    shape.m_kind = Kind::Max;
    return shape;
}

LoadShape LoadShape::ramp(double from, double to, qint64 durationMs)
{
    LoadShape shape;
    shape.m_kind = Kind::Ramp;
    shape.m_from = from;
    shape.m_to = to;
    shape.m_durationMs = durationMs;
    return shape;
}

LoadShape LoadShape::spike(double peak, qint64 riseMs, qint64 decayMs, double base, qint64 atMs)
{
    LoadShape shape;
    shape.m_kind = Kind::Spike;
    shape.m_peak = peak;
    shape.m_riseMs = riseMs;
    shape.m_decayMs = decayMs;
    shape.m_base = base;
    shape.m_atMs = atMs;
    return shape;
}

bool LoadShape::parse(const QString &spec, double rate, LoadShape *out, QString *error)
{
    const qsizetype colon = spec.indexOf(u':');
    const QString name = spec.left(colon < 0 ? spec.size() : colon).trimmed();
    QHash<QString, QString> params;
    if (colon >= 0) {
        for (const QString &item : spec.mid(colon + 1).split(u',', Qt::SkipEmptyParts)) {
            const qsizetype eq = item.indexOf(u'=');
            if (eq <= 0)
                return fail(error, u"\"%1\" in the profile is not key=value"_s.arg(item));
            params.insert(item.left(eq).trimmed(), item.mid(eq + 1).trimmed());
        }
    }
    auto allowOnly = [&](const QStringList &keys) {
        for (auto it = params.cbegin(); it != params.cend(); ++it) {
            if (!keys.contains(it.key())) {
                return fail(error, u"the %1 profile has no parameter \"%2\" (it takes %3)"_s.arg(
                                       name, it.key(), keys.join(u", "_s)));
            }
        }
        return true;
    };

    if (name == u"max") {
        if (!allowOnly({}))
            return false;
        *out = max();
        return true;
    }
    if (name == u"steady") {
        if (!allowOnly({u"rate"_s}))
            return false;
        double value = 0;
        if (!readRate(params, u"rate"_s, rate, &value, error))
            return false;
        if (value <= 0)
            return fail(error, u"the steady profile needs a rate (--rate N or steady:rate=N)"_s);
        *out = steady(value);
        return true;
    }
    if (name == u"ramp") {
        if (!allowOnly({u"from"_s, u"to"_s}))
            return false;
        double from = 0;
        double to = 0;
        if (!readRate(params, u"from"_s, 0, &from, error) || !readRate(params, u"to"_s, rate, &to, error))
            return false;
        if (from <= 0 && to <= 0)
            return fail(error, u"the ramp profile needs a rate to ramp to (--rate N or ramp:to=N)"_s);
        *out = ramp(from, to, 0);
        return true;
    }
    if (name == u"spike") {
        if (!allowOnly({u"peak"_s, u"rise"_s, u"decay"_s, u"base"_s, u"at"_s}))
            return false;
        double peak = 0;
        double base = 0;
        qint64 rise = 0;
        qint64 decay = 0;
        qint64 at = 0;
        if (!readRate(params, u"peak"_s, rate, &peak, error) ||
            !readRate(params, u"base"_s, 0, &base, error) ||
            !readDuration(params, u"rise"_s, 5'000, &rise, error) ||
            !readDuration(params, u"decay"_s, 60'000, &decay, error) ||
            !readDuration(params, u"at"_s, 0, &at, error)) {
            return false;
        }
        if (peak <= 0)
            return fail(error, u"the spike profile needs a peak (spike:peak=N or --rate N)"_s);
        if (base > peak)
            return fail(error, u"the spike's base (%1/s) is above its peak (%2/s)"_s.arg(base).arg(peak));
        *out = spike(peak, rise, decay, base, at);
        return true;
    }
    return fail(error, u"unknown profile \"%1\" (use steady, ramp, spike or max)"_s.arg(name));
}

qint64 LoadShape::naturalDurationMs() const
{
    return m_kind == Kind::Spike ? m_atMs + m_riseMs + m_decayMs : 0;
}

void LoadShape::setDurationMs(qint64 durationMs)
{
    m_durationMs = durationMs;
}

double LoadShape::rateAt(qint64 ms) const
{
    switch (m_kind) {
    case Kind::Max:
        return 0;
    case Kind::Steady:
        return m_rate;
    case Kind::Ramp:
        if (m_durationMs <= 0)
            return m_to;
        return m_from + (m_to - m_from) * double(qBound(qint64(0), ms, m_durationMs)) / double(m_durationMs);
    case Kind::Spike: {
        if (ms < m_atMs)
            return m_base;
        const double intoSpike = double(ms - m_atMs);
        if (intoSpike < double(m_riseMs))
            return m_base + (m_peak - m_base) * intoSpike / double(m_riseMs);
        const double sincePeak = intoSpike - double(m_riseMs);
        if (m_decayMs <= 0)
            return m_base;
        return m_base + (m_peak - m_base) * std::exp(-sincePeak / tauMs(m_decayMs));
    }
    }
    return 0;
}

double LoadShape::cumulativeAt(double ms) const
{
    if (ms <= 0)
        return 0;
    const double seconds = ms / 1000.0;
    switch (m_kind) {
    case Kind::Max:
        return 0;
    case Kind::Steady:
        return m_rate * seconds;
    case Kind::Ramp: {
        if (m_durationMs <= 0)
            return m_to * seconds;
        const double length = double(m_durationMs) / 1000.0;
        const double t = std::min(seconds, length);
        double n = m_from * t + (m_to - m_from) * t * t / (2 * length);
        if (seconds > length)
            n += m_to * (seconds - length);
        return n;
    }
    case Kind::Spike: {
        const double at = double(m_atMs) / 1000.0;
        const double rise = double(m_riseMs) / 1000.0;
        double n = m_base * seconds; // the base runs underneath everything
        if (seconds <= at)
            return n;
        const double intoSpike = seconds - at;
        const double excess = m_peak - m_base;
        if (intoSpike < rise)
            return n + excess * intoSpike * intoSpike / (2 * rise);
        n += excess * rise / 2;
        if (m_decayMs > 0) {
            const double tau = tauMs(m_decayMs) / 1000.0;
            n += excess * tau * (1 - std::exp(-(intoSpike - rise) / tau));
        }
        return n;
    }
    }
    return 0;
}

qint64 LoadShape::dueBy(qint64 ms) const
{
    if (m_kind == Kind::Max)
        return std::numeric_limits<qint64>::max() / 2;
    // The epsilon absorbs rounding in the closed forms, so that e.g. 1000/s for exactly 3 s
    // is 3000 votes and not 2999.
    return qint64(std::floor(cumulativeAt(double(ms)) + 1e-6));
}

double LoadShape::peakRate() const
{
    switch (m_kind) {
    case Kind::Max:
        return 0;
    case Kind::Steady:
        return m_rate;
    case Kind::Ramp:
        return std::max(m_from, m_to);
    case Kind::Spike:
        return m_peak;
    }
    return 0;
}

QString LoadShape::describe() const
{
    switch (m_kind) {
    case Kind::Max:
        return u"as fast as possible"_s;
    case Kind::Steady:
        return u"steady %1/s"_s.arg(m_rate);
    case Kind::Ramp:
        return u"ramp %1/s to %2/s"_s.arg(m_from).arg(m_to);
    case Kind::Spike:
        return u"spike: base %1/s, at %2 rise over %3 to %4/s, decay %5"_s.arg(m_base)
            .arg(formatDurationMs(m_atMs), formatDurationMs(m_riseMs))
            .arg(m_peak)
            .arg(formatDurationMs(m_decayMs));
    }
    return {};
}
