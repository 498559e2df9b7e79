#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include "export/finalreport.h"
#include "export/resultdocuments.h"
#include "export/votereplay.h"

// What goes into the adjudicator's pack besides the vote log.
struct ResultsPackInputs
{
    FinalReportInputs report; // the certified picture, audit log, samples, rejections, late, ...
    CountingRule rule;        // what the session counted under (votes.csv's counted column)
    ResultDocuments::Options documents;
    // Empty: voter ids as stored. Otherwise each voter id is replaced by
    // HMAC-SHA-256(secret, voter id) in lowercase hex: the same voter gets the same pseudonym
    // throughout the pack (so repeats can be followed), and without the secret nobody can
    // test a phone number against it. The secret is not written anywhere in the pack.
    QByteArray pseudonymSecret;
    // If not empty, final-report.txt and .html are also written (atomically) into this
    // folder, byte for byte the ones in the zip.
    QString reportFolder;
};

// The results pack: one zip for the adjudicator with
//   results.csv, results-wide.csv, results.json, results.xml   the final documents
//   votes.csv        every stored vote: receipt,voter,option,received_at,received_at_ms,counted,reason
//                    (counted yes/no; reason why not, see VoteReplay), in log order, RFC 4180, CRLF
//   session.json     the session as configured, the counting rule, window and publish data
//   audit-log.csv    at,at_ms,kind,actor,detail
//   final-report.txt, final-report.html
//   SHA256SUMS       sha256sum format ("<hex>  <name>" per line) over every other file, so
//                    `sha256sum -c SHA256SUMS` checks the unzipped pack
//
// votes.csv is streamed: the votes come from a callback (the store's replay of the log), go
// through the counting-rule replay and into a temporary file beside the zip while being
// hashed, so millions of votes never sit in memory. The source is called once, or twice
// under last_wins (see VoteReplay), and must yield the same votes in seq order each time.
// The replay's raw and exact counts must equal the certified tally, or no pack is written:
// a votes.csv that contradicts the result would be worse than none.
//
// Zip: libzip (Debian's libzip-dev), deflate, UTF-8 names, entries dated generatedAt. It
// writes to a temporary file and renames it over the target on close, so a half-written
// pack never carries the final name. Blocking (disk, zlib): run it on a worker thread.
class ResultsPack final
{
public:
    struct Outcome
    {
        bool ok = false;
        QString error;           // names the file or the disagreement
        QList<FileDigest> files; // every file in the pack except SHA256SUMS, as listed in it
        QByteArray reportText;   // final-report.txt as packed
        QByteArray reportHtml;   // final-report.html as packed
        qint64 votes = 0;        // rows in votes.csv
    };

    static Outcome write(const QString &zipPath, const ResultsPackInputs &inputs,
                         const VoteReplay::Source &votes);

    static QByteArray pseudonym(QByteArrayView voter, const QByteArray &secret);
    static QByteArray votesHeader(); // "receipt,voter,option,received_at,received_at_ms,counted,reason\r\n"
    static QByteArray sessionJson(const ResultsPackInputs &inputs);
    static QByteArray auditCsv(const QList<AuditEntry> &audit, const ResultDocuments::Options &options);
};
