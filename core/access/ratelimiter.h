#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include <QtGlobal>

// Declared outside RateLimiter only so that it can be a default argument of its constructor;
// spelled RateLimiter::Config.
struct RateLimitConfig
{
    double ratePerSecond = 0; // 0: off, every take() succeeds
    double burst = 0;         // bucket size, at least 1 when on
    int maxKeysPerShard = 4096;
    bool enabled() const { return ratePerSecond > 0; }
};

// Token buckets by key (a client address or a voter id, hashed to 64 bits), for 429s.
//
// Each key gets a bucket of `burst` tokens that refills at `ratePerSecond`; a request takes
// one token or is refused with the time until the next one (Retry-After). A bucket that has
// refilled completely is the same as no bucket, so forgetting it loses nothing: that is how
// memory stays bounded (below).
//
// Threads: called from every I/O thread at once. The key space is cut into kShardCount
// shards, each a small hash map under its own mutex held for a lookup and a few arithmetic
// operations; two I/O threads meet only when they hit the same shard in the same instant.
// No shard lock is ever held while taking another lock or calling out.
//
// Memory: at most maxKeysPerShard buckets per shard (default 4096, so 256 Ki keys in all,
// about 48 bytes each with the map's node). A shard that is full first forgets the buckets
// that have refilled (lossless); if that frees less than an eighth, it forgets an arbitrary
// eighth too. So a flood of more distinct keys than the table holds (a botnet) lets some of
// them start over with a full bucket: a per-key limit cannot stop that anyway, and the
// operator sees it in the fraud figures and the rejected share.
class RateLimiter final
{
public:
    static constexpr int kShardCount = 64;

    using Config = RateLimitConfig;

    explicit RateLimiter(Config config = {});
    Q_DISABLE_COPY_MOVE(RateLimiter)

    const Config &config() const { return m_config; }
    bool enabled() const { return m_config.enabled(); }

    // Takes one token from key's bucket at nowMs (a monotonic clock). Returns 0 when taken,
    // else the milliseconds until a token will be there (>= 1).
    qint64 take(std::uint64_t key, qint64 nowMs);

    // Buckets currently held (all shards); for metrics and tests.
    qint64 size() const;
    qint64 evictions() const { return m_evictions.load(std::memory_order_relaxed); }

private:
    struct Bucket
    {
        double tokens = 0;
        qint64 atMs = 0;
    };
    struct alignas(64) Shard
    {
        mutable std::mutex mutex;
        std::unordered_map<std::uint64_t, Bucket> buckets;
    };

    void makeRoom(Shard &shard, qint64 nowMs);

    const Config m_config;
    std::array<Shard, kShardCount> m_shards;
    std::atomic<qint64> m_evictions{0};
};
