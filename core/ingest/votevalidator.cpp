#include "ingest/votevalidator.h"

#include <QJsonArray>
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

char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView lowerCase)
{
    if (a.size() != lowerCase.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (asciiLower(a[i]) != lowerCase[i])
            return false;
    }
    return true;
}

// The two fields of a vote. Views point into the body, or into `storage` when a value had
// to be decoded (percent-encoding, JSON escapes).
struct Fields
{
    bool hasVoter = false;
    bool hasOption = false;
    bool voterIsString = true;
    bool optionIsString = true;
    QByteArrayView voter;
    QByteArrayView option;
    QByteArray voterStorage;
    QByteArray optionStorage;
};

enum class FastJson
{
    Done = 1,
    Fallback
};

bool isJsonSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Reads a JSON string without escapes starting after its opening quote. Anything that needs
// decoding or checking (backslash, control or non-ASCII bytes) makes the caller fall back.
bool readPlainString(QByteArrayView body, qsizetype *at, QByteArrayView *out)
{
    const qsizetype start = *at;
    for (qsizetype i = start; i < body.size(); ++i) {
        const auto c = static_cast<unsigned char>(body[i]);
        if (c == '"') {
            *out = body.sliced(start, i - start);
            *at = i + 1;
            return true;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80)
            return false;
    }
    return false;
}

FastJson parseFlatObject(QByteArrayView body, Fields *fields)
{
    qsizetype i = 0;
    const qsizetype n = body.size();
    auto skip = [&] {
        while (i < n && isJsonSpace(body[i]))
            ++i;
    };
    skip();
    if (i >= n || body[i] != '{')
        return FastJson::Fallback;
    ++i;
    skip();
    if (i < n && body[i] == '}') {
        ++i;
    } else {
        for (;;) {
            QByteArrayView key;
            QByteArrayView value;
            if (i >= n || body[i] != '"')
                return FastJson::Fallback;
            ++i;
            if (!readPlainString(body, &i, &key))
                return FastJson::Fallback;
            skip();
            if (i >= n || body[i] != ':')
                return FastJson::Fallback;
            ++i;
            skip();
            if (i >= n || body[i] != '"')
                return FastJson::Fallback; // numbers, null, nesting: the full parser decides
            ++i;
            if (!readPlainString(body, &i, &value))
                return FastJson::Fallback;
            if (key == "voter") {
                if (fields->hasVoter)
                    return FastJson::Fallback;
                fields->hasVoter = true;
                fields->voter = value;
            } else if (key == "option") {
                if (fields->hasOption)
                    return FastJson::Fallback;
                fields->hasOption = true;
                fields->option = value;
            }
            skip();
            if (i < n && body[i] == ',') {
                ++i;
                skip();
                continue;
            }
            if (i < n && body[i] == '}') {
                ++i;
                break;
            }
            return FastJson::Fallback;
        }
    }
    skip();
    return i == n ? FastJson::Done : FastJson::Fallback;
}

// The name of the top-level key whose string starts at body[start] (its opening quote) and
// ends at body[end] (its closing quote), decoded when it has escapes.
QByteArray decodedKey(QByteArrayView body, qsizetype start, qsizetype end)
{
    const QByteArrayView quoted = body.sliced(start, end - start + 1);
    if (!quoted.contains('\\'))
        return quoted.sliced(1, quoted.size() - 2).toByteArray();
    const QJsonDocument one = QJsonDocument::fromJson('[' + quoted.toByteArray() + ']');
    return one.array().at(0).toString().toUtf8();
}

// QJsonDocument keeps the last value of a key given twice, other parsers keep the first: a
// filter in front of votedesk could check one voter while votedesk counts another. So a vote
// that names "voter" or "option" twice is refused, as in a form body. The body is known to be
// valid JSON here, so the top-level keys are simply the strings at depth 1 followed by ':'.
// Iterative: nesting costs no stack.
std::optional<QByteArray> duplicateVoteField(QByteArrayView body)
{
    int depth = 0;
    bool voter = false;
    bool option = false;
    const qsizetype n = body.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char c = body[i];
        if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == '"') {
            const qsizetype start = i;
            for (++i; i < n && body[i] != '"'; ++i) {
                if (body[i] == '\\')
                    ++i;
            }
            if (depth != 1 || i >= n)
                continue;
            qsizetype next = i + 1;
            while (next < n && isJsonSpace(body[next]))
                ++next;
            if (next >= n || body[next] != ':')
                continue; // a value, not a key
            const QByteArray key = decodedKey(body, start, i);
            bool &seen = key == "voter" ? voter : option;
            if (key != "voter" && key != "option")
                continue;
            if (seen)
                return key;
            seen = true;
        }
    }
    return std::nullopt;
}

