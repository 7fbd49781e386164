using AblyAuthServer.Accounts;
using AblyAuthServer.Tokens;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Revocation;

/// <summary>
/// The outbox table's queries for the worker: the poll, claiming, and recording what happened. A claim is a lease: one
/// atomic <c>UPDATE … RETURNING</c> that takes due rows whose lease is free and stamps this worker's name and an expiry
/// on them. SQLite has one writer at a time; on PostgreSQL the rows are locked with <c>FOR UPDATE SKIP LOCKED</c>, so
/// a second replica claims other rows instead. Every later write names the lease owner, so a worker whose lease ran
/// out cannot record over another's.
/// </summary>
public sealed class RevocationOutbox(IServiceScopeFactory scopes)
{
    /// <summary>
    /// Backoff, leases and the hold-back are durations of real time, as outages and request timeouts are; the app's
    /// clock (<see cref="TimeProvider"/>) dates the causes, since tokens are dated on it.
    /// </summary>
    public static readonly TimeProvider WallClock = TimeProvider.System;

    /// <summary>Longer than any one delivery can take (the HTTP client gives up after three attempts of Ably:RestTimeout).</summary>
    public static TimeSpan Lease(AblyOptions options) => TimeSpan.FromSeconds(30) + (options.RestTimeout * 4);

    /// <summary>How long a new entry waits: two polls, so every replica has seen it (and dropped its cached account status).</summary>
    public static TimeSpan SettleDelay(AblyOptions options) => options.RevocationPollInterval * 2;

