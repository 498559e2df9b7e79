#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include "http/httprequest.h"

namespace Http {

struct ParserLimits
{
    qsizetype maxHeaderBytes = 8 * 1024; // request line + headers
    qsizetype maxBodyBytes = 4 * 1024;   // after de-chunking
    int maxHeaderCount = 100;            // more header lines get 431
};

// A pure function from bytes to (status, frame size, request), on Debian's libhttp-parser.
// It keeps no state between calls: the connection calls it with everything it has buffered
// and, on Complete, drops frameSize bytes and calls it again for a pipelined request.
// Incomplete requests are re-parsed from their start when more bytes arrive; the limits keep
// that bounded.
//
// The request it returns views `data` (see HttpRequest): it stays valid as long as the bytes
// passed in do, and nothing is copied except a chunked body. Header values folded over
// several lines (obs-fold) are refused with 400, as RFC 9112 §5.2 allows: joining them would
// need a copy, and no client of ours sends them.
class RequestParser final
{
public:
    enum class Status
    {
        Complete = 1, // request holds one full message of frameSize bytes
        Incomplete,   // need more bytes; nothing is consumed
        Error         // errorStatus/errorCode say why; the connection must answer and close
    };

    struct Result
    {
        Status status = Status::Incomplete;
        qsizetype frameSize = 0;
        HttpRequest request;
        // Set on Incomplete when the headers are complete, carry "Expect: 100-continue"
        // and the body has not fully arrived: the connection sends "100 Continue" once.
        bool expectContinue = false;
        // On Error: 400 bad_request, 411 length_required, 413 payload_too_large,
        // 431 headers_too_large (bytes or count), 501 not_implemented (transfer coding).
        int errorStatus = 0;
        QByteArray errorCode;
        QString errorMessage;
    };

    static Result parse(QByteArrayView data, const ParserLimits &limits = {});
    // The request views `data`, so a temporary array would be gone before anyone reads it.
    static Result parse(QByteArray &&data, const ParserLimits &limits = {}) = delete;
};

} // namespace Http
