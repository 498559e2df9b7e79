#include "tally/tallysnapshot.h"

#include <numeric>

qint64 TallySnapshot::exactTotal() const
{
    return std::accumulate(exact.begin(), exact.end(), qint64(0));
}

void SnapshotBox::publish(TallySnapshotPtr snapshot)
{
    std::lock_guard lock(m_mutex);
    m_snapshot = std::move(snapshot);
}

TallySnapshotPtr SnapshotBox::load() const
{
    {
        std::lock_guard lock(m_mutex);
        if (m_snapshot)
            return m_snapshot;
    }
    static const TallySnapshotPtr empty = std::make_shared<const TallySnapshot>();
    return empty;
}
