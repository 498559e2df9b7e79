#pragma once

#include <QByteArray>
#include <QString>

#include "export/resulttable.h"

// The broadcast CSV of DESIGN.md §5: RFC 4180 (fields with comma, quote, CR or LF are quoted,
// quotes doubled), UTF-8, CRLF line ends, optional BOM for Excel.
class CsvWriter final
{
public:
    struct Options
    {
        bool byteOrderMark = false;
    };

    // rank,key,label,votes,percent — one row per option, leader first.
    static QByteArray longForm(const ResultTable &table, Options options);
    // One header row and one data row for templates with flat fields:
    // total,<KEY>_label,<KEY>_votes,<KEY>_percent,... in the session's option order.
    static QByteArray wideForm(const ResultTable &table, const SessionDefinition &session, Options options);

    static QByteArray quoteField(const QString &field);

    // Replaces the file atomically (QSaveFile), so a graphics engine polling the folder
    // never reads half a file. Returns false and sets *error naming the path and reason.
    static bool writeFile(const QString &path, const QByteArray &content, QString *error);
};
