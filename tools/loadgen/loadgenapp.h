#pragma once

#include <cstdio>
#include <vector>

#include "adminclient.h"
#include "commandline.h"
#include "verifier.h"

// A CSV document (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends) as rows of
// fields. For the vote log of GET /v1/admin/votes.
QList<QList<QByteArray>> parseCsv(QByteArrayView text);

// Waits until the server has drained (queue_depth 0 and the accepted count steady across a
// full read of the log), reads the session's whole vote log through the admin API and lets
// the Verifier judge the run. Any doubt (no answer, a session switch, a log that would not
// hold still) is Unverifiable, never Verified.
Verdict verifyAgainstServer(const AdminClient &admin, const RunIdentity &identity,
                            const std::vector<SentVote> &ledger, qint64 drainTimeoutMs, FILE *log);

// The whole tool: set-up, run, summary, record, verification, report. Returns the exit code.
int runLoadgen(const LoadgenOptions &options, FILE *out, FILE *err);
