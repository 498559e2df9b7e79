#pragma once

#include <QString>

// The shape of the audience over time: how many votes per second at each instant, and, in
// closed form, how many votes are due since the start. The sender follows the cumulative
// count (a token schedule), so a run of a given shape and duration always sends the same
// number of votes however the event loop's timing jitters; only when they go out varies.
//
//   max                                   as fast as the connections allow (a closed loop:
//                                         a vote leaves when a pipeline slot frees up); for
//                                         measuring capacity, not for modelling an audience
//   steady                                rate votes/s throughout
//   ramp:from=A,to=B                      linear from A to B over the run
//   spike:peak=P,rise=R,decay=D,base=B,at=T
//                                         B votes/s until T, linear up to P over R, then an
//                                         exponential fall back towards B that is within 1 %
//                                         of B after D (a "vote now!" on air)
class LoadShape final
{
public:
    enum class Kind
    {
        Steady = 1,
        Ramp,
        Spike,
        Max
    };

    // spec: "steady", "ramp", "spike" optionally followed by ":key=value,...". `rate` is
    // --rate (0 when not given): the steady rate, the ramp's default "to" and the spike's
    // default peak. Returns false with a message that names the problem.
    static bool parse(const QString &spec, double rate, LoadShape *out, QString *error);
    static LoadShape steady(double rate);
    static LoadShape max();
    static LoadShape ramp(double from, double to, qint64 durationMs);
    static LoadShape spike(double peak, qint64 riseMs, qint64 decayMs, double base = 0, qint64 atMs = 0);

    Kind kind() const { return m_kind; }
    // No schedule: every free pipeline slot is filled at once, and the run sends what it can.
    bool isUnlimited() const { return m_kind == Kind::Max; }
    // How long the shape lasts when no --duration is given (0: the caller decides).
    qint64 naturalDurationMs() const;
    // A ramp is stretched over the run: its length is set once the duration is known.
    void setDurationMs(qint64 durationMs);

    double rateAt(qint64 ms) const;       // votes per second at that instant
    double cumulativeAt(double ms) const; // votes due in [0, ms], exact integral of rateAt
    qint64 dueBy(qint64 ms) const;        // whole votes due by then: the token schedule
    double peakRate() const;              // for the chart's scale and the report
    QString describe() const;             // "spike: peak 80000/s, rise 5s, decay 60s, base 0/s"

private:
    Kind m_kind = Kind::Steady;
    double m_rate = 0; // steady
    double m_from = 0; // ramp
    double m_to = 0;   // ramp
    double m_peak = 0; // spike
    double m_base = 0; // spike
    qint64 m_atMs = 0; // spike
    qint64 m_riseMs = 0;
    qint64 m_decayMs = 0;
    qint64 m_durationMs = 0; // ramp length
};
