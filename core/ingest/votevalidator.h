#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include "metrics/rejectreason.h"
#include "session/sessiondefinition.h"

// Edge validation of a vote body (DESIGN.md §4), pure so it can be tested table by table and
// run on any I/O thread. It checks the media type, decodes JSON or form fields, and checks
// the voter id and the option key against the session. The window is checked afterwards,
// atomically with queueing (IngestQueue).
class VoteValidator final
{
public:
    static constexpr qsizetype MaxVoterLength = 64;

    struct Outcome
    {
        bool ok = false;
        RejectReason reason = RejectReason::BadRequest; // when !ok
        QString message;                                // when !ok: names the problem
        QString voter;
        int optionIndex = -1;
    };

    // mediaType: lower-case, without parameters ("application/json",
    // "application/x-www-form-urlencoded"); empty when the request had no Content-Type.
    static Outcome validate(QByteArrayView mediaType, QByteArrayView body, const SessionDefinition &session);

    // 1-64 characters of [A-Za-z0-9._:@+-].
    static bool isValidVoter(QByteArrayView voter);
};
