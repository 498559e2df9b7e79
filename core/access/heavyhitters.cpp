#include "access/heavyhitters.h"

#include <algorithm>

HeavyHitters::HeavyHitters(int capacity)
    : m_capacity(std::max(1, capacity))
{
    m_entries.reserve(std::size_t(m_capacity));
    m_indexByKey.reserve(std::size_t(m_capacity) * 2);
}

void HeavyHitters::add(std::uint64_t key, QByteArrayView label, bool rejected)
{
    ++m_total;
    if (const auto it = m_indexByKey.find(key); it != m_indexByKey.end()) {
        Entry &entry = m_entries[std::size_t(it->second)];
        ++entry.count;
        entry.rejected += rejected ? 1 : 0;
        return;
    }
    if (int(m_entries.size()) < m_capacity) {
        m_indexByKey.emplace(key, int(m_entries.size()));
        m_entries.push_back(Entry{key, label.toByteArray(), 1, 0, rejected ? 1 : 0});
        return;
    }
    // Replace the smallest: the newcomer may have occurred up to that many times unseen.
    const auto smallest = m_entries.begin() + std::ptrdiff_t(smallestIndex());
    // With many distinct keys (every vote a new voter id) this runs on every call, on the
    // I/O thread under a shard lock: reuse the map node and the label's buffer instead of
    // freeing and allocating both.
    auto node = m_indexByKey.extract(smallest->key);
    node.key() = key;
    node.mapped() = int(smallest - m_entries.begin());
    m_indexByKey.insert(std::move(node));
    const qint64 inherited = smallest->count;
    smallest->key = key;
    smallest->label.resize(label.size()); // keeps the capacity: no allocation once warm
    std::copy_n(label.data(), label.size(), smallest->label.data());
    smallest->count = inherited + 1;
    smallest->error = inherited;
    smallest->rejected = rejected ? 1 : 0;
}

std::size_t HeavyHitters::smallestIndex()
{
    // Counts only grow, so the smallest count never falls: m_minCount is a lower bound of every
    // count, and an entry found at it is a smallest one. Searching on from where the last search
    // stopped finds one in a step or two when many keys sit at the minimum (a flood of distinct
    // ids, when this runs on every vote) where a full scan of the table cost ~500 instructions.
    // Only when none is left at the bound does a search go round the whole table, and then it
    // raises the bound to the true minimum: at most one full round per increase of the minimum.
    const std::size_t size = m_entries.size();
    std::size_t at = m_cursor < size ? m_cursor : 0;
    std::size_t best = at;
    for (std::size_t step = 0; step < size; ++step) {
        const qint64 count = m_entries[at].count;
        if (count <= m_minCount) {
            m_cursor = at + 1;
            return at;
        }
        if (count < m_entries[best].count)
            best = at;
        if (++at == size)
            at = 0;
    }
    m_minCount = m_entries[best].count;
    m_cursor = best + 1;
    return best;
}

std::vector<HeavyHitters::Entry> HeavyHitters::top(int limit) const
{
    std::vector<Entry> sorted = m_entries;
    // By the guaranteed count first, as the fraud panel ranks (FraudMonitor), so the cut to
    // `limit` never drops a key whose lower bound beats a kept one's.
    std::sort(sorted.begin(), sorted.end(), [](const Entry &a, const Entry &b) {
        if (a.count - a.error != b.count - b.error)
            return a.count - a.error > b.count - b.error;
        return a.count != b.count ? a.count > b.count : a.key < b.key;
    });
    if (limit >= 0 && int(sorted.size()) > limit)
        sorted.resize(std::size_t(limit));
    return sorted;
}

void HeavyHitters::clear()
{
    m_total = 0;
    m_entries.clear();
    m_indexByKey.clear();
    m_minCount = 0;
    m_cursor = 0;
}
