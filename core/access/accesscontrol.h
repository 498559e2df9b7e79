#pragma once

#include <atomic>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QList>
#include <QString>

#include "access/admintoken.h"
#include "access/clientaddress.h"
#include "access/ratelimiter.h"
#include "access/votertoken.h"
#include "http/httpresponse.h"
#include "metrics/metrics.h"

namespace Http {
struct HttpRequest;
struct RequestContext;
} // namespace Http

// Who may do what, configured once at start (command line, settings).
struct AccessOptions
{
    // Empty: the admin API answers only on loopback. Set (at least 16 characters, from a file
    // or the environment, never the command line): "Authorization: Bearer <token>" opens it
    // from any address; loopback needs no token, but a wrong one is refused there too.
    QByteArray adminToken;
    // Where the token came from, for the operator ("--admin-token-file /etc/votedesk/admin.token",
    // "VOTEDESK_ADMIN_TOKEN", "Settings: …"); never the token itself.
    QString adminTokenSource;
    // Why the token file saved in Settings was not used this run (the admin API stays loopback
    // only rather than the console refusing to start, so the operator can fix it in Settings).
    QString adminTokenProblem;
    std::vector<IpRange> trustedProxies; // X-Forwarded-For is believed only from these
    RateLimiter::Config clientRate;      // votes per client address (after X-Forwarded-For)
    RateLimiter::Config voterRate;       // votes per voter id

    static constexpr qsizetype kMinAdminTokenLength = AdminToken::kMinLength;
};

// The access rules of the HTTP API in one place: the client address (trusted proxies), the
// admin token, the rate limits, and their counters. Thread-safe: configured before the
// server starts and read-only afterwards except for the atomic counters and the limiters'
// own sharded state; every I/O thread calls it at once.
class AccessControl final
{
public:
    explicit AccessControl(AccessOptions options = {});
    Q_DISABLE_COPY_MOVE(AccessControl)

    const AccessOptions &options() const { return m_options; }
    // Before the server starts: the built-in TLS terminator's proof (see ClientAddressResolver).
    void setRelaySecret(QByteArray secret) { m_resolver.setRelaySecret(std::move(secret)); }
    ClientAddress clientOf(const Http::HttpRequest &request, const Http::RequestContext &context) const
    {
        return m_resolver.resolve(request, context);
    }

    // The admin API's gate: nullopt lets the request through; otherwise the refusal
    // (403 forbidden: not loopback and no token configured; 401 invalid_token with
    // WWW-Authenticate: a token is configured and none, or a wrong one, came). Counted.
    std::optional<Http::HttpResponse> checkAdmin(const Http::HttpRequest &request,
                                                 const Http::RequestContext &context);

    // Rate limits (0: go ahead, else milliseconds until the next token). nowMs: monotonic.
    bool limitsClients() const { return m_clientLimiter.enabled(); }
    bool limitsVoters() const { return m_voterLimiter.enabled(); }
    qint64 takeClient(const ClientAddress &client, qint64 nowMs);
    qint64 takeVoter(QByteArrayView voter, qint64 nowMs);

    // A vote of a session with voter tokens was refused for this reason (Valid is not counted).
    void countVoterToken(VoterToken::Check check);

    // Prometheus samples of everything above.
    QList<Metrics::Sample> samples() const;

    // Counters (relaxed atomics: statistics).
    std::atomic<qint64> adminForbidden{0};     // 403: not loopback, no token configured
    std::atomic<qint64> adminTokenMissing{0};  // 401: token configured, none sent from afar
    std::atomic<qint64> adminTokenWrong{0};    // 401: a wrong or malformed token
    std::atomic<qint64> adminTokenAccepted{0}; // requests let in by the token
    std::atomic<qint64> rateLimitedClients{0}; // 429 by client address
    std::atomic<qint64> rateLimitedVoters{0};  // 429 by voter id
    std::atomic<qint64> voterTokenMissing{0};  // 401 invalid_token, by reason
    std::atomic<qint64> voterTokenMalformed{0};
    std::atomic<qint64> voterTokenMismatch{0};

    // "Retry-After" seconds for a wait in milliseconds: rounded up, at least 1.
    static QByteArray retryAfterSeconds(qint64 waitMs);

private:
    const AccessOptions m_options;
    ClientAddressResolver m_resolver;
    RateLimiter m_clientLimiter;
    RateLimiter m_voterLimiter;
};
