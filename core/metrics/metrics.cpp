#include "metrics/metrics.h"

#include <QSet>

void Metrics::recordCommit(qint64 votes, qint64 micros, bool ok)
{
    commits.fetch_add(1, std::memory_order_relaxed);
    if (!ok)
        commitFailures.fetch_add(1, std::memory_order_relaxed);
    commitMicrosTotal.fetch_add(micros, std::memory_order_relaxed);
    qint64 max = commitMicrosMax.load(std::memory_order_relaxed);
    while (micros > max && !commitMicrosMax.compare_exchange_weak(max, micros, std::memory_order_relaxed)) {
    }
    lastBatchSize.store(votes, std::memory_order_relaxed);
    storageHealthy.store(ok, std::memory_order_relaxed);
}

QList<Metrics::Sample> Metrics::samples() const
{
    auto v = [](const std::atomic<qint64> &a) {
        return double(a.load(std::memory_order_relaxed));
    };
    return {
        {"votedesk_votes_received_total", "counter", "Votes that passed edge validation and were queued",
         v(votesReceived)},
        {"votedesk_votes_persisted_total", "counter", "Votes committed to the store and acknowledged",
         v(votesPersisted)},
        {"votedesk_votes_storage_failed_total", "counter", "Votes answered 503 after a failed commit",
         v(votesFailed)},
        {"votedesk_commits_total", "counter", "Group commits attempted", v(commits)},
        {"votedesk_commit_failures_total", "counter", "Group commits that failed", v(commitFailures)},
        {"votedesk_commit_seconds_total", "counter", "Time spent in group commits",
         v(commitMicrosTotal) / 1e6},
        {"votedesk_commit_seconds_max", "gauge", "Longest group commit since start",
         v(commitMicrosMax) / 1e6},
        {"votedesk_last_batch_votes", "gauge", "Votes in the last group commit", v(lastBatchSize)},
        {"votedesk_storage_healthy", "gauge", "1 if the last commit succeeded",
         storageHealthy.load(std::memory_order_relaxed) ? 1.0 : 0.0},
    };
}

QByteArray Metrics::prometheusText(const QList<Sample> &samples)
{
    QByteArray out;
    out.reserve(4096);
    QSet<QByteArray> described;
    for (const Sample &sample : samples) {
        const qsizetype brace = sample.name.indexOf('{');
        const QByteArray family = brace < 0 ? sample.name : sample.name.left(brace);
        if (!described.contains(family)) {
            described.insert(family);
            out += "# HELP " + family + ' ' + sample.help + '\n';
            out += "# TYPE " + family + ' ' + sample.type + '\n';
        }
        out += sample.name + ' ' + QByteArray::number(sample.value, 'g', 15) + '\n';
    }
    return out;
}
