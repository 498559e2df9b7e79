#pragma once

#include <functional>

#include <QByteArray>
#include <QList>

#include "export/publishedresults.h"
#include "export/resultdocuments.h"

// The documents the public results endpoints serve. Each is rendered once per publish from
// the published picture (never per request, never from the live tally) and served from
// memory, so polling clients cost the ingest nothing. The feed documents are the bytes the
// export folder gets (ResultDocuments, with the same options), so a graphics machine may poll
// the file or the URL and see the same thing; their route, the 404 not_published before the
// results are released, ETag/304, Cache-Control and CORS come with the entry (apiroutes.cpp).
struct PublishedDocument
{
    QByteArray path;        // "/v1/results.csv"
    QByteArray contentType; // "text/csv; charset=utf-8; header=present"
    std::function<QByteArray(const PublishedResults &results, const ResultDocuments::Options &options)>
        render;
};

// In a fixed order: a document's index is its place in PublishedView::bodies.
//   /v1/results           the API's JSON object (renderResultsJson), what the audience page reads
//   /v1/results.json      results.json: an array of row objects, as vMix and others map it
//   /v1/results.csv       results.csv:  rank,key,label,votes,percent,total,status
//   /v1/results-wide.csv  results-wide.csv: one row, total,<KEY>_label,<KEY>_votes,<KEY>_percent,...
//   /v1/results.xml       results.xml
const QList<PublishedDocument> &publishedDocuments();

// GET /v1/results: {"session","question","state","policy","version","final","status",
// "published_at","updated_at","total","results":[{"rank","key","label","colour","votes","percent"}]}
QByteArray renderResultsJson(const PublishedResults &results, const ResultDocuments::Options &options = {});
