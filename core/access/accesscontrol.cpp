#include "access/accesscontrol.h"

#include <QHash>

#include "access/constanttime.h"
#include "http/router.h"

using namespace Qt::Literals::StringLiterals;

AccessControl::AccessControl(AccessOptions options)
    : m_options(std::move(options))
    , m_clientLimiter(m_options.clientRate)
    , m_voterLimiter(m_options.voterRate)
{
    m_resolver.setTrustedProxies(m_options.trustedProxies);
}

std::optional<Http::HttpResponse> AccessControl::checkAdmin(const Http::HttpRequest &request,
                                                            const Http::RequestContext &context)
{
    // The client, not the peer: a request relayed by a trusted proxy (or the TLS terminator)
    // comes from loopback but is not the local machine's.
    const bool local = m_resolver.resolve(request, context).isLoopback();
    const QByteArrayView authorization = request.header("authorization");
    if (m_options.adminToken.isEmpty()) {
        if (local)
            return std::nullopt;
        adminForbidden.fetch_add(1, std::memory_order_relaxed);
        return Http::HttpResponse::jsonError(
            403, "forbidden", u"the admin API answers only on loopback (no admin token is configured)"_s);
    }
    const auto unauthorized = [](const QString &message, bool wrong) {
        Http::HttpResponse response = Http::HttpResponse::jsonError(401, "invalid_token", message);
        response.addHeader("WWW-Authenticate", wrong
                                                   ? R"(Bearer realm="votedesk admin", error="invalid_token")"
                                                   : R"(Bearer realm="votedesk admin")");
        return response;
    };
    if (authorization.isEmpty()) {
        if (local)
            return std::nullopt;
        adminTokenMissing.fetch_add(1, std::memory_order_relaxed);
        return unauthorized(u"the admin API needs \"Authorization: Bearer <admin token>\""_s, false);
    }
    constexpr QByteArrayView scheme = "bearer ";
    const bool bearer = authorization.size() > scheme.size() &&
                        Http::equalsIgnoringCase(authorization.first(scheme.size()), scheme);
    const QByteArrayView presented =
        bearer ? Http::trimmedOws(authorization.sliced(scheme.size())) : QByteArrayView();
    if (!bearer || !constantTimeEquals(presented, m_options.adminToken)) {
        adminTokenWrong.fetch_add(1, std::memory_order_relaxed);
        return unauthorized(u"the admin token is not valid"_s, true);
    }
    adminTokenAccepted.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

qint64 AccessControl::takeClient(const ClientAddress &client, qint64 nowMs)
{
    const qint64 wait = m_clientLimiter.take(client.address.hash(), nowMs);
    if (wait > 0)
        rateLimitedClients.fetch_add(1, std::memory_order_relaxed);
    return wait;
}

qint64 AccessControl::takeVoter(QByteArrayView voter, qint64 nowMs)
{
    const qint64 wait = m_voterLimiter.take(std::uint64_t(qHash(voter, 0x5bd1e995u)), nowMs);
    if (wait > 0)
        rateLimitedVoters.fetch_add(1, std::memory_order_relaxed);
    return wait;
}

void AccessControl::countVoterToken(VoterToken::Check check)
{
    switch (check) {
    case VoterToken::Check::Valid:
        break;
    case VoterToken::Check::Missing:
        voterTokenMissing.fetch_add(1, std::memory_order_relaxed);
        break;
    case VoterToken::Check::Malformed:
        voterTokenMalformed.fetch_add(1, std::memory_order_relaxed);
        break;
    case VoterToken::Check::Mismatch:
        voterTokenMismatch.fetch_add(1, std::memory_order_relaxed);
        break;
    }
}

QByteArray AccessControl::retryAfterSeconds(qint64 waitMs)
{
    return QByteArray::number(qMax<qint64>(1, (waitMs + 999) / 1000));
}

QList<Metrics::Sample> AccessControl::samples() const
{
    auto v = [](const std::atomic<qint64> &a) {
        return double(a.load(std::memory_order_relaxed));
    };
    const QByteArray adminHelp = "Admin API requests refused, by reason";
    const QByteArray rateHelp = "Votes refused 429 rate_limited, by the bucket that was empty";
    const QByteArray tokenHelp = "Votes refused 401 invalid_token, by reason";
    return {
        {"votedesk_admin_refused_total", "counter", adminHelp, v(adminForbidden), {{"reason", "forbidden"}}},
        {"votedesk_admin_refused_total",
         "counter",
         adminHelp,
         v(adminTokenMissing),
         {{"reason", "token_missing"}}},
        {"votedesk_admin_refused_total",
         "counter",
         adminHelp,
         v(adminTokenWrong),
         {{"reason", "token_wrong"}}},
        {"votedesk_admin_token_accepted_total", "counter", "Admin API requests let in by the admin token",
         v(adminTokenAccepted)},
        {"votedesk_rate_limited_total", "counter", rateHelp, v(rateLimitedClients), {{"key", "client"}}},
        {"votedesk_rate_limited_total", "counter", rateHelp, v(rateLimitedVoters), {{"key", "voter"}}},
        {"votedesk_rate_limit_buckets", "gauge", "Token buckets held (client and voter limits)",
         double(m_clientLimiter.size() + m_voterLimiter.size())},
        {"votedesk_voter_token_refused_total",
         "counter",
         tokenHelp,
         v(voterTokenMissing),
         {{"reason", "missing"}}},
        {"votedesk_voter_token_refused_total",
         "counter",
         tokenHelp,
         v(voterTokenMalformed),
         {{"reason", "malformed"}}},
        {"votedesk_voter_token_refused_total",
         "counter",
         tokenHelp,
         v(voterTokenMismatch),
         {{"reason", "mismatch"}}},
    };
}
