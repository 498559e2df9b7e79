#include "export/resulttable.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include <QtGlobal>

namespace {
struct Quotient
{
    quint64 quotient = 0;
    quint64 remainder = 0;
};

// count * units / total and its remainder, exact for any count <= total < 2^63 and units < 2^31.
// Vote counts near 2^53 times 1000 units overflow 64 bits, and a double would round, so this
// is binary long multiplication: the running remainder stays below total, so 2 * remainder
// and remainder + count never leave 64 bits. 32 steps per option are nothing next to a sort.
Quotient mulDiv(const quint64 count, const quint64 units, const quint64 total)
{
    Q_ASSERT(total > 0 && count <= total && total <= quint64(std::numeric_limits<qint64>::max()));
    Quotient result;
    for (int bit = 31; bit >= 0; --bit) {
        result.quotient *= 2;
        result.remainder *= 2;
        if (result.remainder >= total) {
            result.remainder -= total;
            ++result.quotient;
        }
        if ((units >> bit) & 1) {
            result.remainder += count;
            if (result.remainder >= total) {
                result.remainder -= total;
                ++result.quotient;
            }
        }
    }
    return result;
}

// Negative counts cannot come from a tally; treat them as no votes rather than let them
// subtract from the others' shares.
quint64 countOf(const qint64 count)
{
    return count > 0 ? quint64(count) : 0;
}
} // namespace

QString ResultRow::percentText() const
{
    return QString::number(percentTenths / 10) % u'.' % QString::number(percentTenths % 10);
}

// Hamilton's method: everyone gets the floor of their exact quota, and the units left over
// (fewer than the number of options) go one each to the largest remainders. Remainders share
// the denominator (the total), so they compare exactly as integers. Equal remainders are
// broken by the larger count, then by option order, so the same counts always give the same
// shares (a graphics template must not flicker between two equally valid roundings).
// An option with no votes has remainder 0 and never receives a unit. The total must fit in
// 63 bits (about 9.2e18 votes), far beyond any vote.
std::vector<int> ResultTable::apportion(const std::vector<qint64> &counts, const int units)
{
    std::vector<int> shares(counts.size(), 0);
    if (units <= 0)
        return shares;
    const quint64 total = std::accumulate(counts.cbegin(), counts.cend(), quint64(0),
                                          [](quint64 sum, qint64 count) { return sum + countOf(count); });
    if (total == 0)
        return shares;

    std::vector<quint64> remainders(counts.size(), 0);
    qint64 given = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const Quotient q = mulDiv(countOf(counts[i]), quint64(units), total);
        shares[i] = int(q.quotient);
        remainders[i] = q.remainder;
        given += shares[i];
    }

    std::vector<std::size_t> order(counts.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::sort(order.begin(), order.end(), [&](const std::size_t a, const std::size_t b) {
        if (remainders[a] != remainders[b])
            return remainders[a] > remainders[b];
        if (countOf(counts[a]) != countOf(counts[b]))
            return countOf(counts[a]) > countOf(counts[b]);
        return a < b;
    });
    for (std::size_t i = 0; given < units; ++i) {
        Q_ASSERT(i < order.size() && remainders[order[i]] > 0);
        ++shares[order[i]];
        ++given;
    }
    return shares;
}

ResultTable ResultTable::compute(const SessionDefinition &session, const std::vector<qint64> &votes)
{
    // A vote vector of another length is a wiring bug; count missing entries as no votes
    // rather than read past the end.
    Q_ASSERT(votes.size() == std::size_t(session.options.size()));
    std::vector<qint64> counts(std::size_t(session.options.size()), 0);
    for (std::size_t i = 0; i < counts.size() && i < votes.size(); ++i)
        counts[i] = qint64(countOf(votes[i]));

    const std::vector<int> tenths = apportion(counts, 1000);

    ResultTable table;
    table.rows.reserve(session.options.size());
    for (qsizetype i = 0; i < session.options.size(); ++i) {
        const VoteOption &option = session.options[i];
        ResultRow row;
        row.key = option.key;
        row.label = option.label;
        row.colour = option.colour;
        row.votes = counts[std::size_t(i)];
        row.percentTenths = tenths[std::size_t(i)];
        table.total += row.votes;
        table.rows.append(row);
    }

    // Stable: equal votes keep the session's option order, which is what the operator set up.
    std::stable_sort(table.rows.begin(), table.rows.end(),
                     [](const ResultRow &a, const ResultRow &b) { return a.votes > b.votes; });
    // Competition ranking (1, 1, 3): a row's rank is one more than the rows ahead of it with
    // strictly more votes.
    for (qsizetype i = 0; i < table.rows.size(); ++i) {
        ResultRow &row = table.rows[i];
        row.rank = (i > 0 && row.votes == table.rows[i - 1].votes) ? table.rows[i - 1].rank : int(i + 1);
    }
    return table;
}
