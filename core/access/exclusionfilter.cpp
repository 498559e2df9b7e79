#include "access/exclusionfilter.h"

#include <algorithm>

ExclusionFilter::ExclusionFilter(const CountExclusions &exclusions)
{
    for (const CountExclusion &exclusion : exclusions) {
        if (exclusion.kind == CountExclusion::Kind::Voter)
            m_voters.insert(exclusion.value.toLatin1());
        else if (const auto range = IpRange::parse(exclusion.value))
            m_ranges.push_back(*range);
    }
}

bool ExclusionFilter::excludes(QByteArrayView voter, QByteArrayView clientAddress) const
{
    if (!m_voters.isEmpty() && m_voters.contains(voter.toByteArray()))
        return true;
    if (m_ranges.empty() || clientAddress.size() != 16)
        return false;
    IpAddress address;
    std::copy_n(clientAddress.data(), 16, reinterpret_cast<char *>(address.bytes.data()));
    return std::any_of(m_ranges.cbegin(), m_ranges.cend(),
                       [&address](const IpRange &range) { return range.contains(address); });
}
