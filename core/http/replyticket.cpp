#include "http/replyticket.h"

#include <algorithm>
#include <iterator>

#include <QMetaObject>

#include "http/iocontext.h"

namespace Http {

void sendReplies(std::vector<PendingReply> &&replies)
{
    // Crossing: the caller's thread (a worker, the journal writer, a test thread) -> the I/O
    // thread that owns the connection. The replies travel by value inside one queued call per
    // IoContext, so nothing is shared; IoContext::deliver() runs in its own thread and drops
    // replies whose connection has gone. There are only a few contexts, so a linear search
    // groups them without allocating a map.
    std::vector<std::pair<IoContext *, std::vector<PendingReply>>> batches;
    for (PendingReply &reply : replies) {
        IoContext *context = reply.first.context;
        if (!context)
            continue;
        auto batch = std::find_if(batches.begin(), batches.end(),
                                  [context](const auto &entry) { return entry.first == context; });
        if (batch == batches.end()) {
            batches.emplace_back(context, std::vector<PendingReply>());
            batch = std::prev(batches.end());
            batch->second.reserve(replies.size());
        }
        batch->second.push_back(std::move(reply));
    }
    replies.clear();

    for (auto &[context, batch] : batches) {
        QMetaObject::invokeMethod(
            context,
            [context = context, batch = std::move(batch)]() mutable { context->deliver(std::move(batch)); },
            Qt::QueuedConnection);
    }
}

void sendReply(const ReplyTicket &ticket, HttpResponse response)
{
    if (!ticket.isValid())
        return;
    std::vector<PendingReply> replies;
    replies.emplace_back(ticket, std::move(response));
    sendReplies(std::move(replies));
}

} // namespace Http
