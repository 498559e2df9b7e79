#include "access/fraudmonitor.h"

#include <algorithm>

#include <QHashFunctions>

namespace {

QList<FraudSnapshot::Row> mergedTop(std::vector<HeavyHitters::Entry> entries, int limit, bool labelIsAddress)
{
    // Each key lives in one shard only (voters by their request's address: see record()),
    // except a voter seen from several addresses, whose partial counts are summed here.
    std::sort(entries.begin(), entries.end(),
              [](const HeavyHitters::Entry &a, const HeavyHitters::Entry &b) { return a.key < b.key; });
    std::vector<HeavyHitters::Entry> merged;
    for (HeavyHitters::Entry &entry : entries) {
        if (!merged.empty() && merged.back().key == entry.key) {
            merged.back().count += entry.count;
            merged.back().error += entry.error;
            merged.back().rejected += entry.rejected;
        } else {
            merged.push_back(std::move(entry));
        }
    }
    // Ranked by the guaranteed count (count - error), then the bound: in a shard flooded by
    // distinct ids (loopback load, one proxy) every newcomer inherits the evicted minimum, and
    // ranking by the upper bound filled the list with one-vote ids above a real stuffer.
    std::sort(merged.begin(), merged.end(), [](const HeavyHitters::Entry &a, const HeavyHitters::Entry &b) {
        const qint64 aMin = a.count - a.error;
        const qint64 bMin = b.count - b.error;
        if (aMin != bMin)
            return aMin > bMin;
        return a.count != b.count ? a.count > b.count : a.label < b.label;
    });
    QList<FraudSnapshot::Row> rows;
    for (const HeavyHitters::Entry &entry : merged) {
        if (rows.size() >= limit)
            break;
        FraudSnapshot::Row row;
        if (labelIsAddress) {
            IpAddress address;
            std::copy_n(entry.label.constData(), address.bytes.size(), address.bytes.begin());
            row.key = address.toString();
        } else {
            row.key = QString::fromUtf8(entry.label);
        }
        row.count = entry.count;
        row.error = entry.error;
        row.rejected = entry.rejected;
        rows.append(row);
    }
    return rows;
}

} // namespace

FraudMonitor::FraudMonitor()
{
    for (Shard &shard : m_shards)
        shard.secondOfSlot.fill(-1);
}

void FraudMonitor::record(QByteArrayView voter, const IpAddress &address, bool rejected, qint64 steadyMs)
{
    const std::uint64_t addressKey = address.hash();
    // The address's 16 bytes are the label: turned into text only when a snapshot is read.
    const QByteArrayView addressLabel(reinterpret_cast<const char *>(address.bytes.data()),
                                      qsizetype(address.bytes.size()));
    // A fixed seed: the same voter must get the same key in every shard for the merge.
    const std::uint64_t voterKey =
        voter.isEmpty() ? 0 : std::uint64_t(qHashBits(voter.data(), std::size_t(voter.size()), 0));
    const qint64 second = steadyMs / 1000;
    const std::size_t slot = std::size_t(second % kSecondsKept);

    Shard &shard = m_shards[addressKey % kShardCount];
    const std::lock_guard lock(shard.mutex);
    ++shard.total;
    shard.rejected += rejected ? 1 : 0;
    shard.addresses.add(addressKey, addressLabel, rejected);
    if (!voter.isEmpty())
        shard.voters.add(voterKey, voter, rejected);
    if (shard.secondOfSlot[slot] != second) {
        shard.secondOfSlot[slot] = second;
        shard.countOfSlot[slot] = 0;
    }
    ++shard.countOfSlot[slot];
}

FraudSnapshot FraudMonitor::snapshot(int limit, qint64 steadyMs) const
{
    FraudSnapshot out;
    std::vector<HeavyHitters::Entry> voters;
    std::vector<HeavyHitters::Entry> addresses;
    const qint64 nowSecond = steadyMs / 1000;
    std::array<qint64, kSecondsKept> perSecond{}; // index 0 = the oldest kept second
    for (const Shard &shard : m_shards) {
        const std::lock_guard lock(shard.mutex);
        out.total += shard.total;
        out.rejected += shard.rejected;
        const std::vector<HeavyHitters::Entry> v = shard.voters.top(limit);
        voters.insert(voters.end(), v.begin(), v.end());
        const std::vector<HeavyHitters::Entry> a = shard.addresses.top(limit);
        addresses.insert(addresses.end(), a.begin(), a.end());
        for (int i = 0; i < kSecondsKept; ++i) {
            const qint64 second = shard.secondOfSlot[std::size_t(i)];
            const qint64 age = nowSecond - second;
            if (second >= 0 && age >= 0 && age < kSecondsKept)
                perSecond[std::size_t(kSecondsKept - 1 - age)] += shard.countOfSlot[std::size_t(i)];
        }
    }
    out.topVoters = mergedTop(std::move(voters), limit, false);
    out.topAddresses = mergedTop(std::move(addresses), limit, true);
    for (qint64 count : perSecond) {
        out.perSecond.append(count);
        out.peakPerSecond = std::max(out.peakPerSecond, count);
    }
    return out;
}

void FraudMonitor::reset()
{
    for (Shard &shard : m_shards) {
        const std::lock_guard lock(shard.mutex);
        shard.voters.clear();
        shard.addresses.clear();
        shard.total = 0;
        shard.rejected = 0;
        shard.secondOfSlot.fill(-1);
        shard.countOfSlot.fill(0);
    }
}
