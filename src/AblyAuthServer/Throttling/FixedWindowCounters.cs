using AblyAuthServer.Redis;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace AblyAuthServer.Throttling;

/// <summary>
/// Fixed-window counters keyed by a string: in this process's memory, or in Redis (shared by every replica) when it is
/// configured. A window opens with its first hit. Windows run on wall time, like Redis key expiry.
/// </summary>
public sealed class FixedWindowCounters(SharedRedis redis) : IDisposable
{
    /// <summary>What the in-memory counters may hold, in estimated bytes: keys are attacker-chosen (names, addresses).</summary>
    public const long MemoryBytesLimit = 16L * 1024 * 1024;

    private static readonly LuaScript Script = LuaScript.Prepare("""
        local count = redis.call('INCRBY', @key, @permits)
        local ttl = redis.call('PTTL', @key)
        if ttl < 0 then redis.call('PEXPIRE', @key, @window) ttl = tonumber(@window) end
        return { count, ttl }
        """);

    private readonly MemoryCache _windows = new(new MemoryCacheOptions { SizeLimit = MemoryBytesLimit });

    /// <summary>
    /// Adds <paramref name="permits"/> (0 to only read) to <paramref name="key"/>'s current window. Null when the shared
    /// store cannot be reached: callers that guard credentials refuse rather than let an uncounted attempt through.
    /// </summary>
    public async ValueTask<WindowCount?> AddAsync(string key, int permits, TimeSpan window)
    {
        if (!redis.IsConfigured)
        {
            return AddInMemory(key, permits, window);
        }

        try
        {
            var result = (RedisResult[])(await redis.Database.ScriptEvaluateAsync(Script, new
            {
                key = (RedisKey)(SharedRedis.KeyPrefix + "limit:" + key),
                permits,
                window = (long)window.TotalMilliseconds,
            }))!;
            return new WindowCount((long)result[0], TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (Exception e) when (RedisSetup.IsOutage(e))
        {
            return null;
        }
    }

    public void Dispose() => _windows.Dispose();

    private WindowCount AddInMemory(string key, int permits, TimeSpan window)
    {
        var now = Environment.TickCount64;
        var counter = _windows.GetOrCreate(key, entry =>
        {
            entry.Size = 96 + (2L * key.Length);
            entry.AbsoluteExpirationRelativeToNow = window;
            return new Counter { OpenedAt = now };
        })!;
        lock (counter)
        {
            var windowMs = (long)window.TotalMilliseconds;
            if (now - counter.OpenedAt >= windowMs)
            {
                counter.OpenedAt = now;
                counter.Count = 0;
            }

            counter.Count += permits;
            return new WindowCount(counter.Count, TimeSpan.FromMilliseconds(counter.OpenedAt + windowMs - now));
        }
    }

    private sealed class Counter
    {
        public long OpenedAt;
        public long Count;
    }
}
