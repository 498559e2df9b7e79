#pragma once

#include <array>

#include <QByteArray>
#include <QString>

#include "export/publishedresults.h"
#include "export/resulttable.h"

// The four documents the graphics read, each a pure function of one PublishedResults, so
// the files in the export folder (FeedWriter), the public HTTP endpoints (rendered once per
// publish: engine/publisheddocuments.h) and the final pack hand out identical bytes for the
// same publish. Formats (all UTF-8; columns and fields are
// never renamed or reordered, new ones are only ever appended):
//
//   results.csv       RFC 4180, CRLF, optional BOM. Header rank,key,label,votes,percent,total,status;
//                     one row per option, leader first (ties share a rank: 1,1,3).
//   results-wide.csv  RFC 4180, CRLF, optional BOM. One header and one data row:
//                     total,<KEY>_label,<KEY>_votes,<KEY>_percent,...,status in the session's
//                     option order, so "B_votes" stays in its column whatever the standings.
//   results.json      An array of row objects, one per option, leader first, fields in this
//                     order: rank (number), key, label, colour, votes (number), percent
//                     (string), total (number), status. LF line ends, one row per line.
//   results.xml       <results status="..."> with <status>, <rehearsal>, <final>, <session>,
//                     <title>, <question>, <publish_version>, <published_at>, <total>, then
//                     one <row> per option (leader first) with child elements rank, key,
//                     label, colour, votes, percent, total, status. XPath /results/row.
//
// percent is always text with exactly one decimal ("40.0", never 40 or 39.99999): the shares
// are apportioned in tenths by largest remainder so that they add up to exactly 100.0, and a
// JSON number would lose the ".0" that keeps a lower-third from jumping in width. With no
// votes every share is "0.0" (never NaN).
//
// status is REHEARSAL for a rehearsal session (whatever else), FINAL once certified, else
// PROVISIONAL; it is in every row of every document, so a template bound to any one row sees
// it. In a rehearsal the labels also start with "[REHEARSAL] " (Options::markRehearsalLabels),
// so that even a template that maps only label and percent cannot put rehearsal figures on
// air unmarked; column names stay the same.
class ResultDocuments final
{
public:
    enum class Kind
    {
        Json = 0, // indexes kKinds and FeedWriter's per-file state; keep dense
        LongCsv,
        WideCsv,
        Xml
    };
    static constexpr std::array<Kind, 4> kKinds{Kind::Json, Kind::LongCsv, Kind::WideCsv, Kind::Xml};

    struct Options
    {
        bool csvByteOrderMark = false;   // Excel reads UTF-8 CSV only with a BOM
        bool markRehearsalLabels = true; // "[REHEARSAL] " before every label of a rehearsal
    };

    static QByteArray render(Kind kind, const PublishedResults &results, const Options &options);
    static QByteArray json(const PublishedResults &results, const Options &options);
    static QByteArray longCsv(const PublishedResults &results, const Options &options);
    static QByteArray wideCsv(const PublishedResults &results, const Options &options);
    static QByteArray xml(const PublishedResults &results, const Options &options);

    static QString fileName(Kind kind);       // "results.json", "results.csv", ...
    static QByteArray httpPath(Kind kind);    // "/v1/results.json", "/v1/results.csv", ...
    static QByteArray contentType(Kind kind); // "application/json", "text/csv; charset=utf-8", ...

    static QString statusText(const PublishedResults &results); // PROVISIONAL | FINAL | REHEARSAL
    static QString rehearsalPrefix() { return QStringLiteral("[REHEARSAL] "); }
    // The rows every document shows: the exact tally, ranked, labels marked per options.
    static ResultTable table(const PublishedResults &results, const Options &options);
};
