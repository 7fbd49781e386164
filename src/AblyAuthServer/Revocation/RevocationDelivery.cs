using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.Options;
using Polly;

namespace AblyAuthServer.Revocation;

/// <summary>
/// The outbox worker, in revocable mode only: every <c>Ably:RevocationPollInterval</c> it reads the outbox (one cheap
/// indexed query), claims due rows under a lease and sends each to Ably's <c>revokeTokens</c>, at least once. A failure
/// retrying can fix (a 5xx, 408, 429, timeout or network error) puts the row back with a growing delay; a refusal that
/// retrying cannot fix marks it failed, logs an error and counts it; a row whose tokens have all expired by now is marked
/// expired. It also drops this replica's cached view of every account a new row names, so a client that Ably
/// disconnects and that asks for a new token at once is judged on the account as it is now.
/// </summary>
internal sealed partial class RevocationDelivery(
    RevocationOutbox outbox,
    AblyRestClient ably,
    AblyKeySource keys,
    AblyClock clock,
    AccountStatusCache accounts,
    RevocationStatus status,
    AuthMetrics metrics,
    IOptions<AblyOptions> options,
    TimeProvider time,
    ILogger<RevocationDelivery> logger) : BackgroundService
{
    private const int BatchSize = 10;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);

    // Ably refuses an issuedBefore more than an hour back; a minute less leaves room for the request's flight.
    private static readonly TimeSpan OldestIssuedBefore = TimeSpan.FromHours(1) - TimeSpan.FromMinutes(1);

    private readonly string _owner = Owner();
    private long _lastSeenId = -1;
    private bool _alerting;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Revocable)
        {
            return;
        }

        // Off the host's start path: the first poll waits for nothing else.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var pause = options.Value.RevocationPollInterval;
            try
            {
                if (await RunOnceAsync(stoppingToken) is { } backoff)
                {
                    pause = backoff;
                }
                else if (status.Backlog.AnyDue)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogStoreUnavailable(logger, e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A worker that died would stop the whole server (the host's default); one bad round must not.
                LogRoundFailed(logger, e);
            }

            try
            {
                await Task.Delay(pause, RevocationOutbox.WallClock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One poll: forget changed accounts, expire, read the backlog, deliver what is due. Returns a pause after an outage.</summary>
    internal async Task<TimeSpan?> RunOnceAsync(CancellationToken cancellationToken)
    {
        await ForgetChangedAccountsAsync(cancellationToken);

        var now = time.GetUtcNow();
        foreach (var entry in await outbox.ExpireAsync(now - options.Value.MaxTtl, cancellationToken))
        {
            metrics.RevocationExpired(entry.Reason);
            LogExpired(logger, entry.Id, entry.Reason, entry.UserName, entry.Attempts);
        }

        var backlog = await outbox.BacklogAsync(cancellationToken);
        Observe(backlog, now);
        if (!backlog.AnyDue)
        {
            return null;
        }

        var claimed = await outbox.ClaimAsync(_owner, BatchSize, RevocationOutbox.Lease(options.Value), cancellationToken);
        var attempted = 0;
        try
        {
            while (attempted < claimed.Count)
            {
                if (await DeliverAsync(claimed[attempted++], cancellationToken) is { } outage)
                {
                    // Ably is not answering: the rest wait for the next round rather than each time out in turn.
                    status.Backlog = backlog with { AnyDue = false };
                    return outage;
                }
            }

            return null;
        }
        finally
        {
            // Unattempted rows go back at once (also when stopping), so no lease holds them up.
            foreach (var rest in claimed.Skip(attempted))
            {
                await outbox.ReleaseAsync(rest, _owner, CancellationToken.None);
            }
        }
    }

    private async Task ForgetChangedAccountsAsync(CancellationToken cancellationToken)
    {
        if (_lastSeenId < 0)
        {
            _lastSeenId = await outbox.LastIdAsync(cancellationToken);
            return;
        }

        var (lastId, userIds) = await outbox.WrittenSinceAsync(_lastSeenId, cancellationToken);
        foreach (var userId in userIds)
        {
            accounts.Forget(userId);
        }

        _lastSeenId = lastId;
    }

    private void Observe(RevocationBacklog backlog, DateTimeOffset now)
    {
        status.Backlog = backlog;
        var age = backlog.OldestAge(now);
        status.OldestPendingAge = age;
        metrics.RevocationBacklog(backlog.Pending, age);
        var alerting = age > options.Value.RevocationAlertAfter;
        if (alerting && !_alerting)
        {
            LogBacklogAlert(logger, backlog.Pending, (long)age.TotalSeconds, (long)options.Value.RevocationAlertAfter.TotalSeconds);
        }
        else if (!alerting && _alerting)
        {
            LogBacklogCleared(logger);
        }

        _alerting = alerting;
    }

    /// <summary>Sends one row; returns a pause when Ably could not be reached or answered with a transient error.</summary>
    private async Task<TimeSpan?> DeliverAsync(RevocationEntry entry, CancellationToken cancellationToken)
    {
        var ring = keys.Current;
        if (RevocationTargets.ParseTargets(entry.Targets, ring.Signing) is not { Count: > 0 } targetsByKey || targetsByKey.Values.All(t => t.Count == 0))
        {
            await outbox.CompleteAsync(entry, _owner, RevocationState.Failed, "The row has no readable targets", CancellationToken.None);
            LogUnreadable(logger, entry.Id, entry.Reason, entry.UserName);
            return null;
        }

        var issuedBefore = IssuedBefore(entry.CausedAt);
        try
        {
            var failures = new List<RevocationTargetResult>();
            var sent = 0;
            foreach (var (keyName, targets) in targetsByKey)
            {
                // A key removed since the cause: the rotation runbook waits one maximum TTL before removing a key, so
                // its tokens have expired, and without its secret there is no way to ask anyway.
                if (ring.Find(keyName) is not { } key)
                {
                    LogKeyGone(logger, entry.Id, keyName);
                    continue;
                }

                foreach (var chunk in targets.Chunk(AblyRestClient.MaxTargets))
                {
                    var result = await ably.RevokeTokensAsync(key, chunk, issuedBefore, cancellationToken);
                    failures.AddRange(result.Failures);
                    sent += chunk.Length;
                }
            }

            if (failures.Count == 0)
            {
                await outbox.CompleteAsync(entry, _owner, RevocationState.Delivered, null, CancellationToken.None);
                metrics.RevocationDelivered(entry.Reason);
                LogDelivered(logger, entry.Id, entry.Reason, entry.UserName, sent, issuedBefore, entry.Attempts);
                return null;
            }

            foreach (var failure in failures)
            {
                metrics.AblyRestError("revokeTokens", failure.Error!.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var first = failures[0].Error!;
            var description = string.Join("; ", failures.Select(f => $"{f.Target}: {f.Error}"));
            return failures.All(f => f.Error!.IsPermanent)
                ? await FailAsync(entry, first, description)
                : await RetryAsync(entry, description, cancellationToken);
        }
        catch (AblyRestException e)
        {
            metrics.AblyRestError("revokeTokens", e.Error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return e.Error.IsPermanent
                ? await FailAsync(entry, e.Error, e.Error.ToString())
                : await RetryAsync(entry, e.Error.ToString(), cancellationToken);
        }
        catch (Exception e) when (IsTransport(e, cancellationToken))
        {
            metrics.AblyRestError("revokeTokens", e is ExecutionRejectedException or OperationCanceledException ? "timeout" : "unreachable");
            return await RetryAsync(entry, $"{e.GetType().Name}: {e.Message}", cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the row goes back as it was; another replica or the next start sends it.
            await outbox.ReleaseAsync(entry, _owner, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// The cause's time on Ably's clock, never in the future (Ably refuses it) nor more than an hour back: a row that old
    /// would be expired unless Ably:MaxTtl allows tokens that long, and then a later cutoff revokes a superset.
    /// </summary>
    private long IssuedBefore(long causedAt)
    {
        var ablyNow = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var cause = causedAt + (long)clock.Offset.TotalMilliseconds;
        return Math.Clamp(cause, ablyNow - (long)OldestIssuedBefore.TotalMilliseconds, ablyNow);
    }

    private async Task<TimeSpan?> FailAsync(RevocationEntry entry, AblyErrorInfo error, string description)
    {
        await outbox.CompleteAsync(entry, _owner, RevocationState.Failed, description, CancellationToken.None);
        metrics.RevocationFailed(entry.Reason, error.Code);
        LogFailed(logger, entry.Id, entry.Reason, entry.UserName, error.Code, error.StatusCode, error.Message);
        return null;
    }

    private async Task<TimeSpan?> RetryAsync(RevocationEntry entry, string description, CancellationToken cancellationToken)
    {
        var delay = Backoff(entry.Attempts);
        await outbox.RetryLaterAsync(entry, _owner, delay, description, CancellationToken.None);
        LogRetrying(logger, entry.Id, entry.Reason, entry.UserName, entry.Attempts, (long)delay.TotalMilliseconds, description);
        cancellationToken.ThrowIfCancellationRequested();
        return delay;
    }

    // Names this worker in the lease column: which host and process hold a row, for an operator reading the table.
    private static string Owner()
    {
        var owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        return owner.Length <= RevocationEntry.MaxOwnerLength ? owner : owner[^RevocationEntry.MaxOwnerLength..];
    }

    /// <summary>1 s, 2 s, 4 s … up to a minute, each a fifth more or less, so replicas do not retry in step.</summary>
    internal static TimeSpan Backoff(int attempts)
    {
        var exponential = TimeSpan.FromSeconds(Math.Pow(2, Math.Clamp(attempts - 1, 0, 10)));
        var capped = exponential < MaxBackoff ? exponential : MaxBackoff;
        return capped * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }

    private static bool IsTransport(Exception e, CancellationToken stopping) =>
        e is HttpRequestException or ExecutionRejectedException or TimeoutException
        || (e is OperationCanceledException && !stopping.IsCancellationRequested);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information,
        Message = "Revoked the tokens of {UserName} ({Reason}, outbox row {EntryId}): {TargetCount} target(s) issued before {IssuedBefore}, attempt {Attempts}")]
    private static partial void LogDelivered(ILogger logger, long entryId, string reason, string userName, int targetCount, long issuedBefore, int attempts);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "Revocation of {UserName}'s tokens ({Reason}, outbox row {EntryId}) did not reach Ably on attempt {Attempts}; retried in {DelayMs} ms: {Error}")]
    private static partial void LogRetrying(ILogger logger, long entryId, string reason, string userName, int attempts, long delayMs, string error);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error,
        Message = "Ably refused to revoke {UserName}'s tokens ({Reason}, outbox row {EntryId}): {Code} ({StatusCode}) {AblyMessage}. Kept as Failed; retrying cannot fix this (is 'revocable tokens' enabled on the key?)")]
    private static partial void LogFailed(ILogger logger, long entryId, string reason, string userName, int code, int statusCode, string ablyMessage);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning,
        Message = "Revocation of {UserName}'s tokens ({Reason}, outbox row {EntryId}) expired after {Attempts} attempt(s): every token it covered has expired by now")]
    private static partial void LogExpired(ILogger logger, long entryId, string reason, string userName, int attempts);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning,
        Message = "{Pending} revocation(s) pending; the oldest has waited {AgeSeconds} s, over Ably:RevocationAlertAfter ({AlertSeconds} s): /readyz reports Degraded")]
    private static partial void LogBacklogAlert(ILogger logger, int pending, long ageSeconds, long alertSeconds);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Information, Message = "The revocation backlog is back under Ably:RevocationAlertAfter")]
    private static partial void LogBacklogCleared(ILogger logger);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Warning, Message = "The revocation outbox could not be read; retried shortly")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Error, Message = "A round of revocation delivery failed; the next poll tries again")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Error,
        Message = "Outbox row {EntryId} ({Reason} of {UserName}) has no readable targets; kept as Failed")]
    private static partial void LogUnreadable(ILogger logger, long entryId, string reason, string userName);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Warning,
        Message = "Outbox row {EntryId} names the Ably key {KeyName}, which is no longer configured; its part is skipped (a key is removed one maximum TTL after it stopped signing, so its tokens have expired)")]
    private static partial void LogKeyGone(ILogger logger, long entryId, string keyName);
}