    /// <summary>The pending rows: how many, the oldest cause, and whether one is due.</summary>
    public async Task<RevocationBacklog> BacklogAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var now = WallClock.GetUtcNow().ToUnixTimeMilliseconds();
        var pending = await db.RevocationOutbox.AsNoTracking()
            .Where(e => e.State == RevocationState.Pending)
            .GroupBy(_ => 1)
            .Select(g => new { Count = g.Count(), Oldest = g.Min(e => e.CausedAt), Due = g.Count(e => e.NextAttemptAt <= now && (e.LeaseUntil == null || e.LeaseUntil < now)) })
            .FirstOrDefaultAsync(cancellationToken);
        return pending is null ? RevocationBacklog.Empty : new RevocationBacklog(pending.Count, pending.Oldest, pending.Due > 0);
    }

    /// <summary>Rows written after <paramref name="afterId"/>: the accounts they name, and the new high-water mark.</summary>
    public async Task<(long LastId, IReadOnlyList<string> UserIds)> WrittenSinceAsync(long afterId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var rows = await db.RevocationOutbox.AsNoTracking()
            .Where(e => e.Id > afterId)
            .OrderBy(e => e.Id)
            .Select(e => new { e.Id, e.UserId })
            .Take(1000)
            .ToListAsync(cancellationToken);
        return rows.Count == 0 ? (afterId, []) : (rows[^1].Id, [.. rows.Select(r => r.UserId).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>The highest id so far (0 for none): rows up to it need no cache invalidation by a worker that starts now.</summary>
    public async Task<long> LastIdAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        return await db.RevocationOutbox.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
    }

    /// <summary>Marks pending rows caused before <paramref name="causedBefore"/> (app clock) expired; returns them.</summary>
    public async Task<IReadOnlyList<RevocationEntry>> ExpireAsync(DateTimeOffset causedBefore, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var cutoff = causedBefore.ToUnixTimeMilliseconds();
        var now = WallClock.GetUtcNow().ToUnixTimeMilliseconds();
        var candidates = await db.RevocationOutbox.AsNoTracking()
            .Where(e => e.State == RevocationState.Pending && e.CausedAt < cutoff && (e.LeaseUntil == null || e.LeaseUntil < now))
            .OrderBy(e => e.Id)
            .Take(100)
            .ToListAsync(cancellationToken);
        var expired = new List<RevocationEntry>(candidates.Count);
        foreach (var entry in candidates)
        {
            // Per row and conditional, so a row another replica claimed meanwhile is left to it, and each is counted once.
            var changed = await db.RevocationOutbox
                .Where(e => e.Id == entry.Id && e.State == RevocationState.Pending && (e.LeaseUntil == null || e.LeaseUntil < now))
                .ExecuteUpdateAsync(set => set.SetProperty(e => e.State, RevocationState.Expired).SetProperty(e => e.CompletedAt, now), cancellationToken);
            if (changed == 1)
            {
                expired.Add(entry);
            }
        }

        return expired;
    }

    /// <summary>Claims up to <paramref name="count"/> due rows for <paramref name="owner"/>, oldest first, counting the attempt.</summary>
    public async Task<IReadOnlyList<RevocationEntry>> ClaimAsync(string owner, int count, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var now = WallClock.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)lease.TotalMilliseconds;
        var pending = nameof(RevocationState.Pending);
        // PostgreSQL: FOR UPDATE SKIP LOCKED lets a replica pass over rows another replica is claiming instead of waiting
        // for them. The lease condition is in the outer WHERE too, which PostgreSQL re-checks on a row it waited for.
        var claims = db.Database.IsNpgsql()
            ? db.RevocationOutbox.FromSql($"""
                UPDATE "RevocationOutbox"
                SET "LeaseOwner" = {owner}, "LeaseUntil" = {until}, "Attempts" = "Attempts" + 1
                WHERE "Id" IN (
                    SELECT "Id" FROM "RevocationOutbox"
                    WHERE "State" = {pending} AND "NextAttemptAt" <= {now} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                    ORDER BY "Id"
                    LIMIT {count}
                    FOR UPDATE SKIP LOCKED)
                AND "State" = {pending} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                RETURNING *
                """)
            : db.RevocationOutbox.FromSql($"""
                UPDATE "RevocationOutbox"
                SET "LeaseOwner" = {owner}, "LeaseUntil" = {until}, "Attempts" = "Attempts" + 1
                WHERE "Id" IN (
                    SELECT "Id" FROM "RevocationOutbox"
                    WHERE "State" = {pending} AND "NextAttemptAt" <= {now} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                    ORDER BY "Id"
                    LIMIT {count})
                AND "State" = {pending} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                RETURNING *
                """);
        return await claims.AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>Delivered, expired or failed: done for good.</summary>
    public Task<bool> CompleteAsync(RevocationEntry entry, string owner, RevocationState state, string? error, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(entry, owner, set => set
            .SetProperty(e => e.State, state)
            .SetProperty(e => e.CompletedAt, WallClock.GetUtcNow().ToUnixTimeMilliseconds())
            .SetProperty(e => e.LastError, Truncate(error))
            .SetProperty(e => e.LeaseOwner, (string?)null)
            .SetProperty(e => e.LeaseUntil, (long?)null), cancellationToken);

    /// <summary>Not this time: free the lease and try again after <paramref name="delay"/>.</summary>
    public Task<bool> RetryLaterAsync(RevocationEntry entry, string owner, TimeSpan delay, string error, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(entry, owner, set => set
            .SetProperty(e => e.NextAttemptAt, (WallClock.GetUtcNow() + delay).ToUnixTimeMilliseconds())
            .SetProperty(e => e.LastError, Truncate(error))
            .SetProperty(e => e.LeaseOwner, (string?)null)
            .SetProperty(e => e.LeaseUntil, (long?)null), cancellationToken);

    /// <summary>Claimed but not attempted (the worker stopped early): free it, uncounted, due at once.</summary>
    public Task<bool> ReleaseAsync(RevocationEntry entry, string owner, CancellationToken cancellationToken) =>
        UpdateOwnedAsync(entry, owner, set => set
            .SetProperty(e => e.Attempts, e => e.Attempts - 1)
            .SetProperty(e => e.LeaseOwner, (string?)null)
            .SetProperty(e => e.LeaseUntil, (long?)null), cancellationToken);

    private async Task<bool> UpdateOwnedAsync(
        RevocationEntry entry,
        string owner,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<RevocationEntry>> setters,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var changed = await db.RevocationOutbox
            .Where(e => e.Id == entry.Id && e.LeaseOwner == owner && e.State == RevocationState.Pending)
            .ExecuteUpdateAsync(setters, cancellationToken);
        return changed == 1;
    }

    private static string? Truncate(string? error) =>
        error is { Length: > RevocationEntry.MaxErrorLength } ? error[..RevocationEntry.MaxErrorLength] : error;
}
