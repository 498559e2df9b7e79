// libFuzzer harness: SessionDefinition::fromJson, the session JSON of POST /v1/admin/sessions
// and of the store (README, "Guarantees"). Besides what ASan and UBSan catch, it checks that a
// definition it accepts is valid and survives toJson() -> fromJson() unchanged (what the store
// writes, a restart reads back), and that a refusal names the problem.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <QJsonDocument>
#include <QJsonObject>

#include "session/sessiondefinition.h"

namespace {
// A broken property names itself before the abort that libFuzzer reports.
void fail(const char *what, int line)
{
    std::fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, line, what);
    std::abort();
}
#define check(condition) ((condition) ? void() : fail(#condition, __LINE__))
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (!doc.isObject())
        return 0;
    SessionDefinition definition;
    QString error;
    if (!SessionDefinition::fromJson(doc.object(), &definition, &error)) {
        check(!error.isEmpty());
        return 0;
    }
    check(definition.validate().isEmpty());
    SessionDefinition again;
    check(SessionDefinition::fromJson(definition.toJson(), &again, &error));
    check(again.id == definition.id && again.title == definition.title &&
          again.question == definition.question);
    check(again.windowMs == definition.windowMs && again.lateToleranceMs == definition.lateToleranceMs);
    check(again.policy == definition.policy && again.options.size() == definition.options.size());
    for (qsizetype i = 0; i < definition.options.size(); ++i) {
        check(again.options[i].key == definition.options[i].key);
        check(again.options[i].label == definition.options[i].label);
        check(again.options[i].colour == definition.options[i].colour);
        check(definition.indexOf(definition.options[i].key) == int(i));
    }
    return 0;
}
