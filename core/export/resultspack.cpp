#include "export/resultspack.h"

#include <list>
#include <zip.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QTemporaryFile>

#include "access/exclusionfilter.h"
#include "export/csvwriter.h"
#include "export/feedwriter.h"
#include "export/textescape.h"
#include "session/countexclusion.h"

using namespace Qt::Literals::StringLiterals;

namespace {
const QByteArray kCrLf = QByteArrayLiteral("\r\n");
const QString kVotesName = u"votes.csv"_s;
const QString kSessionName = u"session.json"_s;
const QString kAuditName = u"audit-log.csv"_s;
const QString kReportTextName = u"final-report.txt"_s;
const QString kReportHtmlName = u"final-report.html"_s;
const QString kSumsName = u"SHA256SUMS"_s;
constexpr qsizetype kChunkBytes = 1 << 20;

QByteArray bom(const ResultDocuments::Options &options)
{
    return options.csvByteOrderMark ? QByteArrayLiteral("\xEF\xBB\xBF") : QByteArray();
}

// RFC 4180 on bytes (voter ids and option keys come from the store as UTF-8 bytes): the
// same rule as CsvWriter::quoteField without a round trip through QString per vote.
void appendField(QByteArray &out, const QByteArrayView field)
{
    bool quote = !field.isEmpty() && (field.front() == ' ' || field.front() == '\t' || field.back() == ' ' ||
                                      field.back() == '\t');
    for (const char c : field) {
        if (c == ',' || c == '"' || c == '\r' || c == '\n') {
            quote = true;
            break;
        }
    }
    if (!quote) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

QString describeDisagreement(const SessionDefinition &session, const char *which,
                             const std::vector<qint64> &replayed, const std::vector<qint64> &certified)
{
    QStringList differences;
    for (qsizetype i = 0; i < session.options.size(); ++i) {
        const qint64 a = std::size_t(i) < replayed.size() ? replayed[std::size_t(i)] : 0;
        const qint64 b = std::size_t(i) < certified.size() ? certified[std::size_t(i)] : 0;
        if (a != b)
            differences << u"%1: %2 in the log, %3 certified"_s.arg(session.options[i].key).arg(a).arg(b);
    }
    if (differences.isEmpty())
        differences << u"the certified tally does not have one count per option"_s;
    return u"the vote log replayed under the counting rule disagrees with the certified %1 tally (%2); "
           u"no pack written"_s.arg(QString::fromLatin1(which), differences.join(u"; "_s));
}

struct ZipDiscard
{
    void operator()(zip_t *zip) const
    {
        if (zip)
            zip_discard(zip);
    }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;
} // namespace

QByteArray ResultsPack::pseudonym(const QByteArrayView voter, const QByteArray &secret)
{
    return QMessageAuthenticationCode::hash(voter.toByteArray(), secret, QCryptographicHash::Sha256).toHex();
}

QByteArray ResultsPack::votesHeader()
{
    return QByteArrayLiteral("receipt,voter,option,received_at,received_at_ms,counted,reason\r\n");
}

QByteArray ResultsPack::sessionJson(const ResultsPackInputs &inputs)
{
    const PublishedResults &r = inputs.report.results;
    const WindowRecord &w = r.window;
    const QJsonObject window{{u"state"_s, windowStateName(w.state)},
                             {u"length_ms"_s, w.lengthMs},
                             {u"opened_at"_s, TextEscape::isoUtc(w.openedAtMs)},
                             {u"closes_at"_s, TextEscape::isoUtc(w.closesAtMs)},
                             {u"closed_at"_s, TextEscape::isoUtc(w.closedAtMs)}};
    const QJsonObject object{
        {u"session"_s, r.session.toJson()},
        {u"counting_rule"_s, inputs.rule.policyName()},
        {u"option_cap"_s, inputs.rule.optionCap},
        {u"rehearsal"_s, r.rehearsal},
        {u"final"_s, r.final},
        {u"publish_version"_s, qint64(r.publishVersion)},
        {u"published_at"_s, TextEscape::isoUtc(r.publishedAtMs)},
        {u"window"_s, window},
        {u"voter_ids"_s, inputs.pseudonymSecret.isEmpty()
                             ? u"as received"_s
                             : u"pseudonymised: HMAC-SHA-256 with a per-session secret (not in this pack)"_s},
        {u"generated_at"_s, TextEscape::isoUtc(inputs.report.generatedAtMs)},
        {u"app_version"_s, inputs.report.appVersion}};
    return QJsonDocument(object).toJson(QJsonDocument::Indented);
}

QByteArray ResultsPack::auditCsv(const QList<AuditEntry> &audit, const ResultDocuments::Options &options)
{
    QByteArray out = bom(options) + QByteArrayLiteral("at,at_ms,kind,actor,detail") + kCrLf;
    for (const AuditEntry &e : audit) {
        out += TextEscape::isoUtc(e.atMs).toLatin1() + ',' + QByteArray::number(e.atMs) + ',' +
               CsvWriter::quoteField(e.kind) + ',' + CsvWriter::quoteField(e.actor) + ',' +
               CsvWriter::quoteField(e.detail) + kCrLf;
    }
    return out;
}

ResultsPack::Outcome ResultsPack::write(const QString &zipPath, const ResultsPackInputs &inputs,
                                        const VoteReplay::Source &votes)
{
    Outcome outcome;
    const auto fail = [&outcome](const QString &error) {
        outcome.ok = false;
        outcome.error = error;
        return outcome;
    };
    const PublishedResults &results = inputs.report.results;
    const QFileInfo zipInfo(zipPath);
    if (zipPath.isEmpty() || !zipInfo.absoluteDir().exists()) {
        return fail(u"cannot write the results pack \"%1\": the folder does not exist"_s.arg(
            QDir::toNativeSeparators(zipPath)));
    }

    // In-memory files, in pack order; their buffers must outlive zip_close().
    std::list<std::pair<QString, QByteArray>> files;
    for (const ResultDocuments::Kind kind : ResultDocuments::kKinds)
        files.emplace_back(ResultDocuments::fileName(kind),
                           ResultDocuments::render(kind, results, inputs.documents));

    // votes.csv, streamed through the replay into a temporary file beside the pack.
    QTemporaryFile votesFile(zipInfo.absoluteDir().filePath(u".votedesk-votes-XXXXXX.csv"_s));
    if (!votesFile.open()) {
        return fail(u"cannot write \"%1\": %2"_s.arg(QDir::toNativeSeparators(votesFile.fileTemplate()),
                                                     votesFile.errorString()));
    }
    QCryptographicHash votesHash(QCryptographicHash::Sha256);
    qint64 votesBytes = 0;
    bool writeFailed = false;
    QByteArray chunk = bom(inputs.documents) + votesHeader();
    const auto flushChunk = [&] {
        if (!writeFailed && votesFile.write(chunk) != chunk.size())
            writeFailed = true;
        votesHash.addData(chunk);
        votesBytes += chunk.size();
        chunk.clear();
    };

    VoteReplay replay(results.session, inputs.rule);
    // The operator's exclusions are in the audit log the report prints: the pack's replay leaves
    // out the same votes the certifying recount did, so the counted column agrees with it.
    const CountExclusions exclusions = FinalReport::exclusions(inputs.report.audit);
    if (!exclusions.isEmpty()) {
        replay.setExcluded([filter = ExclusionFilter(exclusions)](const ReplayVote &vote) {
            return filter.excludes(vote.voter, vote.clientAddress);
        });
    }
    qint64 excludedVotes = 0;
    QString readError;
    if (!replay.prepare(votes, &readError))
        return fail(u"cannot read the vote log: "_s + readError);
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, inputs.pseudonymSecret);
    const QByteArray receiptPrefix = QByteArray::number(results.session.id) + '-';
    const bool readOk = votes(
        [&](const ReplayVote &vote) {
            const VoteReplay::Verdict verdict = replay.judge(vote);
            excludedVotes += replay.isExcluded(vote) ? 1 : 0;
            chunk += receiptPrefix + QByteArray::number(vote.seq) + ',';
            if (inputs.pseudonymSecret.isEmpty()) {
                appendField(chunk, vote.voter);
            } else {
                mac.reset();
                mac.addData(vote.voter.data(), vote.voter.size());
                chunk += mac.result().toHex();
            }
            chunk += ',';
            appendField(chunk, vote.option);
            chunk += ',' + TextEscape::isoUtc(vote.receivedAtMs).toLatin1() + ',' +
                     QByteArray::number(vote.receivedAtMs) + (verdict.counted ? ",yes," : ",no,");
            appendField(chunk, verdict.reason.toUtf8());
            chunk += kCrLf;
            ++outcome.votes;
            if (chunk.size() >= kChunkBytes)
                flushChunk();
        },
        &readError);
    flushChunk();
    if (!readOk)
        return fail(u"cannot read the vote log: "_s + readError);
    if (writeFailed || !votesFile.flush()) {
        return fail(u"cannot write \"%1\": %2"_s.arg(QDir::toNativeSeparators(votesFile.fileName()),
                                                     votesFile.errorString()));
    }
    if (replay.raw() != results.tally.raw)
        return fail(describeDisagreement(results.session, "raw", replay.raw(), results.tally.raw));
    if (replay.exact() != results.tally.exact)
        return fail(describeDisagreement(results.session, "exact", replay.exact(), results.tally.exact));

    files.emplace_back(kSessionName, sessionJson(inputs));
    files.emplace_back(kAuditName, auditCsv(inputs.report.audit, inputs.documents));

    // The report certifies every file before it; SHA256SUMS then covers the reports too.
    for (const auto &[name, content] : files) {
        outcome.files.append(FileDigest::of(name, content));
        if (name == ResultDocuments::fileName(ResultDocuments::kKinds.back()))
            outcome.files.append(FileDigest{kVotesName, votesHash.result().toHex(), votesBytes});
    }
    FinalReportInputs report = inputs.report;
    report.files = outcome.files;
    report.excludedVotes = excludedVotes;
    outcome.reportText = FinalReport::text(report);
    outcome.reportHtml = FinalReport::html(report);
    files.emplace_back(kReportTextName, outcome.reportText);
    files.emplace_back(kReportHtmlName, outcome.reportHtml);
    outcome.files.append(FileDigest::of(kReportTextName, outcome.reportText));
    outcome.files.append(FileDigest::of(kReportHtmlName, outcome.reportHtml));
    QByteArray sums;
    for (const FileDigest &digest : std::as_const(outcome.files))
        sums += digest.sha256Hex + "  " + digest.name.toUtf8() + '\n';
    files.emplace_back(kSumsName, sums);

    // The zip. libzip reads the sources at zip_close(), into a temporary file it renames
    // over zipPath only when everything is written.
    const auto zipFail = [&](const QString &reason) {
        return fail(
            u"cannot write the results pack \"%1\": %2"_s.arg(QDir::toNativeSeparators(zipPath), reason));
    };
    int openError = 0;
    ZipPtr zip(zip_open(QFile::encodeName(zipPath).constData(), ZIP_CREATE | ZIP_TRUNCATE, &openError));
    if (!zip) {
        zip_error_t error;
        zip_error_init_with_code(&error, openError);
        const QString reason = QString::fromLocal8Bit(zip_error_strerror(&error));
        zip_error_fini(&error);
        return zipFail(reason);
    }
    const time_t mtime = time_t(inputs.report.generatedAtMs / 1000);
    const auto addSource = [&](const QString &name, zip_source_t *source) {
        if (!source)
            return false;
        const zip_int64_t index =
            zip_file_add(zip.get(), name.toUtf8().constData(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
        if (index < 0) {
            zip_source_free(source);
            return false;
        }
        if (mtime > 0)
            zip_file_set_mtime(zip.get(), zip_uint64_t(index), mtime, 0);
        return true;
    };
    bool votesAdded = false;
    for (const auto &[name, content] : files) {
        if (!addSource(name,
                       zip_source_buffer(zip.get(), content.constData(), zip_uint64_t(content.size()), 0)))
            return zipFail(QString::fromLocal8Bit(zip_strerror(zip.get())));
        if (!votesAdded && name == ResultDocuments::fileName(ResultDocuments::kKinds.back())) {
            votesAdded = true;
            const QByteArray votesPath = QFile::encodeName(votesFile.fileName());
            if (!addSource(kVotesName, zip_source_file(zip.get(), votesPath.constData(), 0, votesBytes)))
                return zipFail(QString::fromLocal8Bit(zip_strerror(zip.get())));
        }
    }
    if (zip_close(zip.get()) != 0)
        return zipFail(QString::fromLocal8Bit(zip_strerror(zip.get())));
    (void)zip.release(); // zip_close freed it

    outcome.ok = true;
    if (!inputs.reportFolder.isEmpty()) {
        const QDir folder(inputs.reportFolder);
        QString error;
        if (!FeedWriter::replaceFile(folder.filePath(kReportTextName), outcome.reportText, &error) ||
            !FeedWriter::replaceFile(folder.filePath(kReportHtmlName), outcome.reportHtml, &error)) {
            outcome.ok = false;
            outcome.error = u"the pack was written, but: "_s + error;
        }
    }
    return outcome;
}
