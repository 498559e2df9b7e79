#pragma once

#include <cstdint>
#include <vector>

#include <QString>
#include <QStringList>

#include "votegenerator.h"

// What happened to one vote the run sent: the vote, how many times it went out (retries
// after 503/429 count), and the last answer. Compact on purpose: a spike run keeps millions.
struct SentVote
{
    PlannedVote vote;
    std::int16_t status = -1;  // last HTTP status; 0 = no answer (connection gone or timed out)
    std::uint8_t attempts = 0; // requests sent for this vote
    std::uint8_t flags = 0;
    qint64 receiptSession = 0; // from the 2xx body's "receipt":"<session>-<seq>"
    qint64 seq = 0;            // 0 when the answer carried no receipt

    static constexpr std::uint8_t kReceiptUnreadable = 1; // a 2xx whose body had no receipt
    bool answered() const { return status > 0; }
    bool acked() const { return status >= 200 && status < 300; }
};

// Who the run was and where it voted: enough to verify the run again later from its
// record file, without the process that sent the votes.
struct RunIdentity
{
    QString url;
    qint64 sessionId = 0;
    QByteArray voterPrefix;
    qint64 baselineSeq = 0; // the session's last vote before the run: rows up to it are not ours
    QStringList optionKeys; // what SentVote::vote.optionIndex refers to
    QByteArray unknownOptionKey;
    QString startedAt; // ISO 8601, for people
};

// The record file (--record): "#key=value" lines with the identity, then CSV, one row per
// vote: index,voter,option,kind,status,receipt,attempts. Every receipt the run got is in it.
bool writeVoteRecord(const QString &path, const RunIdentity &identity, const std::vector<SentVote> &ledger,
                     QString *error);
bool readVoteRecord(const QString &path, RunIdentity *identity, std::vector<SentVote> *ledger,
                    QString *error);
