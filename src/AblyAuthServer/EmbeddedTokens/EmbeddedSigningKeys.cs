using System.Data.Common;
using System.Security.Cryptography;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// This replica's copy of the signing keys. Every replica reloads the keys from the account store every
/// <c>EmbeddedTokens:KeyRefreshInterval</c> (<see cref="EmbeddedSigningKeysRefresher"/>) and when it has no key to sign with,
/// creates the next key when the <see cref="SigningKeySchedule"/> says so, and deletes keys that are no longer published.
/// Replicas that race to create a key agree on one: the generation is unique in the store, so the slower insert fails
/// and its replica reloads the winner. Signing and publishing read memory only.
/// </summary>
public sealed partial class EmbeddedSigningKeys : IDisposable
{
    // A miss that persists (an unreadable key, a store that is down) must not turn every request into a reload.
    private static readonly TimeSpan MissRetryInterval = TimeSpan.FromSeconds(5);

    private readonly SigningKeyStore _store;
    private readonly SigningKeySchedule _schedule;
    private readonly TimeProvider _time;
    private readonly ILogger<EmbeddedSigningKeys> _logger;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile IReadOnlyList<SigningKey>? _keys;
    private long _refreshes;
    private long _lastAttemptTicks;

    public EmbeddedSigningKeys(
        SigningKeyStore store, IOptions<EmbeddedTokensOptions> options, IOptions<AblyOptions> ably, TimeProvider time, ILogger<EmbeddedSigningKeys> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        var embedded = options.Value;
        _schedule = new SigningKeySchedule(embedded.KeyLifetime, embedded.KeyPrepublication, ably.Value.MaxTtl + SigningKeySchedule.VerifierClockSkew);
    }

    /// <summary>The key that signs now, with its private half; null when there is none this replica can use.</summary>
    public async ValueTask<SigningKey?> SignerAsync(CancellationToken cancellationToken)
    {
        if (Signer() is { Credentials: not null } signer)
        {
            return signer;
        }

        await RefreshOnMissAsync(cancellationToken);
        return Signer() is { Credentials: not null } reloaded ? reloaded : null;
    }

    /// <summary>The keys published now, the latest to activate first; null when the keys could not be loaded yet.</summary>
    public async ValueTask<IReadOnlyList<SigningKey>?> PublishedAsync(CancellationToken cancellationToken)
    {
        if (_keys is null)
        {
            await RefreshOnMissAsync(cancellationToken);
        }

        if (_keys is not { } keys)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        return [.. keys.Where(k => _schedule.IsPublished(k, keys, now)).OrderByDescending(k => k, SigningKey.SigningOrder)];
    }

    /// <summary>
    /// Reloads the keys from the store, creating the next key when due and deleting keys no longer published. A store
    /// that cannot be reached leaves the keys in memory as they were (logged); cancellation is the caller's.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            await RefreshHeldAsync(cancellationToken);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void Dispose() => _refreshing.Dispose();

    private SigningKey? Signer() => _keys is { } keys ? SigningKeySchedule.Signer(keys, _time.GetUtcNow()) : null;

    // Requests that miss together share one reload instead of queueing one each.
    private async Task RefreshOnMissAsync(CancellationToken cancellationToken)
    {
        if (_time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastAttemptTicks) < MissRetryInterval.Ticks)
        {
            return;
        }

        var seen = Interlocked.Read(ref _refreshes);
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (Interlocked.Read(ref _refreshes) == seen)
            {
                await RefreshHeldAsync(cancellationToken);
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task RefreshHeldAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _refreshes);
        Interlocked.Exchange(ref _lastAttemptTicks, _time.GetUtcNow().UtcTicks);
        try
        {
            var rows = await _store.LoadAsync(cancellationToken);
            var now = _time.GetUtcNow();
            if (_schedule.Next([.. rows.Select(SigningKeyStore.PublicPart)], now) is { } next)
            {
                var (generation, activatesAt) = next;
                var created = _store.Create(generation, now, activatesAt);
                if (await _store.TryAddAsync(created, cancellationToken))
                {
                    LogCreated(_logger, created.Id, generation, activatesAt);
                }

                rows = await _store.LoadAsync(cancellationToken);
            }

            var all = rows.Select(SigningKeyStore.PublicPart).ToList();
            var expired = all.Where(k => !_schedule.IsPublished(k, all, now)).Select(k => k.Id).ToList();
            if (expired.Count > 0)
            {
                await _store.DeleteAsync(expired, cancellationToken);
                LogDeleted(_logger, expired.Count);
            }

            _keys = [.. rows.Where(r => !expired.Contains(r.Id)).Select(r => WithPrivateKeyIfSigning(r, all, now))];
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            LogUnavailable(_logger, e);
        }
    }

    // Only a key that signs now or later needs its private half; one unprotected before is reused, not read again.
    private SigningKey WithPrivateKeyIfSigning(EmbeddedSigningKey row, IReadOnlyList<SigningKey> all, DateTimeOffset now)
    {
        var key = SigningKeyStore.PublicPart(row);
        if (SigningKeySchedule.RetiresAt(key, all) <= now)
        {
            return key;
        }

        if (_keys?.FirstOrDefault(k => k.Id == row.Id && k.Credentials is not null) is { } held)
        {
            return held;
        }

        try
        {
            return _store.WithPrivateKey(row);
        }
        catch (CryptographicException e)
        {
            LogUnreadable(_logger, row.Id, e.GetType().Name);
            return key;
        }
    }

    [LoggerMessage(EventId = 6000, Level = LogLevel.Information,
        Message = "Created embedded-token signing key {KeyId} (generation {Generation}); it signs from {ActivatesAt:O}")]
    private static partial void LogCreated(ILogger logger, string keyId, long generation, DateTimeOffset activatesAt);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Deleted {Count} embedded-token signing keys whose tokens have all expired")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning,
        Message = "The embedded-token signing keys could not be loaded from the account store; the keys in memory stay in use and loading is retried")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error,
        Message = "The private half of embedded-token signing key {KeyId} cannot be read ({Reason}): this replica's data protection key ring is not the one that protected it")]
    private static partial void LogUnreadable(ILogger logger, string keyId, string reason);
}
