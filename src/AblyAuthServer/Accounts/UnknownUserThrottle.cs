using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Accounts;

/// <summary>
/// Counts failures for user names that do not exist and locks them out like real accounts,
/// so lockout responses do not reveal which user names exist.
/// </summary>
public sealed class UnknownUserThrottle(IOptions<AccountsOptions> options) : IDisposable
{
    // Identity's lockout runs on the system clock; unknown names must lock out on the same one.
    private static readonly TimeProvider time = TimeProvider.System;

    // Its own bounded cache: user names are attacker-chosen, so the number of entries must not grow without limit.
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    private sealed class Entry
    {
        public int Failures;
        public DateTimeOffset? LockedUntil;
    }

    public TimeSpan? LockedOutFor(string normalizedUserName)
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

    /// <summary>Records a failure; returns the lockout left when this failure reaches the limit.</summary>
    public TimeSpan? RecordFailure(string normalizedUserName)
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
