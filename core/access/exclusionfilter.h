#pragma once

#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QSet>

#include "access/clientaddress.h"
#include "session/countexclusion.h"

// The operator's exclusions as a test on one stored vote: its voter id is excluded, or its
// client address (16 stored bytes) lies in an excluded range. One definition used by the
// certifying recount (JournalWriter) and the results pack's replay, so both leave out the same
// votes. A vote without a stored address (older than schema 4) is never in a range.
class ExclusionFilter final
{
public:
    ExclusionFilter() = default;
    explicit ExclusionFilter(const CountExclusions &exclusions);

    bool isEmpty() const { return m_voters.isEmpty() && m_ranges.empty(); }
    bool excludes(QByteArrayView voter, QByteArrayView clientAddress) const;

private:
    QSet<QByteArray> m_voters;
    std::vector<IpRange> m_ranges;
};
