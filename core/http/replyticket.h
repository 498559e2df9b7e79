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

// Thread-safe, callable from any thread. Groups the replies by I/O context and posts one
// queued call per context (crossing: queued invocation into the owning I/O thread). A reply
// whose connection has gone is dropped there. Must not be called after the HttpServer that
// issued the tickets has been closed.
void sendReplies(std::vector<PendingReply> &&replies);
void sendReply(const ReplyTicket &ticket, HttpResponse response);

} // namespace Http
