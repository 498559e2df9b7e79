#pragma once

#include <array>
#include <atomic>

#include <QByteArray>
#include <QMap>
#include <QString>

// Why a vote was not taken: each is the error code a client sees (DESIGN.md §4) and a
// counter the operator sees. Starts at 1: no silently valid zero.
enum class RejectReason
{
    InvalidJson = 1,
    MissingField,
    InvalidVoter,
    UnknownOption,
    BadRequest,
    InvalidToken,
    WindowNotOpen,
    WindowClosed, // a late vote
    LengthRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    HeadersTooLarge,
    Overloaded,
    StorageUnavailable,
};

constexpr int kRejectReasonCount = int(RejectReason::StorageUnavailable);

QByteArray rejectCode(RejectReason reason); // "invalid_json", ...
int rejectHttpStatus(RejectReason reason);  // 400, 409, 503, ...
bool parseRejectCode(QByteArrayView code, RejectReason *reason);

// Per-session rejection counters, bumped by I/O threads (relaxed atomics: they are
// statistics, nothing is ordered by them) and read by the UI, metrics and the writer that
// persists them.
class RejectCounters final
{
public:
    void add(RejectReason reason, qint64 n = 1);
    qint64 count(RejectReason reason) const;
    qint64 total() const;
    QMap<QString, qint64> byCode() const; // only non-zero reasons
    void restore(const QMap<QString, qint64> &byCode);

private:
    std::array<std::atomic<qint64>, kRejectReasonCount> m_counts{};
};
