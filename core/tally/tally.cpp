#include "tally/tally.h"

#include <algorithm>

using namespace Qt::Literals::StringLiterals;

Tally::Tally(qint64 sessionId, int optionCount, CountingRule rule)
    : m_sessionId(sessionId)
    , m_ledger(rule)
    , m_counts(optionCount)
{}

void Tally::apply(QByteArrayView voter, int optionIndex)
{
    Q_ASSERT(optionIndex >= 0 && std::size_t(optionIndex) < m_counts.raw.size());
    m_ledger.apply(voter, optionIndex, m_counts);
    ++m_version;
}

TallySnapshot Tally::snapshot(qint64 nowMs) const
{
    TallySnapshot s;
    s.sessionId = m_sessionId;
    s.version = m_version;
    s.takenAtMs = nowMs;
    s.raw = m_counts.raw;
    s.exact = m_counts.exact;
    s.accepted = m_counts.accepted;
    s.uniqueVoters = m_counts.uniqueVoters;
    return s;
}

QString TallyDifference::fieldName() const
{
    switch (field) {
    case Field::Exact:
        return u"exact"_s;
    case Field::Raw:
        return u"raw"_s;
    case Field::Accepted:
        return u"accepted"_s;
    case Field::UniqueVoters:
        return u"unique_voters"_s;
    }
    return u"unknown"_s;
}

QList<TallyDifference> compareTallies(const TallyCounts &live, const TallyCounts &recount)
{
    QList<TallyDifference> differences;
    auto compareCounts = [&](TallyDifference::Field field, const std::vector<qint64> &a,
                             const std::vector<qint64> &b) {
        const std::size_t n = std::max(a.size(), b.size());
        for (std::size_t i = 0; i < n; ++i) {
            const qint64 x = i < a.size() ? a[i] : 0;
            const qint64 y = i < b.size() ? b[i] : 0;
            if (x != y)
                differences.append({field, int(i), x, y});
        }
    };
    // Exact first: it is what airs.
    compareCounts(TallyDifference::Field::Exact, live.exact, recount.exact);
    compareCounts(TallyDifference::Field::Raw, live.raw, recount.raw);
    if (live.accepted != recount.accepted)
        differences.append({TallyDifference::Field::Accepted, -1, live.accepted, recount.accepted});
    if (live.uniqueVoters != recount.uniqueVoters)
        differences.append(
            {TallyDifference::Field::UniqueVoters, -1, live.uniqueVoters, recount.uniqueVoters});
    return differences;
}
