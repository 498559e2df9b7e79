// libFuzzer harness: VoteValidator::validate, the decoder of every vote body (README,
// "Guarantees"). The first byte picks the media type, the rest is the body. Besides what ASan
// and UBSan catch, it checks the outcome: an accepted vote has a valid voter id and an option
// of the session, and for JSON it is the vote QJsonDocument reads from the same bytes (the
// allocation-free fast path must never disagree with the full parser); a refusal has a reason
// and a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <QJsonDocument>
#include <QJsonObject>

#include "ingest/votevalidator.h"

namespace {
// A broken property names itself before the abort that libFuzzer reports.
void fail(const char *what, int line)
{
    std::fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, line, what);
    std::abort();
}
#define check(condition) ((condition) ? void() : fail(#condition, __LINE__))

const SessionDefinition &session()
{
    static const SessionDefinition definition = [] {
        SessionDefinition d = SessionDefinition::demo();
        d.options.append(
            VoteOption{QStringLiteral("x_1-Y"), QStringLiteral("Other"), QStringLiteral("#808000")});
        return d;
    }();
    return definition;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    static const QByteArrayView mediaTypes[] = {"application/json", "application/x-www-form-urlencoded",
                                                "Application/JSON", "", "text/plain"};
    const QByteArrayView mediaType = mediaTypes[data[0] % 5];
    const QByteArrayView body(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const VoteValidator::Outcome outcome = VoteValidator::validate(mediaType, body, session());
    if (!outcome.ok) {
        check(int(outcome.reason) >= 1 && int(outcome.reason) <= kRejectReasonCount);
        check(!outcome.message.isEmpty());
        return 0;
    }
    check(VoteValidator::isValidVoter(outcome.voter.view()));
    check(outcome.optionIndex >= 0 && outcome.optionIndex < session().options.size());
    if (data[0] % 5 == 0 || data[0] % 5 == 2) {
        const QJsonDocument doc = QJsonDocument::fromJson(body.toByteArray());
        check(doc.isObject());
        const QJsonObject object = doc.object();
        check(object.value(QStringLiteral("voter")).toString().toUtf8() == outcome.voter.view());
        check(object.value(QStringLiteral("option")).toString() ==
              session().options[outcome.optionIndex].key);
    }
    return 0;
}
