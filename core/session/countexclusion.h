#pragma once

#include <optional>

#include <QList>
#include <QString>

// An operator's decision to leave a voter id, or every vote from an address range, out of the
// count, with the written reason. Stored append-only with the session (its audit log), shown
// in the final report, and applied by the policy replay and the finalizing recount alike, so
// what the operator previewed is what gets certified.
struct CountExclusion
{
    // No zero: a default-constructed exclusion is invalid, never silently "a voter".
    enum class Kind
    {
        Voter = 1,
        AddressRange = 2,
    };

    Kind kind = Kind(0);
    QString value;  // the voter id, or the range ("203.0.113.0/24", "2001:db8::/32")
    QString reason; // what the operator wrote; required
    QString actor;  // who decided (the console or "admin-api <peer>")
    qint64 atMs = 0;

    static QString kindName(Kind kind); // "voter", "address_range"
    static bool parseKind(const QString &name, Kind *kind);
    // The audit line that stores it (kind kEventKind): "voter fan7 left out of the count; reason:
    // ...". Voter ids and ranges hold no spaces (VoteValidator), so the value reads back exactly.
    static constexpr char kEventKind[] = "count_excluded";
    QString eventDetail() const;
    // The exclusion an audit line of kind kEventKind stores; nullopt for any other line.
    static std::optional<CountExclusion> fromEvent(const QString &kind, const QString &detail,
                                                   const QString &actor, qint64 atMs);
};

using CountExclusions = QList<CountExclusion>;
