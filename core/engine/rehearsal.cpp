#include "engine/rehearsal.h"

using namespace Qt::Literals::StringLiterals;

QString rehearsalShapeName(RehearsalShape shape)
{
    switch (shape) {
    case RehearsalShape::Steady:
        return u"steady"_s;
    case RehearsalShape::Ramp:
        return u"ramp"_s;
    case RehearsalShape::Spike:
        return u"spike"_s;
    }
    return u"unknown"_s;
}

bool parseRehearsalShape(const QString &name, RehearsalShape *shape)
{
    for (RehearsalShape candidate : {RehearsalShape::Steady, RehearsalShape::Ramp, RehearsalShape::Spike}) {
        if (rehearsalShapeName(candidate) == name) {
            *shape = candidate;
            return true;
        }
    }
    return false;
}

QString RehearsalPlan::validate() const
{
    if (ratePerSecond < 1 || ratePerSecond > MaxRatePerSecond)
        return u"the rehearsal rate must be 1 to %1 votes/s, not %2"_s.arg(MaxRatePerSecond)
            .arg(ratePerSecond);
    if (durationSeconds < 1 || durationSeconds > MaxDurationSeconds)
        return u"the rehearsal must last 1 to %1 s, not %2"_s.arg(MaxDurationSeconds).arg(durationSeconds);
    if (qint64(ratePerSecond) * durationSeconds > MaxVotes) {
        return u"a rehearsal sends at most %1 votes (rate \u00d7 duration); lower the rate or shorten it"_s
            .arg(MaxVotes);
    }
    if (rehearsalShapeName(shape) == u"unknown")
        return u"unknown traffic shape"_s;
    return {};
}

QString RehearsalPlan::describe() const
{
    switch (shape) {
    case RehearsalShape::Steady:
        return u"steady %1 votes/s for %2 s"_s.arg(ratePerSecond).arg(durationSeconds);
    case RehearsalShape::Ramp:
        return u"ramp up to %1 votes/s over %2 s"_s.arg(ratePerSecond).arg(durationSeconds);
    case RehearsalShape::Spike:
        return u"spike up to %1 votes/s for %2 s"_s.arg(ratePerSecond).arg(durationSeconds);
    }
    return {};
}
