#pragma once

#include <QByteArrayView>
#include <QString>

#include "ingest/pendingvote.h"
#include "metrics/rejectreason.h"
#include "session/sessiondefinition.h"

// Edge validation of a vote body (DESIGN.md §4), pure so it can be tested table by table and
// run on any I/O thread. It checks the media type, decodes JSON or form fields, and checks
// the voter id and the option key against the session. The window is checked afterwards,
// atomically with queueing (IngestQueue).
//
// The JSON decoder has a fast path for what clients actually send — one flat object of
// plain strings — that allocates nothing; anything else (escapes, numbers, nesting,
// non-ASCII, duplicate keys, malformed input) goes to QJsonDocument, which decides.
class VoteValidator final
{
public:
    static constexpr qsizetype MaxVoterLength = VoterId::MaxLength;

    struct Outcome
    {
        bool ok = false;
        RejectReason reason = RejectReason::BadRequest; // when !ok
        QString message;                                // when !ok: names the problem
        VoterId voter;
        int optionIndex = -1;
    };

    // mediaType: without parameters, any case ("application/json",
    // "application/x-www-form-urlencoded"); empty when the request had no Content-Type.
    static Outcome validate(QByteArrayView mediaType, QByteArrayView body, const SessionDefinition &session);

    // 1-64 characters of [A-Za-z0-9._:@+-].
    static bool isValidVoter(QByteArrayView voter);
};
