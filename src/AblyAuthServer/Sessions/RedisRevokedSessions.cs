using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AblyAuthServer.Accounts;
using AblyAuthServer.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AblyAuthServer.Sessions;

/// <summary>
/// The logout list shared through Redis, read from memory: a logout SETs <c>ablyauth:revoked:&lt;id&gt;</c> (expiring
/// with the session) and PUBLISHes the id; every replica keeps the set in memory from that channel, and reloads every
/// key (SCAN) on start and after each reconnect, since messages sent while disconnected are lost. Token requests
/// therefore never wait on Redis. While the feed is down for longer than <see cref="RedisOptions.RevocationFeedGrace"/>
/// (or has never loaded), <see cref="IsUpToDate"/> is false and session-authenticated requests are refused (503).
/// </summary>
internal sealed partial class RedisRevokedSessions : IRevokedSessions, IHostedService, IDisposable
{
    internal const string KeyPrefix = SharedRedis.KeyPrefix + "revoked:";
    internal static readonly RedisChannel Channel = RedisChannel.Literal(SharedRedis.KeyPrefix + "revoked");

    // DateTimeOffset's range in Unix milliseconds; a value outside it is not one this app wrote.
    private static readonly long MaxExpiry = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    // The replica's own copy of the shared list: token requests check it without a Redis call.
    private readonly InMemoryRevokedSessions _revoked;

    // Logouts that did not reach Redis; shared as soon as it answers again (lost if this replica stops first).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unshared = new(StringComparer.Ordinal);
    private readonly SharedRedis _redis;
    private readonly TimeProvider _time;
    private readonly IOptions<RedisOptions> _options;
    private readonly ILogger<RedisRevokedSessions> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private Task? _loop;
    private volatile bool _disposed;

    // Stopwatch timestamps (the real clock, not the injected one: an outage's length is wall time). Zero: loaded and connected.
    private long _downSince = Stopwatch.GetTimestamp();
    private volatile bool _loaded;

    public RedisRevokedSessions(
        SharedRedis redis, InMemoryRevokedSessions revoked, TimeProvider time, IOptions<RedisOptions> options, ILogger<RedisRevokedSessions> logger)
    {
        _redis = redis;
        _time = time;
        _revoked = revoked;
        _options = options;
        _logger = logger;
    }

    public bool IsRevoked(string sessionId) => _revoked.IsRevoked(sessionId);

    public bool IsUpToDate
    {
        get
        {
            if (!_revoked.IsUpToDate)
            {
                return false;
            }

            var since = Interlocked.Read(ref _downSince);
            return since == 0 || (_loaded && Stopwatch.GetElapsedTime(since) <= _options.Value.RevocationFeedGrace);
        }
    }

