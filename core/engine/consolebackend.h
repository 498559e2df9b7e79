#pragma once

#include <QMap>
#include <QObject>
#include <QString>

#include "access/fraudmonitor.h"
#include "engine/consoleevent.h"
#include "engine/finalization.h"
#include "engine/rehearsal.h"
#include "engine/sessionarchive.h"
#include "export/publishedresults.h"
#include "metrics/metricssampler.h"
#include "session/countexclusion.h"
#include "session/sessiondefinition.h"
#include "session/votingwindow.h"
#include "tally/tallysnapshot.h"

// What the console shows of the window at one instant.
struct WindowStatus
{
    WindowState state = WindowState::Ready;
    qint64 nowMs = 0;
    qint64 remainingMs = 0;
    qint64 openedAtMs = 0;
    qint64 closesAtMs = 0;
    qint64 closedAtMs = 0;
};

// Counters of the current session beyond the tally.
struct SessionCounters
{
    qint64 rejected = 0;                    // every vote answered with an error
    qint64 late = 0;                        // of which after the close (409 window_closed)
    QMap<QString, qint64> rejectedByReason; // error code -> count
    qint64 queueDepth = 0;
};

// Whether the admin API takes remote callers in this run, for the Settings dialog. Fixed at
// start: the token is read once (a changed setting applies at the next start).
struct AdminAccess
{
    bool remote = false; // a token is set: "Authorization: Bearer" opens the API from any address
    QString source;      // where the token came from ("--admin-token-file …", "Settings: …")
    QString problem;     // why the token file saved in Settings was not used (remote stays off)
};

// The small interface through which the UI sees and drives core (Mumble / KDE Connect style).
// Lives in the UI thread. The UI polls the getters on a timer (≤ 10 Hz); the signals fire
// only on rare events (session switched, window state changed), never per vote. Tests of
// the UI implement it with a fake.
class ConsoleBackend : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsoleBackend)

