#pragma once

#include <vector>

#include <QList>
#include <QString>

#include "session/sessiondefinition.h"

// One row of the broadcast result: rank (1 = leader; ties share a rank, 1,1,3), option, votes
// and its share in tenths of a percent. Shares are rounded by largest remainder so that they
// always add up to exactly 100.0 (1000 tenths) when there are votes, and are all 0 when none.
struct ResultRow
{
    int rank = 0;
    QString key;
    QString label;
    QString colour;
    qint64 votes = 0;
    int percentTenths = 0;

    QString percentText() const; // "42.5"
};

struct ResultTable
{
    qint64 total = 0;
    QList<ResultRow> rows; // by votes, descending; ties keep the session's option order

    // votes is indexed like session.options.
    static ResultTable compute(const SessionDefinition &session, const std::vector<qint64> &votes);
    // Largest-remainder apportionment of `units` among the counts (exposed for tests).
    static std::vector<int> apportion(const std::vector<qint64> &counts, int units);
};
