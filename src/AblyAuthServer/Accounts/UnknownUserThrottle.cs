using AblyAuthServer.Hosting.Redis;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AblyAuthServer.Accounts;

/// <summary>
/// Counts failures for user names that do not exist and locks them out like real accounts,
/// so lockout responses do not reveal which user names exist. With Redis the counters are shared by every replica,
/// as real accounts' lockout is shared through the database. If Redis cannot be reached the name is not locked out
/// (it cannot log in anyway: it does not exist); logins are refused earlier by the login limits, which fail closed.
/// </summary>
public sealed class UnknownUserThrottle(IOptions<AccountsOptions> options, SharedRedis redis) : IDisposable
{
    private static readonly LuaScript RecordScript = LuaScript.Prepare("""
        local failures = redis.call('INCR', @failures)
        redis.call('PEXPIRE', @failures, @keep)
        if failures < tonumber(@max) then return 0 end
        redis.call('DEL', @failures)
        redis.call('SET', @locked, '1', 'PX', @lockout)
        return 1
        """);

    // Identity's lockout runs on the system clock; unknown names must lock out on the same one.
    private static readonly TimeProvider time = TimeProvider.System;

    // Its own bounded cache: user names are attacker-chosen, so the number of entries must not grow without limit.
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    private sealed class Entry
    {
        public int Failures;
        public DateTimeOffset? LockedUntil;
    }

    public async ValueTask<TimeSpan?> LockedOutForAsync(string normalizedUserName)
    {
        if (redis.IsConfigured)
        {
            try
            {
                var left = await redis.Database.KeyTimeToLiveAsync(SharedKey("locked:", normalizedUserName));
                return left > TimeSpan.Zero ? left : null;
            }
            catch (Exception e) when (RedisSetup.IsOutage(e))
            {
                return null;
            }
        }

        return LockedOutFor(normalizedUserName);
    }

    /// <summary>Records a failure; returns the lockout left when this failure reaches the limit.</summary>
    public async ValueTask<TimeSpan?> RecordFailureAsync(string normalizedUserName)
    {
        if (!redis.IsConfigured)
        {
            return RecordFailure(normalizedUserName);
        }

        var settings = options.Value;
        try
        {
            var locked = (int)await redis.Database.ScriptEvaluateAsync(RecordScript, new
            {
                failures = SharedKey("failures:", normalizedUserName),
                locked = SharedKey("locked:", normalizedUserName),
                keep = (long)(settings.LockoutDuration * 2).TotalMilliseconds,
                max = settings.MaxFailedAccessAttempts,
                lockout = (long)settings.LockoutDuration.TotalMilliseconds,
            });
            return locked == 1 ? settings.LockoutDuration : null;
        }
        catch (Exception e) when (RedisSetup.IsOutage(e))
        {
            return null;
        }
    }

    private static RedisKey SharedKey(string kind, string normalizedUserName) => SharedRedis.KeyPrefix + "unknown-user:" + kind + normalizedUserName;

    private TimeSpan? LockedOutFor(string normalizedUserName)
    {
        if (cache.TryGetValue(Key(normalizedUserName), out Entry? entry) && entry!.LockedUntil is { } until)
        {
            var left = until - time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                return left;
            }
        }

        return null;
    }

    private TimeSpan? RecordFailure(string normalizedUserName)
    {
        var settings = options.Value;
        var entry = cache.GetOrCreate(Key(normalizedUserName), e =>
        {
            e.SlidingExpiration = settings.LockoutDuration * 2;
            e.Size = 1;
            return new Entry();
        })!;
        lock (entry)
        {
            if (++entry.Failures < settings.MaxFailedAccessAttempts)
            {
                return null;
            }

            entry.Failures = 0;
            entry.LockedUntil = time.GetUtcNow() + settings.LockoutDuration;
            return settings.LockoutDuration;
        }
    }

    public void Dispose() => cache.Dispose();

    private static string Key(string normalizedUserName) => normalizedUserName;
}