public:
    explicit ConsoleBackend(QObject *parent = nullptr)
        : QObject(parent)
    {}
    ~ConsoleBackend() override = default;

    virtual SessionDefinition session() const = 0;
    virtual WindowStatus windowStatus() const = 0;
    virtual TallySnapshotPtr tally() const = 0; // never null
    virtual SessionCounters counters() const = 0;
    // The fraud figures of the current session (top `limit` voter ids and addresses, votes per
    // second, refused share). Polled with the other getters; never signalled per vote.
    virtual FraudSnapshot fraud(int limit) const
    {
        Q_UNUSED(limit);
        return {};
    }
    virtual QString ingestUrl() const = 0; // e.g. http://127.0.0.1:8080/v1/votes
    // The built-in audience page (http://host:port/vote); empty when it is not served.
    virtual QString audienceUrl() const { return {}; }
    // The event log of this run newer than `seq` (0: all kept), oldest first: operator actions
    // and alerts, each also stored with the session. Polled with the other getters.
    virtual QList<ConsoleEvent> eventsSince(qint64 seq) const
    {
        Q_UNUSED(seq);
        return {};
    }
    // The last ten minutes of per-second pipeline figures (throughput, queue, latency), oldest
    // first, for the console's graphs. Empty where there is no pipeline (a fake in tests).
    virtual QList<SecondSample> metricsSeries() const { return {}; }
    // The newest of them (atMs == 0 when there is none yet).
    virtual SecondSample latestMetrics() const { return {}; }
    // Votes the pipeline holds before new ones get 503 overloaded; 0 = unknown (no line drawn).
    virtual qint64 queueCapacity() const { return 0; }
    // Bytes the store occupies on disk (database + write-ahead log); -1 = unknown.
    virtual qint64 storeSizeBytes() const { return -1; }
    // Milliseconds since the engine started, on the same monotonic clock as SecondSample::atMs,
    // so the console can place the series on the wall clock; 0 = not running.
    virtual qint64 uptimeMs() const { return 0; }
    // The admin API's reach in this run (a fake: loopback only).
    virtual AdminAccess adminAccess() const { return {}; }

    // Window control. Each returns false and sets *error to a message for the operator when
    // the state does not allow it.
    virtual bool openLines(QString *error) = 0;
    virtual bool extendLines(int seconds, QString *error) = 0;
    virtual bool closeLines(QString *error) = 0;

    // Results for the graphics. The defaults suit a backend without publishing (a fake).
    // The picture on air: what the public endpoints and feeds show (null: nothing yet).
    virtual PublishedResultsPtr published() const { return {}; }
    // Takes the live tally as the new published picture (open, closing, closed; in final the
    // certified picture stays). resultsPublished() follows.
    virtual bool publishResults(QString *error) { return refuse(error); }
    // Starts the certification (closed and drained only): a recount from the store compared
    // with the live tally. Ends in finalized() or finalizeFailed(), never blocks the UI.
    virtual bool finalizeResults(QString *error) { return refuse(error); }
    // Publish by itself once the session's visibility allows it (persisted with the session).
    virtual bool autoPublish() const { return false; }
    virtual bool setAutoPublish(bool on, QString *error)
    {
        Q_UNUSED(on);
        return refuse(error);
    }
    // Asks for the current session's audit log; it arrives with auditLogReady().
    virtual void requestAuditLog() {}
    // Re-tallies the stored log under another policy ("first_wins", "capped:20") and option cap;
    // the result arrives with policyReplayReady(). Nothing is changed by it.
    virtual bool replayPolicy(const QString &policy, int optionCap, QString *error)
    {
        Q_UNUSED(policy);
        Q_UNUSED(optionCap);
        return refuse(error);
    }

    // Leaves a voter id or an address range out of the count, with the operator's reason
    // (required). Stored with the session and in its audit log, applied by replayPolicy() and
    // by the finalizing recount. Refused (false, *error) for a bad value, an empty reason, or
    // a session already certified. exclusionsChanged() follows when it is stored.
    virtual bool excludeFromCount(CountExclusion::Kind kind, const QString &value, const QString &reason,
                                  QString *error)
    {
        Q_UNUSED(kind);
        Q_UNUSED(value);
        Q_UNUSED(reason);
        return refuse(error);
    }
    // The exclusions of the current session, oldest first.
    virtual CountExclusions exclusions() const { return {}; }

    // Sessions (a show runs several votes). The answers arrive as signals: the store is on
    // another thread and the UI never waits for it.
    // Creates a session from a definition and makes it current (refused while the lines of the
    // current one are open or closing); sessionChanged() follows.
    virtual bool createSession(SessionDefinition definition, QString *error)
    {
        Q_UNUSED(definition);
        return refuse(error);
    }
    // Asks for every stored session; sessionsListed() answers.
    virtual void requestSessions() {}
    // Opens a stored session: a draft (never opened, no votes) becomes current as it is
    // (sessionChanged); any other is loaded read-only (sessionViewReady). Failures arrive as
    // sessionActionFailed().
    virtual bool openSession(qint64 sessionId, QString *error)
    {
        Q_UNUSED(sessionId);
        return refuse(error);
    }
    // Deletes a draft that is not current; sessionDeleted() or sessionActionFailed() follows.
    virtual bool deleteDraft(qint64 sessionId, QString *error)
    {
        Q_UNUSED(sessionId);
        return refuse(error);
    }

    // Rehearsal mode: simulated audience traffic into a session flagged rehearsal (refused for
    // any other). rehearsalChanged() fires when a run starts or ends.
    virtual bool startRehearsal(const RehearsalPlan &plan, QString *error)
    {
        Q_UNUSED(plan);
        return refuse(error);
    }
    virtual void stopRehearsal() {}
    virtual RehearsalStatus rehearsalStatus() const { return {}; }

Q_SIGNALS:
    void sessionChanged();
    void windowChanged();
    // Rare events only (a publish is at most one a second).
    void resultsPublished();
    void finalized(const FinalizationInputs &inputs);
    void finalizeFailed(const QString &message);
    void auditLogReady(const QList<AuditEntry> &entries);
    void policyReplayReady(const PolicyReplay &replay);
    void sessionsListed(const QList<SessionSummary> &sessions);
    void sessionViewReady(const SessionView &view);
    void sessionDeleted(qint64 sessionId);
    void sessionActionFailed(const QString &message);
    void rehearsalChanged();
    void exclusionsChanged();

private:
    static bool refuse(QString *error)
    {
        if (error)
            *error = QStringLiteral("not available here");
        return false;
    }
};
