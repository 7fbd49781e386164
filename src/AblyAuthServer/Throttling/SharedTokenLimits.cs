using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.RateLimiting;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AblyAuthServer.Throttling;

/// <summary>
/// The per-user token limit across replicas without a Redis round trip per token: each replica decides locally from
/// the last known global count plus its own not-yet-reported grants, and every <see cref="FlushInterval"/> adds its
/// grants to the window's shared key (INCRBY) and reads back the global count. Windows are aligned to the Unix epoch,
/// so every replica agrees on them. A user over the global limit is refused everywhere from the next flush until the
/// window ends; the overshoot is at most what the replicas grant in one interval. Fails open: while Redis cannot be
/// reached each replica enforces the limit on its own counts (a warning and the
/// <c>ably_auth.shared_store.unavailable</c> metric say so) — token limits are abuse control, not authentication.
/// </summary>
internal sealed partial class SharedTokenLimits(
    SharedRedis redis, IOptions<RateLimitingOptions> options, AuthMetrics metrics, ILogger<SharedTokenLimits> logger) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(250);

    private static readonly LuaScript AddScript = LuaScript.Prepare("""
        local count = redis.call('INCRBY', @key, @granted)
        if count == tonumber(@granted) and count > 0 then redis.call('PEXPIRE', @key, @keep) end
        if count == 0 then redis.call('DEL', @key) end
        return count
        """);

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private long _lastWarning;

    /// <summary>Grants or refuses one token request for <paramref name="key"/>, from memory only.</summary>
    public RateLimitLease Acquire(string key)
    {
        var limit = options.Value.Tokens.PerUser;
        var windowMs = (long)limit.Window.TotalMilliseconds;
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var index = nowMs / windowMs;
        var window = _windows.GetOrAdd(key, _ => new Window());
        lock (window)
        {
            window.MoveTo(index);
            if (window.Known + window.Pending + window.InFlight >= limit.PermitLimit)
            {
                return new TokenLimitLease(false, TimeSpan.FromMilliseconds(((index + 1) * windowMs) - nowMs));
            }

            window.Pending++;
            return TokenLimitLease.Acquired;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task FlushAsync()
    {
        var limit = options.Value.Tokens.PerUser;
        var windowMs = (long)limit.Window.TotalMilliseconds;
        var current = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / windowMs;
        var reports = new List<(string Key, Window Window, long Index, long Granted)>();
        foreach (var (key, window) in _windows)
        {
            lock (window)
            {
                if (window.Index < current && window.Pending == 0)
                {
                    _windows.TryRemove(key, out _);
                }
                else if (window.Pending > 0 || window.Index == current)
                {
                    // Nothing to report still reads the global count back (INCRBY 0): others' grants count here too.
                    reports.Add((key, window, window.Index, window.Pending));
                    window.Pending = 0;
                    window.InFlight += reports[^1].Granted;
                }
            }
        }

        if (reports.Count == 0)
        {
            return;
        }

        var db = redis.Database;
        var sent = reports.Select(r => (r, db.ScriptEvaluateAsync(AddScript, new
        {
            key = (RedisKey)(SharedRedis.KeyPrefix + "limit:tokens:" + r.Key + ":" + r.Index),
            granted = r.Granted,
            keep = windowMs * 2,
        }))).ToList();
        foreach (var (report, task) in sent)
        {
            long? count = null;
            try
            {
                count = (long)await task;
            }
            catch (Exception e) when (RedisSetup.IsOutage(e))
            {
                Unavailable(e);
            }

            lock (report.Window)
            {
                report.Window.InFlight -= report.Granted;
                if (report.Window.Index != report.Index)
                {
                    continue;
                }

                if (count is { } global)
                {
                    report.Window.Known = Math.Max(report.Window.Known, global);
                }
                else
                {
                    // Not reported: keep counting it locally and report it with the next flush.
                    report.Window.Pending += report.Granted;
                }
            }
        }
    }

    private void Unavailable(Exception e)
    {
        metrics.SharedStoreUnavailable("token-limits");
        var last = Interlocked.Read(ref _lastWarning);
        if (last == 0 || Stopwatch.GetElapsedTime(last) > TimeSpan.FromSeconds(30))
        {
            Interlocked.Exchange(ref _lastWarning, Stopwatch.GetTimestamp());
            LogUnavailable(logger, e);
        }
    }

    /// <summary>One user's current window on this replica; guarded by locking it.</summary>
    private sealed class Window
    {
        public long Index;

        /// <summary>The global count last read from Redis (this replica's reported grants included).</summary>
        public long Known;

        /// <summary>Grants not yet reported.</summary>
        public long Pending;

        /// <summary>Grants being reported now (still counted until <see cref="Known"/> includes them).</summary>
        public long InFlight;

        public void MoveTo(long index)
        {
            if (index != Index)
            {
                Index = index;
                Known = Pending = InFlight = 0;
            }
        }
    }

    /// <summary>The limiter for one partition: every decision is <see cref="Acquire"/>, in memory.</summary>
    internal sealed class Limiter(SharedTokenLimits limits, string key) : RateLimiter
    {
        private long _lastUsed = Stopwatch.GetTimestamp();

        public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastUsed));

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            Interlocked.Exchange(ref _lastUsed, Stopwatch.GetTimestamp());
            return limits.Acquire(key);
        }

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AttemptAcquireCore(permitCount));
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Token limits cannot reach Redis: each replica enforces them on its own counts until it answers")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
