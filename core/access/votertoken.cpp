#include "access/votertoken.h"

#include <cstring>

// The SHA-256 block API is deprecated in OpenSSL 3 (see sign()): allowed here, on purpose.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <QRandomGenerator>

#include "access/constanttime.h"

namespace VoterToken {

namespace {
constexpr qsizetype kBlock = 64;

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int base64UrlValue(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

bool decodeHex(QByteArrayView text, Mac *out)
{
    for (std::size_t i = 0; i < out->size(); ++i) {
        const int high = hexValue(text[qsizetype(2 * i)]);
        const int low = hexValue(text[qsizetype(2 * i + 1)]);
        if (high < 0 || low < 0)
            return false;
        (*out)[i] = std::uint8_t(high << 4 | low);
    }
    return true;
}

// Unpadded base64url into exactly `capacity` bytes or fewer; the unused low bits of the last
// character must be zero (one spelling per value). Returns the bytes written, -1 when invalid.
unsigned codeOf(char c)
{
    return static_cast<unsigned char>(c);
}

unsigned codeOf(QChar c)
{
    return c.unicode();
}

template<typename View>
qsizetype decodeBase64Url(View text, std::uint8_t *out, qsizetype capacity)
{
    if (text.size() % 4 == 1)
        return -1;
    std::uint32_t accumulator = 0;
    int bits = 0;
    qsizetype written = 0;
    for (auto c : text) {
        const unsigned code = codeOf(c);
        const int value = code < 128 ? base64UrlValue(char(code)) : -1;
        if (value < 0)
            return -1;
        accumulator = (accumulator << 6) | std::uint32_t(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (written == capacity)
                return -1;
            out[written++] = std::uint8_t(accumulator >> bits);
        }
    }
    if ((accumulator & ((1u << bits) - 1)) != 0)
        return -1;
    return written;
}

bool decodeBase64Url(QByteArrayView text, Mac *out)
{
    return text.size() == 43 && decodeBase64Url(text, out->data(), qsizetype(out->size())) == 32;
}
} // namespace

QByteArray newSecret()
{
    std::array<quint32, 8> words;
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    return QByteArray(reinterpret_cast<const char *>(words.data()), qsizetype(sizeof(words)))
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool decodeSecret(QStringView base64url, Key *key)
{
    const qsizetype size =
        decodeBase64Url(base64url, reinterpret_cast<std::uint8_t *>(key->bytes.data()), kMaxSecretBytes);
    if (size < kMinSecretBytes)
        return false;
    key->size = size;
    return true;
}

Mac sign(QByteArrayView secretBytes, QByteArrayView voter)
{
    Q_ASSERT(secretBytes.size() <= kMaxSecretBytes);
    // RFC 2104 with a key no longer than the block: K padded with zeros, XORed with the pads.
    char innerPad[kBlock];
    char outerPad[kBlock];
    std::memset(innerPad, 0x36, kBlock);
    std::memset(outerPad, 0x5c, kBlock);
    for (qsizetype i = 0; i < secretBytes.size(); ++i) {
        innerPad[i] = char(innerPad[i] ^ secretBytes[i]);
        outerPad[i] = char(outerPad[i] ^ secretBytes[i]);
    }
    // OpenSSL's SHA-256 block functions (SHA-NI where the CPU has it). Measured per vote (decode
    // the secret, sign, compare; bench/accessbench.cpp, a busy 2-core machine): 0.76 us, against
    // 1.07 us through EVP (a provider context re-init per digest) and 3.3 us with
    // QCryptographicHash's portable code. Deprecated in OpenSSL 3 in favour of EVP, and still
    // there; the state lives on the stack, so nothing is allocated or looked up per vote.
    Mac inner;
    Mac mac;
    SHA256_CTX state;
    SHA256_Init(&state);
    SHA256_Update(&state, innerPad, kBlock);
    SHA256_Update(&state, voter.data(), std::size_t(voter.size()));
    SHA256_Final(inner.data(), &state);
    SHA256_Init(&state);
    SHA256_Update(&state, outerPad, kBlock);
    SHA256_Update(&state, inner.data(), inner.size());
    SHA256_Final(mac.data(), &state);
    return mac;
}

QByteArray signHex(QByteArrayView secretBytes, QByteArrayView voter)
{
    const Mac mac = sign(secretBytes, voter);
    return QByteArray(reinterpret_cast<const char *>(mac.data()), qsizetype(mac.size())).toHex();
}

Check verify(QByteArrayView secretBytes, QByteArrayView voter, QByteArrayView presented)
{
    if (presented.isEmpty())
        return Check::Missing;
    Mac given{};
    if (presented.size() == 64) {
        if (!decodeHex(presented, &given))
            return Check::Malformed;
    } else if (presented.size() == 43) {
        if (!decodeBase64Url(presented, &given))
            return Check::Malformed;
    } else {
        return Check::Malformed;
    }
    const Mac expected = sign(secretBytes, voter);
    const bool same = constantTimeEquals(
        QByteArrayView(reinterpret_cast<const char *>(given.data()), qsizetype(given.size())),
        QByteArrayView(reinterpret_cast<const char *>(expected.data()), qsizetype(expected.size())));
    return same ? Check::Valid : Check::Mismatch;
}

} // namespace VoterToken
