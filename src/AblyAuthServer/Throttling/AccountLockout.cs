using AblyAuthServer.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Throttling;

/// <summary>
/// Counts failed password checks per user name in the account store and locks the name out after
/// <see cref="AccountsOptions.MaxFailedAccessAttempts"/> of them. Names with and without an account share this one
/// lifecycle and the same database work per failure, so neither lockout nor timing tells which names exist. A count
/// is forgotten after <see cref="AccountsOptions.FailureWindow"/> without failures. Each failure is one atomic upsert,
/// so concurrent failures on any number of replicas all count.
/// </summary>
public sealed class AccountLockout(AccountsDbContext db, IOptions<AccountsOptions> options, TimeProvider time)
{
    /// <summary>How long the name stays locked out, or null when it is not.</summary>
    public async Task<TimeSpan?> LockedOutForAsync(string normalizedUserName, CancellationToken cancellationToken)
    {
        var lockedUntil = await db.LoginFailures.AsNoTracking()
            .Where(f => f.NormalizedUserName == Key(normalizedUserName))
            .Select(f => f.LockedUntil)
            .FirstOrDefaultAsync(cancellationToken);
        return Remaining(lockedUntil);
    }

    /// <summary>Records one failure; returns the lockout when this failure starts one.</summary>
    public async Task<TimeSpan?> RecordFailureAsync(string normalizedUserName, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var forgetBefore = now - (long)settings.FailureWindow.TotalMilliseconds;
        var lockUntil = now + (long)settings.LockoutDuration.TotalMilliseconds;
        var max = settings.MaxFailedAccessAttempts;
        var name = Key(normalizedUserName);
        long? firstLock = max <= 1 ? lockUntil : null;
        var firstFailures = max <= 1 ? 0 : 1;

        // One statement on both providers: the count, its reset after a quiet period and the lockout are decided in the
        // database, so two replicas failing at once cannot both read 4 and write 5.
        var lockedUntil = await db.Database.SqlQuery<long?>($"""
            INSERT INTO "LoginFailures" ("NormalizedUserName", "Failures", "LastFailureAt", "LockedUntil")
            VALUES ({name}, {firstFailures}, {now}, {firstLock})
            ON CONFLICT ("NormalizedUserName") DO UPDATE SET
                "Failures" = CASE
                    WHEN (CASE WHEN "LoginFailures"."LastFailureAt" <= {forgetBefore} THEN 1 ELSE "LoginFailures"."Failures" + 1 END) >= {max} THEN 0
                    ELSE (CASE WHEN "LoginFailures"."LastFailureAt" <= {forgetBefore} THEN 1 ELSE "LoginFailures"."Failures" + 1 END) END,
                "LockedUntil" = CASE
                    WHEN (CASE WHEN "LoginFailures"."LastFailureAt" <= {forgetBefore} THEN 1 ELSE "LoginFailures"."Failures" + 1 END) >= {max} THEN {lockUntil}
                    ELSE "LoginFailures"."LockedUntil" END,
                "LastFailureAt" = {now}
            RETURNING "LockedUntil" AS "Value"
            """).ToListAsync(cancellationToken);
        return lockedUntil.Count == 1 ? Remaining(lockedUntil[0]) : null;
    }

    /// <summary>Forgets the name's failures and any lockout (after a success, or when an operator sets a new password).</summary>
    public Task ClearAsync(string normalizedUserName, CancellationToken cancellationToken) =>
        db.LoginFailures.Where(f => f.NormalizedUserName == Key(normalizedUserName)).ExecuteDeleteAsync(cancellationToken);

    /// <summary>Which of <paramref name="normalizedUserNames"/> are locked out now.</summary>
    public async Task<HashSet<string>> LockedOutAsync(IReadOnlyCollection<string> normalizedUserNames, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var names = normalizedUserNames.Select(Key).ToList();
        var locked = await db.LoginFailures.AsNoTracking()
            .Where(f => names.Contains(f.NormalizedUserName) && f.LockedUntil > now)
            .Select(f => f.NormalizedUserName)
            .ToListAsync(cancellationToken);
        return [.. locked];
    }

    /// <summary>Deletes counts that nothing will read again: quiet for a whole window and not locked.</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var forgetBefore = now - (long)options.Value.FailureWindow.TotalMilliseconds;
        return db.LoginFailures
            .Where(f => f.LastFailureAt <= forgetBefore && (f.LockedUntil == null || f.LockedUntil <= now))
            .ExecuteDeleteAsync(cancellationToken);
    }

    private TimeSpan? Remaining(long? lockedUntil)
    {
        if (lockedUntil is not { } until)
        {
            return null;
        }

        var left = TimeSpan.FromMilliseconds(until - time.GetUtcNow().ToUnixTimeMilliseconds());
        return left > TimeSpan.Zero ? left : null;
    }

    // Login caps names at 256 characters; the CLI may pass longer ones, which cannot have failures of their own.
    private static string Key(string normalizedUserName) =>
        normalizedUserName.Length <= LoginFailure.MaxNameLength ? normalizedUserName : normalizedUserName[..LoginFailure.MaxNameLength];
}
