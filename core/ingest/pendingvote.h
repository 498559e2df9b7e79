#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include <QByteArrayView>

#include "access/clientaddress.h"
#include "http/replyticket.h"

// A voter id held inline: ids are 1-64 ASCII bytes (validated at the edge), so a vote
// crosses the pipeline without a heap allocation for it.
struct VoterId
{
    static constexpr qsizetype MaxLength = 64;

    std::array<char, MaxLength> bytes{};
    std::uint8_t length = 0;

    QByteArrayView view() const { return QByteArrayView(bytes.data(), length); }
    static VoterId from(QByteArrayView text)
    {
        Q_ASSERT(text.size() > 0 && text.size() <= MaxLength);
        VoterId id;
        id.length = std::uint8_t(text.size());
        std::memcpy(id.bytes.data(), text.data(), std::size_t(text.size()));
        return id;
    }
};

// The canary (semantic monitoring, engine/canary.h): a test vote the app sends itself through
// the public endpoint. It travels the whole pipeline and is stored under this session id,
// which no show session ever has (ids start at 1), so no tally, recount, export or vote-log
// read of a session ever sees it.
constexpr qint64 kCanarySessionId = 0;
constexpr char kCanaryVoterPrefix[] = "canary.";
constexpr char kCanaryHeader[] = "x-votedesk-canary"; // "1": only from the local machine
constexpr char kCanaryOptionKey[] = "canary";         // the option stored with its rows

// A vote that passed edge validation, on its way through the pipeline.
struct PendingVote
{
    qint64 sessionId = 0;
    VoterId voter;
    std::uint32_t voterHash = 0; // VoterTable::hashOf(voter): picks the shard, reused by the ledger
    std::int16_t optionIndex = -1;
    qint64 receivedAtMs = 0;  // wall clock (injected Clock): stored with the vote, decides lateness
    qint64 receivedNs = 0;    // steady clock: end-to-end latency
    Http::ReplyTicket ticket; // where its 202 (or 503) goes once its batch commits
    // Who sent it (the peer, or the client a trusted proxy names): stored with the vote so an
    // operator's address-range exclusion can be applied by a recount. 16 bytes, no allocation.
    IpAddress client;

    bool isCanary() const { return sessionId == kCanarySessionId; }
};