    public async Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, RevocationEntry? tellAbly, CancellationToken cancellationToken)
    {
        // Durable first (and in this replica's memory): what Redis adds is that other replicas hear of it at once.
        await _revoked.RevokeAsync(sessionId, expiresAt, tellAbly, cancellationToken);
        var left = expiresAt - _time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await ShareAsync(sessionId, expiresAt, left);
        }
        catch (Exception e) when (RedisSetup.IsOutage(e))
        {
            _unshared[sessionId] = expiresAt;
            LogNotShared(_logger, e);
            throw new RevocationNotSharedException(e);
        }
    }

    private async Task ShareAsync(string sessionId, DateTimeOffset expiresAt, TimeSpan left)
    {
        var value = expiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var db = _redis.Database;
        await db.StringSetAsync(KeyPrefix + sessionId, value, left);
        await db.PublishAsync(Channel, sessionId + " " + value);
    }

    private async Task ShareUnsharedAsync()
    {
        foreach (var (id, expiresAt) in _unshared)
        {
            var left = expiresAt - _time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                await ShareAsync(id, expiresAt, left);
            }

            _unshared.TryRemove(id, out _);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var connection = _redis.Connection;
        connection.ConnectionFailed += (_, _) => MarkDown();
        connection.ConnectionRestored += (_, _) => _ = ReloadAsync();
        try
        {
            // A failed subscribe is retried by the loop below; the multiplexer re-subscribes by itself after reconnects.
            await connection.GetSubscriber().SubscribeAsync(Channel, (_, message) => OnMessage(message));
            await ReloadAsync();
        }
        catch (Exception e) when (RedisSetup.IsOutage(e))
        {
            LogFeedDown(_logger, e);
        }

        _loop = WatchAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The container may dispose this singleton before the host stops its hosted services.
        if (_disposed)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Starts the feed when the shared list is the one in use (Redis configured).</summary>
    internal sealed class Feed(IServiceProvider services) : IHostedService
    {
        private RedisRevokedSessions? _shared;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _shared = services.GetRequiredService<IRevokedSessions>() as RedisRevokedSessions;
            return _shared?.StartAsync(cancellationToken) ?? Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => _shared?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }

    public void Dispose()
    {
        // Registered as itself and as IRevokedSessions, so the container disposes it twice.
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping.Cancel();
        _stopping.Dispose();
        _reloading.Dispose();
    }

    /// <summary>Retries the subscription and the reload while the feed is down; prunes expired entries.</summary>
    private async Task WatchAsync(CancellationToken stopping)
    {
        var subscribed = false;
        while (!stopping.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                if (!_redis.Connection.IsConnected)
                {
                    MarkDown();
                    continue;
                }

                if (!subscribed)
                {
                    await _redis.Connection.GetSubscriber().SubscribeAsync(Channel, (_, message) => OnMessage(message));
                    subscribed = true;
                }

                if (!_unshared.IsEmpty)
                {
                    await ShareUnsharedAsync();
                }

                if (Interlocked.Read(ref _downSince) != 0)
                {
                    await ReloadAsync();
                }
            }
            catch (Exception e) when (RedisSetup.IsOutage(e))
            {
                MarkDown();
            }
        }
    }

    private void MarkDown() => Interlocked.CompareExchange(ref _downSince, Stopwatch.GetTimestamp(), 0);

    /// <summary>Loads every shared revocation (bounded), then marks the feed current.</summary>
    private async Task ReloadAsync()
    {
        if (!await _reloading.WaitAsync(0))
        {
            return;
        }

        try
        {
            var started = Stopwatch.GetTimestamp();
            var db = _redis.Database;
            var loaded = 0;
            foreach (var server in _redis.Connection.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                var batch = new List<RedisKey>(1000);
                // Every key, always: a reload that stopped early must not count as current.
                await foreach (var key in server.KeysAsync(db.Database, KeyPrefix + "*", pageSize: 1000))
                {
                    batch.Add(key);
                    if (batch.Count == 1000)
                    {
                        loaded += await LoadAsync(db, batch);
                    }
                }

                loaded += await LoadAsync(db, batch);
            }

            _loaded = true;
            // Only a failure after this reload started counts as a new outage; one during it leaves _downSince set.
            var since = Interlocked.Read(ref _downSince);
            if (since != 0 && since <= started)
            {
                Interlocked.CompareExchange(ref _downSince, 0, since);
            }

            LogFeedLoaded(_logger, loaded);
        }
        catch (Exception e) when (RedisSetup.IsOutage(e))
        {
            MarkDown();
            LogFeedDown(_logger, e);
        }
        finally
        {
            _reloading.Release();
        }
    }

    private async Task<int> LoadAsync(IDatabase db, List<RedisKey> keys)
    {
        if (keys.Count == 0)
        {
            return 0;
        }

        var values = await db.StringGetAsync([.. keys]);
        for (var i = 0; i < keys.Count; i++)
        {
            if (values[i].HasValue && TryParseExpiry(values[i].ToString(), out var expiresAt))
            {
                Add(((string)keys[i]!)[KeyPrefix.Length..], expiresAt);
            }
        }

        var count = keys.Count;
        keys.Clear();
        return count;
    }

    private void OnMessage(RedisValue message)
    {
        var text = message.ToString();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && TryParseExpiry(text[(space + 1)..], out var expiresAt))
        {
            Add(text[..space], expiresAt);
        }
    }

    // Anything else in a key or message this app did not write is skipped, never allowed to stop a reload.
    private static bool TryParseExpiry(string text, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > MaxExpiry)
        {
            return false;
        }

        expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    private void Add(string sessionId, DateTimeOffset expiresAt) => _revoked.Add(sessionId, expiresAt);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "A logout was recorded on this replica only (shared when Redis answers again): Redis is unreachable")]
    private static partial void LogNotShared(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "The shared logout feed is down; session token requests are refused after the grace period")]
    private static partial void LogFeedDown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Loaded {Count} shared logouts from Redis")]
    private static partial void LogFeedLoaded(ILogger logger, int count);
}
