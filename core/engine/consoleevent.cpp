#include "engine/consoleevent.h"

using namespace Qt::Literals::StringLiterals;

QString severityName(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return u"info"_s;
    case Severity::Warning:
        return u"warning"_s;
    case Severity::Critical:
        return u"critical"_s;
    }
    return u"info"_s;
}

Severity eventSeverity(const QString &kind)
{
    // Unknown kinds (older or newer logs) are information: a log must never hide a line.
    // A canary not stored means votes may not be either, whatever the cause: critical.
    static const QStringList critical{u"storage_error"_s, u"port_in_use"_s, u"canary_missing"_s};
    static const QStringList warning{u"queue_high"_s, u"overloaded"_s, u"clock_jump"_s,
                                     u"finalize_refused"_s};
    if (critical.contains(kind))
        return Severity::Critical;
    if (warning.contains(kind))
        return Severity::Warning;
    return Severity::Info;
}
