#pragma once

#include <functional>

#include <QByteArray>
#include <QList>

#include "export/publishedresults.h"

// The documents the public results endpoints serve. Each is rendered once per publish from
// the published picture (never per request, never from the live tally) and served from
// memory, so polling clients cost the ingest nothing.
//
// This is the seam with the feed writers (core/export): a new format is one more entry in
// publishedDocuments() (e.g. /v1/results-wide.csv, /v1/results.xml); its route, the
// 404 not_published before the results are released, ETag/304, Cache-Control and CORS come
// with the entry (apiroutes.cpp). A renderer may replace the ones below.
struct PublishedDocument
{
    QByteArray path;        // "/v1/results.csv"
    QByteArray contentType; // "text/csv; charset=utf-8"
    std::function<QByteArray(const PublishedResults &results)> render;
};

// In a fixed order: a document's index is its place in PublishedView::bodies.
const QList<PublishedDocument> &publishedDocuments();

// The documents the core renders itself.
// GET /v1/results: {"session","question","state","policy","version","final","published_at",
// "updated_at","total","results":[{"rank","key","label","colour","votes","percent"}]}
QByteArray renderResultsJson(const PublishedResults &results);
// GET /v1/results.csv: the broadcast CSV, rank,key,label,votes,percent (CsvWriter::longForm).
QByteArray renderResultsCsv(const PublishedResults &results);
