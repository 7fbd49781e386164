using System.Diagnostics;
using System.Threading.RateLimiting;
using AblyAuthServer.Hosting.Redis;
using StackExchange.Redis;

namespace AblyAuthServer.Hosting.RateLimiting;

/// <summary>
/// A fixed-window limit counted in Redis, shared by every replica: one script call per acquisition (INCR, PEXPIRE on
/// the window's first hit; returns the count and the window's time left). For the login path only, which is slow
/// anyway. Fails closed: while Redis is unreachable every acquisition is refused with
/// <see cref="StoreUnavailableReason"/> as the lease's reason, which the rejection turns into a 503.
/// </summary>
internal sealed class RedisFixedWindowLimiter(SharedRedis redis, string key, RateLimit limit) : RateLimiter
{
    /// <summary>The <see cref="MetadataName.ReasonPhrase"/> of a lease refused because Redis did not answer.</summary>
    public const string StoreUnavailableReason = "rate-limit-store-unavailable";


    private static readonly LuaScript Script = LuaScript.Prepare("""
        local count = redis.call('INCRBY', @key, @permits)
        if count == tonumber(@permits) then redis.call('PEXPIRE', @key, @window) end
        local ttl = redis.call('PTTL', @key)
        if ttl < 0 then redis.call('PEXPIRE', @key, @window) ttl = tonumber(@window) end
        return { count, ttl }
        """);

    private readonly RedisKey _key = SharedRedis.KeyPrefix + "limit:" + key;
    private long _lastUsed = Stopwatch.GetTimestamp();

    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    // The middleware tries the synchronous path first; a Redis count can only be had asynchronously.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.NotAttempted;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUsed, Stopwatch.GetTimestamp());
        try
        {
            var result = (RedisResult[])(await redis.Database.ScriptEvaluateAsync(Script, new
            {
                key = _key,
                permits = permitCount,
                window = (long)limit.Window.TotalMilliseconds,
            }))!;
            var count = (long)result[0];
            var ttl = TimeSpan.FromMilliseconds((long)result[1]);
            return count <= limit.PermitLimit ? Lease.Acquired : new Lease(false, ttl, null);
        }
        catch (Exception e) when (RedisSetup.IsOutage(e))
        {
            return new Lease(false, SharedRedis.OutageRetryAfter, StoreUnavailableReason);
        }
    }

    internal sealed class Lease(bool acquired, TimeSpan? retryAfter, string? reason) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true, null, null);
        public static readonly Lease NotAttempted = new(false, null, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames =>
            [.. retryAfter is null ? [] : new[] { MetadataName.RetryAfter.Name }, .. reason is null ? [] : new[] { MetadataName.ReasonPhrase.Name }];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (metadataName == MetadataName.RetryAfter.Name && retryAfter is not null)
            {
                metadata = retryAfter.Value;
                return true;
            }

            if (metadataName == MetadataName.ReasonPhrase.Name && reason is not null)
            {
                metadata = reason;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
