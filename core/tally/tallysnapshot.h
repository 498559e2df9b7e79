#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <QtGlobal>

// An immutable copy of a session's tallies at one instant. Counts are indexed like the
// session's options. Built by the thread that owns the Tally; read by any thread.
struct TallySnapshot
{
    qint64 sessionId = 0;
    quint64 version = 0;  // grows with every change; readers use it as a dirty flag
    qint64 takenAtMs = 0; // wall clock
    std::vector<qint64> raw;
    std::vector<qint64> exact;
    qint64 accepted = 0;     // votes stored and counted raw
    qint64 uniqueVoters = 0; // distinct voter ids among them

    qint64 exactTotal() const;
};

using TallySnapshotPtr = std::shared_ptr<const TallySnapshot>;

// The latest snapshot, handed from the tally's owner to any number of readers.
// Locking rule: m_mutex guards only the pointer swap/copy, never work on the snapshot.
class SnapshotBox final
{
public:
    void publish(TallySnapshotPtr snapshot);
    TallySnapshotPtr load() const; // never null: an empty snapshot before the first publish

private:
    mutable std::mutex m_mutex;
    TallySnapshotPtr m_snapshot;
};
