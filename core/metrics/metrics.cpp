#include "metrics/metrics.h"

#include <cmath>

#include <QHash>
#include <QLocale>
#include <QMutexLocker>
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
    // Failed commits are timed too: a storage that hangs before failing is what the
    // operator most needs to see in the commit latency.
    commit.record(micros);
    if (ok) {
        batches.fetch_add(1, std::memory_order_relaxed);
        batchVotes.fetch_add(votes, std::memory_order_relaxed);
    }
    lastBatchSize.store(votes, std::memory_order_relaxed);
    storageHealthy.store(ok, std::memory_order_relaxed);
}

void Metrics::setGauge(QByteArray name, QByteArray help, std::function<double()> read)
{
    const QMutexLocker locker(&m_gaugesMutex);
    for (Gauge &gauge : m_gauges) {
        if (gauge.name == name) {
            gauge.help = std::move(help);
            gauge.read = std::move(read);
            return;
        }
    }
    m_gauges.append({std::move(name), std::move(help), std::move(read)});
}

QList<Metrics::Gauge> Metrics::gauges() const
{
    // A copy of the list (shared, so one reference count) lets the callbacks run unlocked.
    const QMutexLocker locker(&m_gaugesMutex);
    return m_gauges;
}

std::optional<double> Metrics::readGauge(QByteArrayView name) const
{
    const QList<Gauge> all = gauges();
    for (const Gauge &gauge : all) {
        if (gauge.name == name)
            return gauge.read ? gauge.read() : 0.0;
    }
    return std::nullopt;
}

QList<Metrics::Sample> Metrics::samples() const
{
    auto v = [](const std::atomic<qint64> &a) {
        return double(a.load(std::memory_order_relaxed));
    };
    QList<Sample> result{
        {"votedesk_votes_received_total", "counter", "Votes that passed edge validation and were queued",
         v(votesReceived)},
        {"votedesk_votes_accepted_total", "counter", "Votes answered 202 Accepted", v(votesAccepted)},
        {"votedesk_votes_rejected_total", "counter", "Votes refused for any reason, all sessions",
         v(votesRejected)},
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
        {"votedesk_batches_total", "counter", "Group commits that succeeded", v(batches)},
        {"votedesk_batch_votes_total", "counter", "Votes in successful group commits", v(batchVotes)},
        {"votedesk_last_batch_votes", "gauge", "Votes in the last group commit", v(lastBatchSize)},
        {"votedesk_storage_healthy", "gauge", "1 if the last commit succeeded",
         storageHealthy.load(std::memory_order_relaxed) ? 1.0 : 0.0},
    };
    const QList<Gauge> all = gauges();
    for (const Gauge &gauge : all)
        result.append({gauge.name, "gauge", gauge.help, gauge.read ? gauge.read() : 0.0});
    result.append(histogramSamples("votedesk_vote_latency_seconds",
                                   "Time from receipt of a vote to its 202 being released",
                                   endToEnd.snapshot()));
    result.append(histogramSamples("votedesk_commit_latency_seconds",
                                   "Duration of one group commit including fsync", commit.snapshot()));
    return result;
}

QList<Metrics::Sample> Metrics::histogramSamples(const QByteArray &family, const QByteArray &help,
                                                 const LatencyHistogram::Snapshot &snapshot)
{
    QList<Sample> result;
    const QList<LatencyHistogram::PrometheusBucket> buckets = snapshot.prometheusBuckets();
    result.reserve(buckets.size() + 2);
    for (const LatencyHistogram::PrometheusBucket &bucket : buckets) {
        result.append({family + "_bucket",
                       "histogram",
                       help,
                       double(bucket.cumulativeCount),
                       {{"le", formatValue(bucket.leSeconds)}},
                       family});
    }
    result.append({family + "_sum", "histogram", help, double(snapshot.sum()) / 1e6, {}, family});
    // The "+Inf" bucket, not snapshot.count(): the format requires them to be equal.
    result.append(
        {family + "_count", "histogram", help, double(buckets.constLast().cumulativeCount), {}, family});
    return result;
}

QByteArray Metrics::formatValue(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    // Counters are integers; doubles hold them exactly up to 2^53.
    constexpr double kExactIntegers = 9007199254740992.0;
    if (value == std::trunc(value) && std::fabs(value) < kExactIntegers)
        return QByteArray::number(qint64(value));
    // QByteArray::number is locale-free. 'g' would write 0.0005 as 5e-04, which reads back
    // the same but makes an `le` label that doesn't match le="0.0005" in a query, so plain
    // decimals are used where they stay short, as Prometheus' own clients do.
    const double magnitude = std::fabs(value);
    const char format = magnitude >= 1e-4 && magnitude < 1e21 ? 'f' : 'e';
    return QByteArray::number(value, format, QLocale::FloatingPointShortest);
}

QByteArray Metrics::escapeLabelValue(QByteArrayView value)
{
    QByteArray out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

namespace {
// HELP text escapes only backslash and line feed (a quote is literal there).
QByteArray escapeHelp(const QByteArray &help)
{
    QByteArray out = help;
    out.replace('\\', "\\\\");
    out.replace('\n', "\\n");
    return out;
}

QByteArray familyOf(const Metrics::Sample &sample)
{
    if (!sample.family.isEmpty())
        return sample.family;
    const qsizetype brace = sample.name.indexOf('{');
    return brace < 0 ? sample.name : sample.name.left(brace);
}

QByteArray seriesName(const Metrics::Sample &sample)
{
    if (sample.labels.isEmpty())
        return sample.name;
    QByteArray rendered;
    for (const auto &label : sample.labels) {
        if (!rendered.isEmpty())
            rendered += ',';
        rendered += label.first + "=\"" + Metrics::escapeLabelValue(label.second) + '"';
    }
    // A name with pre-rendered labels gets the structured ones added inside its braces.
    if (sample.name.endsWith('}'))
        return sample.name.chopped(1) + ',' + rendered + '}';
    return sample.name + '{' + rendered + '}';
}
} // namespace

QByteArray Metrics::prometheusText(const QList<Sample> &samples)
{
    // The format wants every line of a family in one group, so samples that arrive
    // interleaved (e.g. extra samples appended by other parts) are gathered first.
    QList<QByteArray> order;
    QHash<QByteArray, QList<qsizetype>> byFamily;
    for (qsizetype i = 0; i < samples.size(); ++i) {
        const QByteArray family = familyOf(samples[i]);
        auto it = byFamily.find(family);
        if (it == byFamily.end()) {
            order.append(family);
            it = byFamily.insert(family, {});
        }
        it->append(i);
    }

    QByteArray out;
    out.reserve(64 * samples.size());
    // A series given twice (say a gauge registered with setGauge and also appended by hand)
    // would make Prometheus reject the whole scrape; the first one is kept.
    QSet<QByteArray> written;
    for (const QByteArray &family : std::as_const(order)) {
        const QList<qsizetype> &members = byFamily[family];
        const Sample &first = samples[members.constFirst()];
        out += "# HELP " + family + ' ' + escapeHelp(first.help) + '\n';
        out += "# TYPE " + family + ' ' + first.type + '\n';
        for (const qsizetype i : members) {
            const QByteArray series = seriesName(samples[i]);
            if (!written.contains(series)) {
                written.insert(series);
                out += series + ' ' + formatValue(samples[i].value) + '\n';
            }
        }
    }
    return out;
}
