#include "access/ratelimiter.h"

#include <cmath>

RateLimiter::RateLimiter(Config config)
    : m_config([&config] {
        if (config.enabled())
            config.burst = qMax(1.0, config.burst);
        config.maxKeysPerShard = qMax(8, config.maxKeysPerShard);
        return config;
    }())
{}

qint64 RateLimiter::take(std::uint64_t key, qint64 nowMs)
{
    if (!m_config.enabled())
        return 0;
    // The low bits pick the shard, the map hashes the rest: keys are already hashes.
    Shard &shard = m_shards[std::size_t(key % kShardCount)];
    std::lock_guard lock(shard.mutex);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
        if (qsizetype(shard.buckets.size()) >= m_config.maxKeysPerShard)
            makeRoom(shard, nowMs);
        it = shard.buckets.emplace(key, Bucket{m_config.burst, nowMs}).first;
    } else {
        Bucket &bucket = it->second;
        if (nowMs > bucket.atMs) {
            bucket.tokens = qMin(m_config.burst, bucket.tokens + double(nowMs - bucket.atMs) *
                                                                     m_config.ratePerSecond / 1000.0);
            bucket.atMs = nowMs;
        }
    }
    Bucket &bucket = it->second;
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return 0;
    }
    const double missing = 1.0 - bucket.tokens;
    return qMax<qint64>(1, qint64(std::ceil(missing * 1000.0 / m_config.ratePerSecond)));
}

void RateLimiter::makeRoom(Shard &shard, qint64 nowMs)
{
    const std::size_t before = shard.buckets.size();
    const double refillMs = m_config.burst * 1000.0 / m_config.ratePerSecond;
    for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
        if (double(nowMs - it->second.atMs) + it->second.tokens * 1000.0 / m_config.ratePerSecond >= refillMs)
            it = shard.buckets.erase(it);
        else
            ++it;
    }
    const std::size_t wanted = before / 8;
    if (before - shard.buckets.size() < wanted) {
        std::size_t drop = wanted - (before - shard.buckets.size());
        for (auto it = shard.buckets.begin(); it != shard.buckets.end() && drop > 0; --drop)
            it = shard.buckets.erase(it);
    }
    m_evictions.fetch_add(qint64(before - shard.buckets.size()), std::memory_order_relaxed);
}

qint64 RateLimiter::size() const
{
    qint64 total = 0;
    for (const Shard &shard : m_shards) {
        std::lock_guard lock(shard.mutex);
        total += qint64(shard.buckets.size());
    }
    return total;
}
