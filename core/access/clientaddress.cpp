#include "access/clientaddress.h"

#include <arpa/inet.h>
#include <cstring>

#include <QtEndian>

#include "access/constanttime.h"
#include "http/router.h"

using namespace Qt::Literals::StringLiterals;

namespace {
constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

IpAddress mappedV4(const void *four)
{
    IpAddress address;
    std::memcpy(address.bytes.data(), kV4Prefix, 12);
    std::memcpy(address.bytes.data() + 12, four, 4);
    return address;
}
} // namespace

IpAddress IpAddress::fromHostAddress(const QHostAddress &host)
{
    bool isV4 = false;
    const quint32 v4 = host.toIPv4Address(&isV4);
    if (isV4) {
        const quint32 network = qToBigEndian(v4);
        return mappedV4(&network);
    }
    IpAddress address;
    const Q_IPV6ADDR v6 = host.toIPv6Address();
    std::memcpy(address.bytes.data(), v6.c, 16);
    return address;
}

std::optional<IpAddress> IpAddress::parse(QByteArrayView text)
{
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.sliced(1, text.size() - 2);
    if (text.isEmpty() || text.size() > INET6_ADDRSTRLEN - 1)
        return std::nullopt;
    char buffer[INET6_ADDRSTRLEN];
    std::memcpy(buffer, text.data(), std::size_t(text.size()));
    buffer[text.size()] = '\0';
    if (std::memchr(buffer, '\0', std::size_t(text.size())))
        return std::nullopt; // a NUL inside would cut the text short
    unsigned char four[4];
    if (inet_pton(AF_INET, buffer, four) == 1)
        return mappedV4(four);
    IpAddress address;
    if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1)
        return address;
    return std::nullopt;
}

bool IpAddress::isV4() const
{
    return std::memcmp(bytes.data(), kV4Prefix, 12) == 0;
}

bool IpAddress::isLoopback() const
{
    if (isV4())
        return bytes[12] == 127;
    static constexpr std::uint8_t kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::memcmp(bytes.data(), kLoop6, 16) == 0;
}

QHostAddress IpAddress::toHostAddress() const
{
    if (isV4()) {
        quint32 network;
        std::memcpy(&network, bytes.data() + 12, 4);
        return QHostAddress(qFromBigEndian(network));
    }
    return QHostAddress(bytes.data());
}

QString IpAddress::toString() const
{
    return toHostAddress().toString();
}

std::uint64_t IpAddress::hash() const
{
    // FNV-1a over 16 bytes: a bucket key, not a defence (the buckets are keyed per process).
    std::uint64_t h = 1469598103934665603ull;
    for (std::uint8_t b : bytes) {
        h ^= b;
        h *= 1099511628211ull;
    }
    return h;
}

std::optional<IpRange> IpRange::parse(const QString &text)
{
    const QString trimmed = text.trimmed();
    const qsizetype slash = trimmed.indexOf(u'/');
    const QByteArray addressText = (slash < 0 ? trimmed : trimmed.left(slash)).toLatin1();
    const std::optional<IpAddress> address = IpAddress::parse(addressText);
    if (!address)
        return std::nullopt;
    IpRange range;
    range.prefixBits = 128;
    if (slash >= 0) {
        bool ok = false;
        const int bits = trimmed.mid(slash + 1).toInt(&ok);
        const int max = address->isV4() ? 32 : 128;
        if (!ok || bits < 0 || bits > max)
            return std::nullopt;
        range.prefixBits = address->isV4() ? bits + 96 : bits;
    }
    range.base = *address;
    for (int i = 0; i < 16; ++i) {
        const int keep = qBound(0, range.prefixBits - i * 8, 8);
        range.base.bytes[std::size_t(i)] &= std::uint8_t(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
    }
    return range;
}

bool IpRange::contains(const IpAddress &address) const
{
    for (int i = 0; i < 16; ++i) {
        const int keep = qBound(0, prefixBits - i * 8, 8);
        if (keep == 0)
            return true;
        const std::uint8_t mask = std::uint8_t(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
        if ((address.bytes[std::size_t(i)] & mask) != base.bytes[std::size_t(i)])
            return false;
    }
    return true;
}

QString IpRange::toString() const
{
    const int bits = base.isV4() && prefixBits >= 96 ? prefixBits - 96 : prefixBits;
    return u"%1/%2"_s.arg(base.toString()).arg(bits);
}

bool ClientAddressResolver::isTrusted(const IpAddress &address) const
{
    for (const IpRange &range : m_trusted) {
        if (range.contains(address))
            return true;
    }
    return false;
}

ClientAddress ClientAddressResolver::resolve(const Http::HttpRequest &request,
                                             const Http::RequestContext &context) const
{
    ClientAddress client;
    client.address = IpAddress::fromHostAddress(context.peerAddress);
    if (!usesForwarding())
        return client;
    bool peerTrusted = isTrusted(client.address);
    if (!peerTrusted && !m_relaySecret.isEmpty() && context.peerIsLoopback) {
        const QByteArrayView relay = request.header(kRelayHeader);
        peerTrusted = !relay.isEmpty() && constantTimeEquals(relay, m_relaySecret);
    }
    if (!peerTrusted)
        return client;

    // Every X-Forwarded-For line, last line last; walked from the right.
    for (qsizetype h = request.headers.size() - 1; h >= 0; --h) {
        const Http::HttpHeader &header = request.headers[h];
        if (!Http::equalsIgnoringCase(header.name, "x-forwarded-for"))
            continue;
        QByteArrayView rest = header.value;
        while (!rest.isEmpty()) {
            const qsizetype comma = rest.lastIndexOf(',');
            const QByteArrayView item = Http::trimmedOws(comma < 0 ? rest : rest.sliced(comma + 1));
            rest = comma < 0 ? QByteArrayView() : rest.first(comma);
            const std::optional<IpAddress> hop = IpAddress::parse(item);
            if (!hop)
                return client; // unreadable: the last trusted hop is all we know
            client.address = *hop;
            client.forwarded = true;
            if (!isTrusted(*hop))
                return client;
        }
    }
    return client;
}
