#include "ingest/votevalidator.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

using namespace Qt::Literals::StringLiterals;

namespace {
VoteValidator::Outcome reject(RejectReason reason, const QString &message)
{
    VoteValidator::Outcome outcome;
    outcome.reason = reason;
    outcome.message = message;
    return outcome;
}

bool isVoterChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '@' || c == '+' || c == '-';
}

struct Fields
{
    bool hasVoter = false;
    bool hasOption = false;
    QByteArray voter;
    QByteArray option;
};

// application/x-www-form-urlencoded: '+' is a space, %XX a byte. A key given twice is
// ambiguous, so it is refused rather than guessed.
bool decodeForm(QByteArrayView body, Fields *fields, QString *problem)
{
    qsizetype start = 0;
    while (start <= body.size()) {
        qsizetype end = body.indexOf('&', start);
        if (end < 0)
            end = body.size();
        const QByteArrayView pair = body.sliced(start, end - start);
        start = end + 1;
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray key = (eq < 0 ? pair : pair.first(eq)).toByteArray();
        QByteArray value = eq < 0 ? QByteArray() : pair.sliced(eq + 1).toByteArray();
        key.replace('+', ' ');
        value.replace('+', ' ');
        key = QByteArray::fromPercentEncoding(key);
        value = QByteArray::fromPercentEncoding(value);
        if (key == "voter") {
            if (fields->hasVoter) {
                *problem = u"the field \"voter\" is given twice"_s;
                return false;
            }
            fields->hasVoter = true;
            fields->voter = value;
        } else if (key == "option") {
            if (fields->hasOption) {
                *problem = u"the field \"option\" is given twice"_s;
                return false;
            }
            fields->hasOption = true;
            fields->option = value;
        }
    }
    return true;
}
} // namespace

bool VoteValidator::isValidVoter(QByteArrayView voter)
{
    if (voter.isEmpty() || voter.size() > MaxVoterLength)
        return false;
    for (char c : voter) {
        if (!isVoterChar(c))
            return false;
    }
    return true;
}

VoteValidator::Outcome VoteValidator::validate(QByteArrayView mediaType, QByteArrayView body,
                                               const SessionDefinition &session)
{
    Fields fields;
    if (mediaType == "application/json") {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(body.toByteArray(), &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            return reject(RejectReason::InvalidJson,
                          u"the body is not valid JSON: %1 at offset %2"_s.arg(parseError.errorString())
                              .arg(parseError.offset));
        }
        if (!doc.isObject())
            return reject(RejectReason::InvalidJson, u"the body must be a JSON object"_s);
        const QJsonObject object = doc.object();
        const QJsonValue voter = object.value(u"voter"_s);
        const QJsonValue option = object.value(u"option"_s);
        if (!voter.isUndefined()) {
            if (!voter.isString())
                return reject(RejectReason::InvalidVoter, u"\"voter\" must be a string"_s);
            fields.hasVoter = true;
            fields.voter = voter.toString().toUtf8();
        }
        if (!option.isUndefined()) {
            if (!option.isString())
                return reject(RejectReason::UnknownOption, u"\"option\" must be a string key"_s);
            fields.hasOption = true;
            fields.option = option.toString().toUtf8();
        }
    } else if (mediaType == "application/x-www-form-urlencoded") {
        QString problem;
        if (!decodeForm(body, &fields, &problem))
            return reject(RejectReason::BadRequest, problem);
    } else if (mediaType.isEmpty()) {
        return reject(
            RejectReason::UnsupportedMediaType,
            u"Content-Type is missing; send application/json or application/x-www-form-urlencoded"_s);
    } else {
        return reject(RejectReason::UnsupportedMediaType,
                      u"Content-Type %1 is not supported; send application/json or "
                      u"application/x-www-form-urlencoded"_s.arg(QString::fromLatin1(mediaType)));
    }

    if (!fields.hasVoter)
        return reject(RejectReason::MissingField, u"the field \"voter\" is missing"_s);
    if (!fields.hasOption)
        return reject(RejectReason::MissingField, u"the field \"option\" is missing"_s);
    if (!isValidVoter(fields.voter)) {
        return reject(RejectReason::InvalidVoter,
                      u"\"voter\" must be 1-64 characters of A-Z a-z 0-9 . _ : @ + -"_s);
    }
    const int index = session.indexOf(QByteArrayView(fields.option));
    if (index < 0) {
        QStringList keys;
        for (const VoteOption &o : session.options)
            keys.append(o.key);
        return reject(RejectReason::UnknownOption,
                      u"\"%1\" is not an option of this vote (options: %2)"_s.arg(
                          QString::fromUtf8(fields.option.left(32)), keys.join(u", "_s)));
    }
    Outcome outcome;
    outcome.ok = true;
    outcome.voter = QString::fromLatin1(fields.voter);
    outcome.optionIndex = index;
    return outcome;
}
