#pragma once

#include <utility>
#include <vector>

#include <QtGlobal>

#include "http/httpresponse.h"

namespace Http {

class IoContext;

// Where a deferred answer goes: the I/O context (thread) that owns the connection, the
// connection, and the request's position in that connection's pipeline.
struct ReplyTicket
{
    IoContext *context = nullptr;
    quint64 connectionId = 0;
    quint64 sequence = 0;

    bool isValid() const { return context != nullptr; }
};

using PendingReply = std::pair<ReplyTicket, HttpResponse>;

// Thread-safe, callable from any thread. Groups the replies by I/O context and appends each
// group to its context's inbox, waking that I/O thread only if its inbox was empty (crossing:
// IoContext's inbox, locking rule written there). A reply whose connection has gone is
// dropped there. Must not be called once the HttpServer that issued the tickets has begun
// close(): the contexts the tickets point to live until close() returns, so producers stop
// first.
void sendReplies(std::vector<PendingReply> &&replies);
void sendReply(const ReplyTicket &ticket, HttpResponse response);

} // namespace Http
