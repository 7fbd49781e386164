using AblyAuthServer.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Sessions;

/// <summary>
/// Reads account state at most once per <see cref="SessionsOptions.AccountCheckInterval"/> per account, so that
/// token refreshes cost no database round trip while password changes, removals and disabling still take effect.
/// </summary>
public sealed class AccountStatusCache(IServiceScopeFactory scopes, IOptions<SessionsOptions> options) : IDisposable
{
    /// <summary>What the cache may hold, in estimated bytes.</summary>
    public const long CacheBytesLimit = 8L * 1024 * 1024;

    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = CacheBytesLimit });

    /// <summary>Drops the cached status of <paramref name="userId"/>: the account changed, and the next request reads it anew.</summary>
    public void Forget(string userId) => cache.Remove(userId);

    public async ValueTask<AccountStatus> GetAsync(string userId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(userId, out AccountStatus status))
        {
            return status;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var row = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new { u.SecurityStamp, u.IsDisabled, u.DisplayName })
            .FirstOrDefaultAsync(cancellationToken);
        status = row is null ? new AccountStatus(false, null, false) : new AccountStatus(true, row.SecurityStamp, row.IsDisabled, row.DisplayName);
        if (options.Value.AccountCheckInterval > TimeSpan.Zero)
        {
            cache.Set(userId, status, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = options.Value.AccountCheckInterval,
                Size = 128 + (2L * (userId.Length + (status.SecurityStamp?.Length ?? 0) + (status.DisplayName?.Length ?? 0))),
            });
        }

        return status;
    }

    public void Dispose() => cache.Dispose();
}
