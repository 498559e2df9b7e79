#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>

namespace Http {
struct HttpRequest;
struct RequestContext;
} // namespace Http

// An IP address as 16 bytes (IPv4 as IPv4-mapped IPv6), cheap to copy, hash and compare, so
// the per-request path needs no QHostAddress (each of which is a heap allocation).
struct IpAddress
{
    std::array<std::uint8_t, 16> bytes{};

    static IpAddress fromHostAddress(const QHostAddress &address);
    // "192.0.2.1", "2001:db8::1", "[2001:db8::1]"; nullopt for anything else (ports included).
    static std::optional<IpAddress> parse(QByteArrayView text);
    bool isLoopback() const; // 127.0.0.0/8 or ::1
    bool isV4() const;
    QHostAddress toHostAddress() const;
    QString toString() const;
    std::uint64_t hash() const;

    friend bool operator==(const IpAddress &, const IpAddress &) = default;
};

// An address range: "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7" = /32).
struct IpRange
{
    IpAddress base; // with the host bits cleared
    int prefixBits = 128;

    static std::optional<IpRange> parse(const QString &text);
    bool contains(const IpAddress &address) const;
    QString toString() const;
};

// Who the client is, as far as we can tell: the TCP peer, or, when the peer is a proxy we
// were told to trust, the address that proxy says it serves.
struct ClientAddress
{
    IpAddress address;
    bool forwarded = false; // taken from X-Forwarded-For (the peer is a trusted proxy)
    bool isLoopback() const { return address.isLoopback(); }
};

// Decides the client address of a request (thread-safe: read-only after configuration,
// which happens before the server starts).
//
// X-Forwarded-For is believed only from a trusted peer: one inside a configured range
// (--trusted-proxy), or the built-in TLS terminator, which proves itself with a per-process
// secret header on its loopback connection (so another local process cannot pose as it).
// The header is read from the right, as a proxy appends: the first address from the right
// that is not itself a trusted proxy is the client. Anything a client wrote further left
// is never believed. An unreadable entry stops the walk at the last trusted hop.
class ClientAddressResolver final
{
public:
    void setTrustedProxies(std::vector<IpRange> ranges) { m_trusted = std::move(ranges); }
    const std::vector<IpRange> &trustedProxies() const { return m_trusted; }
    // The header value the TLS terminator sends as X-Votedesk-Relay (empty: no terminator).
    void setRelaySecret(QByteArray secret) { m_relaySecret = std::move(secret); }

    // Whether resolving can give anything but the peer (skip the header walk otherwise).
    bool usesForwarding() const { return !m_trusted.empty() || !m_relaySecret.isEmpty(); }
    ClientAddress resolve(const Http::HttpRequest &request, const Http::RequestContext &context) const;
    bool isTrusted(const IpAddress &address) const;

    static constexpr char kRelayHeader[] = "x-votedesk-relay";

private:
    std::vector<IpRange> m_trusted;
    QByteArray m_relaySecret;
};
