#pragma once

#include <memory>
#include <mutex>

#include <QByteArray>
#include <QList>

#include "export/publishedresults.h"
#include "export/resultdocuments.h"
#include "store/votestore.h"

// What the public results endpoints serve: the published picture with every document of
// publishedDocuments() already rendered. Immutable; built on the engine's thread at publish.
struct PublishedView
{
    PublishedResultsPtr results;
    QList<QByteArray> bodies; // indexed like publishedDocuments()
    QByteArray etag;          // "<session>-<publish version>", quoted
};

using PublishedViewPtr = std::shared_ptr<const PublishedView>;

// `options` are the feed files' (BOM), so the endpoints serve the files' bytes.
PublishedViewPtr renderPublishedView(PublishedResultsPtr results,
                                     const ResultDocuments::Options &options = {});

// The published view of the current session, handed from the engine (which publishes) to the
// I/O threads (which serve it). Null while nothing may be shown: a request then gets
// 404 not_published. Locking rule: m_mutex guards only the pointer copy, never rendering
// or serving, so a publish never waits for a request and no request sees half a picture.
class PublishedBox final
{
public:
    void publish(PublishedViewPtr view);
    PublishedViewPtr load() const; // null when nothing is published

private:
    mutable std::mutex m_mutex;
    PublishedViewPtr m_view;
};

// The store form of a picture (PublishedRecord::picture is JSON: the tally and the window at
// publish time; the session definition is the session's own record).
PublishedRecord toPublishedRecord(const PublishedResults &results);
// The picture back, for `session` (whose id must be the record's). False with *error when
// the stored picture does not fit the session (then nothing is put back on air).
bool fromPublishedRecord(const PublishedRecord &record, const SessionDefinition &session,
                         PublishedResults *out, QString *error);
