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
    const auto smallest = std::min_element(m_entries.begin(), m_entries.end(),
                                           [](const Entry &a, const Entry &b) { return a.count < b.count; });
    m_indexByKey.erase(smallest->key);
    const qint64 inherited = smallest->count;
    *smallest = Entry{key, label.toByteArray(), inherited + 1, inherited, rejected ? 1 : 0};
    m_indexByKey.emplace(key, int(smallest - m_entries.begin()));
}

std::vector<HeavyHitters::Entry> HeavyHitters::top(int limit) const
{
    std::vector<Entry> sorted = m_entries;
    std::sort(sorted.begin(), sorted.end(), [](const Entry &a, const Entry &b) {
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
}
