#pragma once

#include <functional>

#include <QHostAddress>
#include <QString>
#include <QStringList>

// Rehearsal mode: simulated audience traffic for a session flagged rehearsal, so that the
// crew rehearses the whole flow (open, votes, extend, close, publish, finalize) with the real
// pipeline under them.

enum class RehearsalShape
{
    Steady = 1, // the rate throughout
    Ramp,       // from a tenth of the rate up to the rate over the run
    Spike       // a tenth of the rate, a fast rise to the rate ("vote now!"), a slow fall
};

QString rehearsalShapeName(RehearsalShape shape); // "steady", "ramp", "spike"
bool parseRehearsalShape(const QString &name, RehearsalShape *shape);

// What the crew asks for.
struct RehearsalPlan
{
    static constexpr int MaxRatePerSecond = 5000;
    static constexpr int MaxDurationSeconds = 3600;
    // The sender keeps about 32 bytes of bookkeeping per vote: this keeps a run near 100 MB.
    static constexpr qint64 MaxVotes = 3'000'000;

    RehearsalShape shape = RehearsalShape::Steady;
    int ratePerSecond = 50; // the steady rate; the peak of a ramp or a spike
    int durationSeconds = 300;

    // Empty when valid, else a message naming the problem.
    QString validate() const;
    QString describe() const; // "spike up to 500 votes/s for 300 s"
};

// How the simulated traffic is doing; read by the console on its timer.
struct RehearsalStatus
{
    bool running = false;
    RehearsalPlan plan;
    qint64 sessionId = 0;
    qint64 startedAtMs = 0; // wall clock
    qint64 sent = 0;        // votes sent (first attempts)
    qint64 accepted = 0;    // answered 2xx
    qint64 refused = 0;     // answered 4xx (closed lines, malformed on purpose, ...)
    qint64 failed = 0;      // answered 5xx or not at all
    QString error;          // why the last run could not start or stopped early
};

// Where the simulated votes go, and over which options they are spread.
struct RehearsalTarget
{
    QHostAddress address; // the engine's own listening address (loopback when it listens on all)
    quint16 port = 0;
    qint64 sessionId = 0;
    QStringList optionKeys;
    // The session's voter-token secret (the decoded bytes) when it takes only signed votes:
    // the traffic signs its voter ids as the show's app would, so a rehearsal goes through the
    // real token check instead of being refused 401. Empty: the session takes unsigned votes.
    QByteArray voterTokenSecret;
};

// The traffic source behind rehearsal mode. The engine owns one (set by the app); it runs on a
// thread of its own and reaches the engine only through the HTTP port, like any audience.
// start/stop/status are called on the engine's thread; `finished` is called on the traffic's
// thread when a run ends by itself or after stop() (the engine posts it onwards).
class RehearsalTraffic
{
public:
    virtual ~RehearsalTraffic() = default;
    virtual bool start(const RehearsalTarget &target, const RehearsalPlan &plan,
                       std::function<void()> finished, QString *error) = 0;
    // Asks the run to stop; returns at once (what is in flight is still answered).
    virtual void stop() = 0;
    virtual RehearsalStatus status() const = 0;
};
