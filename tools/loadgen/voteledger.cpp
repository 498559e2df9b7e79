#include "voteledger.h"

#include <QFile>
#include <QSaveFile>

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr QByteArrayView kMagic = "#votedesk-loadgen-record 1";
constexpr QByteArrayView kColumns = "index,voter,option,kind,status,receipt,attempts";

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

// A generator that only names voters: the record writes the ids the run actually sent.
VoteGenerator namingGenerator(const RunIdentity &identity)
{
    VoteGenerator::Config config;
    config.voterPrefix = identity.voterPrefix;
    config.optionKeys = identity.optionKeys;
    config.unknownOptionKey = identity.unknownOptionKey;
    return VoteGenerator(config);
}
} // namespace

bool writeVoteRecord(const QString &path, const RunIdentity &identity, const std::vector<SentVote> &ledger,
                     QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, u"cannot write %1: %2"_s.arg(path, file.errorString()));
    const VoteGenerator names = namingGenerator(identity);
    QByteArray out;
    out += kMagic;
    out += "\n#url=" + identity.url.toUtf8();
    out += "\n#session=" + QByteArray::number(identity.sessionId);
    out += "\n#voter_prefix=" + identity.voterPrefix;
    out += "\n#baseline_seq=" + QByteArray::number(identity.baselineSeq);
    out += "\n#options=" + identity.optionKeys.join(u',').toUtf8();
    out += "\n#unknown_option=" + names.config().unknownOptionKey;
    out += "\n#started_at=" + identity.startedAt.toUtf8();
    out += '\n';
    out += kColumns;
    out += '\n';
    for (std::size_t i = 0; i < ledger.size(); ++i) {
        const SentVote &sent = ledger[i];
        out += QByteArray::number(qulonglong(i));
        out += ',';
        out += names.voterId(sent.vote);
        out += ',';
        if (sent.vote.kind == VoteKind::UnknownOption)
            out += names.config().unknownOptionKey;
        else if (sent.vote.optionIndex >= 0)
            out += identity.optionKeys.value(sent.vote.optionIndex).toUtf8();
        out += ',';
        out += voteKindName(sent.vote.kind).toLatin1();
        out += ',';
        out += QByteArray::number(sent.status);
        out += ',';
        if (sent.seq > 0)
            out += QByteArray::number(sent.receiptSession) + '-' + QByteArray::number(sent.seq);
        out += ',';
        out += QByteArray::number(sent.attempts);
        out += '\n';
        if (out.size() > (1 << 20)) {
            file.write(out);
            out.clear();
        }
    }
    file.write(out);
    if (!file.commit())
        return fail(error, u"cannot write %1: %2"_s.arg(path, file.errorString()));
    return true;
}

bool readVoteRecord(const QString &path, RunIdentity *identity, std::vector<SentVote> *ledger, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(error, u"cannot read %1: %2"_s.arg(path, file.errorString()));
    if (file.readLine().trimmed() != kMagic)
        return fail(error, u"%1 is not a votedesk-loadgen record"_s.arg(path));
    *identity = RunIdentity();
    ledger->clear();
    bool inRows = false;
    qint64 lineNo = 1;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty())
            continue;
        if (!inRows) {
            if (line == kColumns) {
                inRows = true;
                continue;
            }
            const qsizetype eq = line.indexOf('=');
            if (!line.startsWith('#') || eq < 0)
                return fail(error, u"%1 line %2: expected #key=value"_s.arg(path).arg(lineNo));
            const QByteArray key = line.mid(1, eq - 1);
            const QByteArray value = line.mid(eq + 1);
            if (key == "url")
                identity->url = QString::fromUtf8(value);
            else if (key == "session")
                identity->sessionId = value.toLongLong();
            else if (key == "voter_prefix")
                identity->voterPrefix = value;
            else if (key == "baseline_seq")
                identity->baselineSeq = value.toLongLong();
            else if (key == "options")
                identity->optionKeys = QString::fromUtf8(value).split(u',', Qt::SkipEmptyParts);
            else if (key == "unknown_option")
                identity->unknownOptionKey = value;
            else if (key == "started_at")
                identity->startedAt = QString::fromUtf8(value);
            continue;
        }
        const QList<QByteArray> fields = line.split(',');
        auto bad = [&](const char *what) {
            return fail(error, u"%1 line %2: %3"_s.arg(path).arg(lineNo).arg(QLatin1StringView(what)));
        };
        if (fields.size() != 7)
            return bad("expected 7 fields");
        SentVote sent;
        VoteKind kind;
        if (!parseVoteKind(QString::fromLatin1(fields[3]), &kind))
            return bad("unknown kind");
        sent.vote.kind = kind;
        const QByteArray &voter = fields[1];
        const QByteArrayView prefix = identity->voterPrefix;
        if (kind == VoteKind::Valid) {
            std::uint32_t index = 0;
            if (!VoteGenerator::parseValidVoter(voter, prefix, &index))
                return bad("the voter is not one of this run's ids");
            sent.vote.voterIndex = index;
        } else {
            // <prefix>i<n> or <prefix>bad voter#<n>: the number after the last non-digit.
            qsizetype digits = voter.size();
            while (digits > 0 && voter[digits - 1] >= '0' && voter[digits - 1] <= '9')
                --digits;
            sent.vote.voterIndex = std::uint32_t(voter.mid(digits).toULongLong());
        }
        if (kind != VoteKind::UnknownOption && !fields[2].isEmpty()) {
            const qsizetype option = identity->optionKeys.indexOf(QString::fromUtf8(fields[2]));
            if (option < 0)
                return bad("the option is not in the record's options");
            sent.vote.optionIndex = std::int16_t(option);
        }
        bool ok = false;
        sent.status = std::int16_t(fields[4].toInt(&ok));
        if (!ok)
            return bad("the status is not a number");
        if (!fields[5].isEmpty()) {
            const qsizetype dash = fields[5].indexOf('-');
            sent.receiptSession = fields[5].left(dash).toLongLong();
            sent.seq = fields[5].mid(dash + 1).toLongLong();
            if (dash <= 0 || sent.seq <= 0)
                return bad("the receipt is not <session>-<seq>");
        } else if (sent.acked()) {
            sent.flags |= SentVote::kReceiptUnreadable;
        }
        sent.attempts = std::uint8_t(fields[6].toUInt());
        ledger->push_back(sent);
    }
    if (!inRows)
        return fail(error, u"%1 has no vote rows header"_s.arg(path));
    if (identity->sessionId <= 0 || identity->voterPrefix.isEmpty() || identity->optionKeys.isEmpty())
        return fail(error, u"%1 lacks the session, voter prefix or options"_s.arg(path));
    return true;
}
