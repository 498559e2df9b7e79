#pragma once

#include <memory>
#include <utility>

#include <QList>

#include "engine/consolebackend.h"

// A ConsoleBackend the GUI tests drive by hand: they set the session, the window status, the
// tally and the counters, and read back which window controls the UI called. The controls
// move the state like the engine would (ready -> open -> closing) and emit windowChanged.
class FakeBackend final : public ConsoleBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FakeBackend)

public:
    static constexpr qint64 StartMs = 1'700'000'000'000;

    explicit FakeBackend(SessionDefinition session, QObject *parent = nullptr)
        : ConsoleBackend(parent)
        , m_session(std::move(session))
        , m_tally(std::make_shared<const TallySnapshot>())
    {
        m_status.state = WindowState::Ready;
        m_status.nowMs = StartMs;
        m_status.remainingMs = m_session.windowMs;
    }

    // --- what the UI reads
    SessionDefinition session() const override { return m_session; }
    WindowStatus windowStatus() const override { return m_status; }
    TallySnapshotPtr tally() const override { return m_tally; }
    SessionCounters counters() const override { return m_counters; }
    QString ingestUrl() const override { return m_ingestUrl; }
    SecondSample latestMetrics() const override { return m_latestMetrics; }
    QList<SecondSample> metricsSeries() const override
    {
        ++metricsSeriesCalls;
        return m_series;
    }
    qint64 queueCapacity() const override { return m_queueCapacity; }
    qint64 storeSizeBytes() const override { return m_storeSizeBytes; }
    qint64 uptimeMs() const override { return m_uptimeMs; }
    QString audienceUrl() const override { return m_audienceUrl; }
    FraudSnapshot fraud(int limit) const override
    {
        FraudSnapshot snapshot = m_fraud;
        snapshot.topVoters = snapshot.topVoters.mid(0, limit);
        snapshot.topAddresses = snapshot.topAddresses.mid(0, limit);
        return snapshot;
    }
    CountExclusions exclusions() const override { return m_exclusions; }
    // Stores it like the engine would (no reason: refused), then signals.
    bool excludeFromCount(CountExclusion::Kind kind, const QString &value, const QString &reason,
                          QString *error) override
    {
        if (reason.isEmpty()) {
            *error = QStringLiteral("a reason is required");
            return false;
        }
        m_exclusions.append(CountExclusion{kind, value, reason, QStringLiteral("console"), 0});
        Q_EMIT exclusionsChanged();
        return true;
    }
    void setFraud(const FraudSnapshot &snapshot) { m_fraud = snapshot; }
    PublishedResultsPtr published() const override { return m_published; }
    QList<ConsoleEvent> eventsSince(qint64 seq) const override
    {
        QList<ConsoleEvent> newer;
        for (const ConsoleEvent &event : m_events)
            if (event.seq > seq)
                newer.append(event);
        return newer;
    }

    // --- results: publish takes the tally like the engine; finalize and the replay only record
    // the call, the test answers with the signals (as the store would, later).
    bool publishResults(QString *error) override
    {
        ++publishCalls;
        if (refuse(error))
            return false;
        if (m_status.state != WindowState::Open && m_status.state != WindowState::Closing &&
            m_status.state != WindowState::Closed)
            return fail(error, QStringLiteral("Nothing to publish in this state."));
        auto picture = std::make_shared<PublishedResults>();
        picture->session = m_session;
        picture->tally = *m_tally;
        picture->window.state = m_status.state;
        picture->publishVersion = (m_published ? m_published->publishVersion : 0) + 1;
        picture->publishedAtMs = m_status.nowMs;
        m_published = std::move(picture);
        Q_EMIT resultsPublished();
        return true;
    }
    bool finalizeResults(QString *error) override
    {
        ++finalizeCalls;
        if (refuse(error))
            return false;
        if (m_status.state != WindowState::Closed)
            return fail(error, QStringLiteral("The lines are not closed and drained."));
        return true;
    }
    bool autoPublish() const override { return m_autoPublish; }
    bool setAutoPublish(bool on, QString *error) override
    {
        if (refuse(error))
            return false;
        m_autoPublish = on;
        return true;
    }
    void requestAuditLog() override { ++auditRequests; }
    bool replayPolicy(const QString &policy, int optionCap, QString *error) override
    {
        replayCalls.append(QStringLiteral("%1/%2").arg(policy).arg(optionCap));
        if (refuse(error))
            return false;
        return true;
    }

    // --- what the UI drives
    bool openLines(QString *error) override
    {
        ++openCalls;
        if (refuse(error))
            return false;
        if (m_status.state != WindowState::Ready)
            return fail(error, QStringLiteral("The lines can only be opened when ready."));
        m_status.state = WindowState::Open;
        m_status.openedAtMs = m_status.nowMs;
        m_status.closesAtMs = m_status.nowMs + m_session.windowMs;
        m_status.remainingMs = m_session.windowMs;
        Q_EMIT windowChanged();
        return true;
    }

    bool extendLines(int seconds, QString *error) override
    {
        extendCalls.append(seconds);
        if (refuse(error))
            return false;
        if (m_status.state != WindowState::Open)
            return fail(error, QStringLiteral("Only an open window can be extended."));
        m_status.closesAtMs += seconds * 1000;
        m_status.remainingMs = m_status.closesAtMs - m_status.nowMs;
        Q_EMIT windowChanged();
        return true;
    }

    bool closeLines(QString *error) override
    {
        ++closeCalls;
        if (refuse(error))
            return false;
        if (m_status.state != WindowState::Open)
            return fail(error, QStringLiteral("The lines are not open."));
        m_status.state = WindowState::Closing;
        m_status.closedAtMs = m_status.nowMs;
        m_status.remainingMs = 0;
        Q_EMIT windowChanged();
        return true;
    }

    // --- what the tests set
    void setSession(SessionDefinition session)
    {
        m_session = std::move(session);
        Q_EMIT sessionChanged();
    }

    void setWindowStatus(const WindowStatus &status)
    {
        const bool stateChanged = (status.state != m_status.state);
        m_status = status;
        if (stateChanged)
            Q_EMIT windowChanged();
    }

    void setState(WindowState state)
    {
        WindowStatus status = m_status;
        status.state = state;
        setWindowStatus(status);
    }

    // Publishes a snapshot of the current session, like the tally owner does; no signal (the
    // UI must notice by polling).
    void publishTally(quint64 version, std::vector<qint64> exact, std::vector<qint64> raw = {})
    {
        auto snapshot = std::make_shared<TallySnapshot>();
        snapshot->sessionId = m_session.id;
        snapshot->version = version;
        snapshot->takenAtMs = m_status.nowMs;
        snapshot->raw = raw.empty() ? exact : std::move(raw);
        snapshot->exact = std::move(exact);
        for (const qint64 votes : snapshot->raw)
            snapshot->accepted += votes;
        for (const qint64 votes : snapshot->exact)
            snapshot->uniqueVoters += votes;
        m_tally = std::move(snapshot);
    }

    void setTally(TallySnapshotPtr snapshot) { m_tally = std::move(snapshot); }
    void setCounters(const SessionCounters &counters) { m_counters = counters; }
    void setIngestUrl(const QString &url) { m_ingestUrl = url; }
    void setLatestMetrics(const SecondSample &sample) { m_latestMetrics = sample; }
    // The sampler's ring as the engine would hand it out: the newest is also latestMetrics().
    // uptimeMs follows the newest sample, as the engine's clock does.
    void setMetricsSeries(const QList<SecondSample> &series)
    {
        m_series = series;
        m_latestMetrics = series.isEmpty() ? SecondSample{} : series.last();
        if (!series.isEmpty())
            m_uptimeMs = series.last().atMs;
    }
    void appendSample(const SecondSample &sample)
    {
        QList<SecondSample> series = m_series;
        series.append(sample);
        setMetricsSeries(series);
    }
    void setQueueCapacity(qint64 capacity) { m_queueCapacity = capacity; }
    void setStoreSizeBytes(qint64 bytes) { m_storeSizeBytes = bytes; }
    void setUptimeMs(qint64 ms) { m_uptimeMs = ms; }
    void setAudienceUrl(const QString &url) { m_audienceUrl = url; }
    void setPublished(PublishedResultsPtr published) { m_published = std::move(published); }
    // A line of the event log, as the engine would log it now.
    void logEvent(const QString &kind, const QString &detail, const QString &actor = QStringLiteral("system"))
    {
        m_events.append(ConsoleEvent{qint64(m_events.size()) + 1, m_status.nowMs, eventSeverity(kind), kind,
                                     detail, actor});
    }
    // The next window control fails with this message, whatever the state.
    void refuseNext(const QString &error) { m_refusal = error; }

    int openCalls = 0;
    QList<int> extendCalls;
    int closeCalls = 0;
    mutable int metricsSeriesCalls = 0;
    int publishCalls = 0;
    int finalizeCalls = 0;
    int auditRequests = 0;
    QStringList replayCalls;

private:
    bool refuse(QString *error)
    {
        if (m_refusal.isEmpty())
            return false;
        fail(error, std::exchange(m_refusal, QString()));
        return true;
    }

    static bool fail(QString *error, const QString &message)
    {
        if (error)
            *error = message;
        return false;
    }

    SessionDefinition m_session;
    WindowStatus m_status;
    TallySnapshotPtr m_tally;
    SessionCounters m_counters;
    QString m_ingestUrl = QStringLiteral("http://127.0.0.1:8080/v1/votes");
    SecondSample m_latestMetrics;
    QList<SecondSample> m_series;
    qint64 m_queueCapacity = 0;
    qint64 m_storeSizeBytes = -1;
    qint64 m_uptimeMs = 0;
    QString m_refusal;
    QString m_audienceUrl;
    PublishedResultsPtr m_published;
    QList<ConsoleEvent> m_events;
    bool m_autoPublish = false;
    FraudSnapshot m_fraud;
    CountExclusions m_exclusions;
};
