#include "metrics/rejectreason.h"

namespace {
struct ReasonInfo
{
    RejectReason reason;
    const char *code;
    int status;
};

constexpr ReasonInfo kReasons[] = {
    {RejectReason::InvalidJson, "invalid_json", 400},
    {RejectReason::MissingField, "missing_field", 400},
    {RejectReason::InvalidVoter, "invalid_voter", 400},
    {RejectReason::UnknownOption, "unknown_option", 400},
    {RejectReason::BadRequest, "bad_request", 400},
    {RejectReason::InvalidToken, "invalid_token", 401},
    {RejectReason::WindowNotOpen, "window_not_open", 409},
    {RejectReason::WindowClosed, "window_closed", 409},
    {RejectReason::LengthRequired, "length_required", 411},
    {RejectReason::PayloadTooLarge, "payload_too_large", 413},
    {RejectReason::UnsupportedMediaType, "unsupported_media_type", 415},
    {RejectReason::RateLimited, "rate_limited", 429},
    {RejectReason::HeadersTooLarge, "headers_too_large", 431},
    {RejectReason::Overloaded, "overloaded", 503},
    {RejectReason::StorageUnavailable, "storage_unavailable", 503},
};
static_assert(sizeof(kReasons) / sizeof(kReasons[0]) == kRejectReasonCount);

const ReasonInfo &info(RejectReason reason)
{
    return kReasons[int(reason) - 1];
}
} // namespace

QByteArray rejectCode(RejectReason reason)
{
    return QByteArray(info(reason).code);
}

int rejectHttpStatus(RejectReason reason)
{
    return info(reason).status;
}

bool parseRejectCode(QByteArrayView code, RejectReason *reason)
{
    for (const ReasonInfo &candidate : kReasons) {
        if (code == QByteArrayView(candidate.code)) {
            *reason = candidate.reason;
            return true;
        }
    }
    return false;
}

void RejectCounters::add(RejectReason reason, qint64 n)
{
    m_counts[std::size_t(int(reason) - 1)].fetch_add(n, std::memory_order_relaxed);
}

qint64 RejectCounters::count(RejectReason reason) const
{
    return m_counts[std::size_t(int(reason) - 1)].load(std::memory_order_relaxed);
}

qint64 RejectCounters::total() const
{
    qint64 sum = 0;
    for (const auto &count : m_counts)
        sum += count.load(std::memory_order_relaxed);
    return sum;
}

QMap<QString, qint64> RejectCounters::byCode() const
{
    QMap<QString, qint64> result;
    for (const ReasonInfo &candidate : kReasons) {
        const qint64 n = count(candidate.reason);
        if (n != 0)
            result.insert(QString::fromLatin1(candidate.code), n);
    }
    return result;
}

void RejectCounters::restore(const QMap<QString, qint64> &byCode)
{
    for (auto it = byCode.cbegin(); it != byCode.cend(); ++it) {
        RejectReason reason;
        if (parseRejectCode(it.key().toLatin1(), &reason))
            m_counts[std::size_t(int(reason) - 1)].store(it.value(), std::memory_order_relaxed);
    }
}
