#pragma once

#include <QTimer>

#include "engine/consolebackend.h"

// A ConsoleBackend with a session list, for the session dialogs: it keeps the summaries in
// memory and answers like the engine does, a turn of the event loop later (never inside the
// call), with the same refusals (the current session is not deleted, a session with votes
// is not either, only a draft becomes current as it is).
class FakeSessionBackend final : public ConsoleBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FakeSessionBackend)

public:
    explicit FakeSessionBackend(QObject *parent = nullptr)
        : ConsoleBackend(parent)
        , m_tally(std::make_shared<const TallySnapshot>())
    {}

    SessionDefinition session() const override
    {
        for (const SessionSummary &summary : sessions) {
            if (summary.current)
                return summary.record.definition;
        }
        return {};
    }
    WindowStatus windowStatus() const override { return {}; }
    TallySnapshotPtr tally() const override { return m_tally; }
    SessionCounters counters() const override { return {}; }
    QString ingestUrl() const override { return QStringLiteral("http://127.0.0.1:8080/v1/votes"); }
    bool openLines(QString *) override { return false; }
    bool extendLines(int, QString *) override { return false; }
    bool closeLines(QString *) override { return false; }

    bool createSession(SessionDefinition definition, QString *error) override
    {
        if (!refusal.isEmpty()) {
            *error = refusal;
            return false;
        }
        definition.id = nextId++;
        for (SessionSummary &summary : sessions)
            summary.current = false;
        sessions.append(
            SessionSummary{SessionRecord{definition, WindowRecord{}, 1'700'000'000'000}, false, true});
        QTimer::singleShot(0, this, [this] { Q_EMIT sessionChanged(); });
        return true;
    }

    void requestSessions() override
    {
        ++listRequests;
        QTimer::singleShot(0, this, [this] { Q_EMIT sessionsListed(sessions); });
    }

    bool openSession(qint64 sessionId, QString *) override
    {
        QTimer::singleShot(0, this, [this, sessionId] {
            SessionSummary *found = find(sessionId);
            if (!found) {
                Q_EMIT sessionActionFailed(QStringLiteral("no session %1").arg(sessionId));
                return;
            }
            if (found->isDraft()) {
                for (SessionSummary &summary : sessions)
                    summary.current = summary.record.definition.id == sessionId;
                Q_EMIT sessionChanged();
                return;
            }
            SessionView view;
            view.ok = true;
            view.summary = *found;
            view.tally = pastTally;
            view.audit = pastAudit;
            Q_EMIT sessionViewReady(view);
        });
        return true;
    }

    bool deleteDraft(qint64 sessionId, QString *error) override
    {
        if (session().id == sessionId) {
            *error = QStringLiteral("it is the current session");
            return false;
        }
        QTimer::singleShot(0, this, [this, sessionId] {
            for (qsizetype i = 0; i < sessions.size(); ++i) {
                if (sessions[i].record.definition.id != sessionId)
                    continue;
                if (!sessions[i].isDraft()) {
                    Q_EMIT sessionActionFailed(QStringLiteral("it has votes"));
                    return;
                }
                sessions.removeAt(i);
                Q_EMIT sessionDeleted(sessionId);
                return;
            }
        });
        return true;
    }

    bool startRehearsal(const RehearsalPlan &plan, QString *error) override
    {
        if (!session().rehearsal) {
            *error = QStringLiteral("a live session: no simulated traffic");
            return false;
        }
        rehearsal.running = true;
        rehearsal.plan = plan;
        rehearsal.startedAtMs = 1'700'000'000'000;
        Q_EMIT rehearsalChanged();
        return true;
    }
    void stopRehearsal() override
    {
        rehearsal.running = false;
        Q_EMIT rehearsalChanged();
    }
    RehearsalStatus rehearsalStatus() const override { return rehearsal; }

    SessionSummary *find(qint64 id)
    {
        for (SessionSummary &summary : sessions) {
            if (summary.record.definition.id == id)
                return &summary;
        }
        return nullptr;
    }

    QList<SessionSummary> sessions;
    qint64 nextId = 100;
    QString refusal; // createSession refuses with it when set
    int listRequests = 0;
    TallySnapshot pastTally;
    QList<AuditEntry> pastAudit;
    RehearsalStatus rehearsal;

private:
    TallySnapshotPtr m_tally;
};
