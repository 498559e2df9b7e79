#include "http/replyticket.h"

#include <algorithm>
#include <iterator>

#include "http/iocontext.h"

namespace Http {

void sendReplies(std::vector<PendingReply> &&replies)
{
    // Crossing: the caller's thread (the journal writer, the engine, a test thread) -> the
    // I/O threads that own the connections, through each context's inbox (see IoContext
    // for its locking rule). The replies travel by value, so nothing is shared; each context
    // drops those whose connection has gone.
    if (replies.empty())
        return;

    // The common case, one I/O thread (or a batch that happens to be for one): the whole
    // vector moves into the inbox as it is.
    IoContext *const first = replies.front().first.context;
    const bool oneContext = std::all_of(replies.cbegin(), replies.cend(), [first](const PendingReply &reply) {
        return reply.first.context == first;
    });
    if (oneContext) {
        if (first)
            first->postReplies(std::move(replies));
        replies.clear();
        return;
    }

    // Otherwise group them; there are only a few contexts, so a linear search is enough.
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
        }
        batch->second.push_back(std::move(reply));
    }
    replies.clear();
    for (auto &[context, batch] : batches)
        context->postReplies(std::move(batch));
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
