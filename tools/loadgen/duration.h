#pragma once

#include <QString>

// Durations as people type them on a command line: "10s", "2m", "500ms", "1h", "1.5s";
// a bare number is seconds. Returns milliseconds, or -1 with *error set.
qint64 parseDurationMs(const QString &text, QString *error = nullptr);

// The short form back: "10s", "2m", "1m30s", "250ms".
QString formatDurationMs(qint64 ms);
