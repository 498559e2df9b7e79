#include "loopbackrehearsal.h"

#include <QDateTime>

#include "access/votertoken.h"
#include "loadrunner.h"
#include "loadshape.h"
#include "votegenerator.h"

using namespace Qt::Literals::StringLiterals;

namespace {
LoadShape shapeFor(const RehearsalPlan &plan)
{
    const double rate = plan.ratePerSecond;
    const qint64 durationMs = qint64(plan.durationSeconds) * 1000;
    switch (plan.shape) {
    case RehearsalShape::Ramp:
        return LoadShape::ramp(rate / 10.0, rate, durationMs);
    case RehearsalShape::Spike: {
        // The presenter says "vote now!" a little into the run: a fast rise to the rate, then
        // a fall back towards a tenth of it over half of the run.
        const qint64 atMs = std::min<qint64>(10'000, durationMs / 5);
        return LoadShape::spike(rate, std::min<qint64>(5'000, durationMs / 10 + 1),
                                std::max<qint64>(1'000, durationMs / 2), rate / 10.0, atMs);
    }
    case RehearsalShape::Steady:
        break;
    }
    return LoadShape::steady(rate);
}
} // namespace

LoopbackRehearsal::~LoopbackRehearsal()
{
    stop();
    join();
}

void LoopbackRehearsal::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

bool LoopbackRehearsal::start(const RehearsalTarget &target, const RehearsalPlan &plan,
                              std::function<void()> finished, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (m_running.load())
        return fail(u"simulated traffic is already running"_s);
    if (const QString problem = plan.validate(); !problem.isEmpty())
        return fail(problem);
    if (target.optionKeys.isEmpty())
        return fail(u"the session has no options to vote for"_s);
    LoadRunner::Config config;
    if (!ServerAddress::resolve(target.address.toString(), target.port, &config.address, error))
        return false;
    join(); // the previous run has ended (m_running is false); reap its thread

    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    VoteGenerator::Config audience;
    // Recognisable in the vote log and unique per run: "rehearsal-<session>-<start>-<n>".
    audience.voterPrefix = "rehearsal-" + QByteArray::number(target.sessionId) + '-' +
                           QByteArray::number(nowMs % 1'000'000'000) + '-';
    audience.optionKeys = target.optionKeys;
    // A race with a favourite, like a real audience: each option somewhat behind the one before.
    for (qsizetype i = 0; i < target.optionKeys.size(); ++i)
        audience.optionWeights.append(1.0 / (1.0 + 0.35 * double(i)));
    // A returning audience (votes change under last_wins), and a trickle of malformed votes so
    // the rejection counters have something to show.
    const qint64 plannedVotes = qint64(plan.ratePerSecond) * plan.durationSeconds;
    audience.voters = std::max<qint64>(1, plannedVotes * 3 / 4);
    audience.repeatRatio = 0.2;
    audience.invalidRatio[std::size_t(VoteKind::UnknownOption)] = 0.005;
    audience.invalidRatio[std::size_t(VoteKind::InvalidJson)] = 0.002;
    audience.unknownOptionKey = "not-an-option";
    audience.seed = quint64(nowMs);

    config.connections = std::clamp(plan.ratePerSecond / 500 + 1, 1, 8);
    config.pipeline = 16;
    config.durationMs = qint64(plan.durationSeconds) * 1000;
    config.timeoutMs = 10'000;
    config.drainTimeoutMs = 5'000;
    config.stop = &m_stop;
    if (!target.voterTokenSecret.isEmpty()) {
        // Signed like the show's app signs (VoterToken::signHex), checked by the real verify path.
        config.voterToken = [secret = target.voterTokenSecret](QByteArrayView voter) {
            return VoterToken::signHex(secret, voter);
        };
    }

    {
        const std::lock_guard lock(m_mutex);
        m_status = RehearsalStatus();
        m_status.plan = plan;
        m_status.sessionId = target.sessionId;
        m_status.startedAtMs = nowMs;
    }
    m_sent = 0;
    m_accepted = 0;
    m_refused = 0;
    m_failed = 0;
    m_stop = false;
    m_running = true;
    m_thread = std::thread([this, config, audience, plan, finished = std::move(finished)] {
        VoteGenerator generator(audience);
        LoadRunner runner(config, shapeFor(plan), generator);
        runner.setProgressHandler([this](const SecondStats &second) {
            m_sent.fetch_add(second.sent, std::memory_order_relaxed);
            m_accepted.fetch_add(second.ok, std::memory_order_relaxed);
            m_refused.fetch_add(second.client4xx, std::memory_order_relaxed);
            m_failed.fetch_add(second.server5xx + second.unanswered, std::memory_order_relaxed);
        });
        // The ledger is the sender's bookkeeping of every vote (about 32 bytes each); the
        // plan's limits keep it under about 100 MB.
        std::vector<SentVote> ledger;
        const RunSummary summary = runner.run(ledger);
        // The last partial second may not have been reported: take the run's own totals.
        m_sent = summary.sent;
        m_accepted = summary.ok;
        m_refused = summary.client4xx;
        m_failed = summary.server5xx + summary.unanswered;
        if (summary.sent == 0 && summary.connectionErrors > 0) {
            const std::lock_guard lock(m_mutex);
            m_status.error = u"could not connect to %1"_s.arg(summary.url);
        }
        m_running = false;
        if (finished)
            finished();
    });
    return true;
}

void LoopbackRehearsal::stop()
{
    m_stop = true;
}

RehearsalStatus LoopbackRehearsal::status() const
{
    RehearsalStatus status;
    {
        const std::lock_guard lock(m_mutex);
        status = m_status;
    }
    status.running = m_running.load();
    status.sent = m_sent.load(std::memory_order_relaxed);
    status.accepted = m_accepted.load(std::memory_order_relaxed);
    status.refused = m_refused.load(std::memory_order_relaxed);
    status.failed = m_failed.load(std::memory_order_relaxed);
    return status;
}