std::optional<VoteValidator::Outcome> parseJsonSlowly(QByteArrayView body, Fields *fields)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return reject(RejectReason::InvalidJson,
                      u"the body is not valid JSON: %1 at offset %2"_s.arg(parseError.errorString())
                          .arg(parseError.offset));
    }
    if (!doc.isObject())
        return reject(RejectReason::InvalidJson, u"the body must be a JSON object"_s);
    if (const std::optional<QByteArray> twice = duplicateVoteField(body)) {
        return reject(RejectReason::BadRequest,
                      u"the field \"%1\" is given twice"_s.arg(QString::fromUtf8(*twice)));
    }
    const QJsonObject object = doc.object();
    const QJsonValue voter = object.value(u"voter"_s);
    const QJsonValue option = object.value(u"option"_s);
    if (!voter.isUndefined()) {
        fields->hasVoter = true;
        fields->voterIsString = voter.isString();
        fields->voterStorage = voter.toString().toUtf8();
        fields->voter = fields->voterStorage;
    }
    if (!option.isUndefined()) {
        fields->hasOption = true;
        fields->optionIsString = option.isString();
        fields->optionStorage = option.toString().toUtf8();
        fields->option = fields->optionStorage;
    }
    return std::nullopt;
}

QByteArrayView formValue(QByteArrayView raw, QByteArray *storage)
{
    if (!raw.contains('%') && !raw.contains('+'))
        return raw;
    *storage = raw.toByteArray();
    storage->replace('+', ' ');
    *storage = QByteArray::fromPercentEncoding(*storage);
    return *storage;
}

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
        QByteArray keyStorage;
        const QByteArrayView key = formValue(eq < 0 ? pair : pair.first(eq), &keyStorage);
        const QByteArrayView raw = eq < 0 ? QByteArrayView() : pair.sliced(eq + 1);
        if (key == "voter") {
            if (fields->hasVoter) {
                *problem = u"the field \"voter\" is given twice"_s;
                return false;
            }
            fields->hasVoter = true;
            fields->voter = formValue(raw, &fields->voterStorage);
        } else if (key == "option") {
            if (fields->hasOption) {
                *problem = u"the field \"option\" is given twice"_s;
                return false;
            }
            fields->hasOption = true;
            fields->option = formValue(raw, &fields->optionStorage);
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
    if (equalsIgnoringCase(mediaType, "application/json")) {
        if (parseFlatObject(body, &fields) == FastJson::Fallback) {
            fields = Fields();
            if (std::optional<Outcome> refused = parseJsonSlowly(body, &fields))
                return *refused;
        }
    } else if (equalsIgnoringCase(mediaType, "application/x-www-form-urlencoded")) {
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
                      u"application/x-www-form-urlencoded"_s.arg(
                          QString::fromLatin1(mediaType.first(qMin<qsizetype>(mediaType.size(), 100)))));
    }

    if (!fields.hasVoter)
        return reject(RejectReason::MissingField, u"the field \"voter\" is missing"_s);
    if (!fields.hasOption)
        return reject(RejectReason::MissingField, u"the field \"option\" is missing"_s);
    if (!fields.voterIsString)
        return reject(RejectReason::InvalidVoter, u"\"voter\" must be a string"_s);
    if (!isValidVoter(fields.voter)) {
        return reject(RejectReason::InvalidVoter,
                      u"\"voter\" must be 1-64 characters of A-Z a-z 0-9 . _ : @ + -"_s);
    }
    if (!fields.optionIsString)
        return reject(RejectReason::UnknownOption, u"\"option\" must be a string key"_s);
    const int index = session.indexOf(fields.option);
    if (index < 0) {
        QStringList keys;
        for (const VoteOption &o : session.options)
            keys.append(o.key);
        return reject(RejectReason::UnknownOption,
                      u"\"%1\" is not an option of this vote (options: %2)"_s.arg(
                          QString::fromUtf8(fields.option.first(qMin<qsizetype>(fields.option.size(), 32))),
                          keys.join(u", "_s)));
    }
    Outcome outcome;
    outcome.ok = true;
    outcome.voter = VoterId::from(fields.voter);
    outcome.optionIndex = index;
    return outcome;
}
