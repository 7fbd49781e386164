using AblyAuthServer.Accounts;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Sessions;

/// <summary>
/// The logout list's durable copy, in the account store: written by every logout, read once at startup, so a restart
/// does not bring logged-out sessions back. Rows go once their session would have expired anyway. Token requests never
/// read it; they check the in-memory list it fills. In revocable mode the logout's outbox row (which revokes the
/// session's Ably tokens) is written in the same transaction: both are stored, or neither.
/// </summary>
public sealed class EndedSessionStore(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task RecordAsync(string sessionId, DateTimeOffset expiresAt, RevocationEntry? tellAbly, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var expires = expiresAt.ToUnixTimeMilliseconds();
        await using var transaction = tellAbly is null ? null : await db.Database.BeginTransactionAsync(cancellationToken);

        // Idempotent: two logouts of one session racing on two replicas both succeed, and only the first tells Ably.
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "EndedSessions" ("SessionId", "ExpiresAt") VALUES ({sessionId}, {expires})
            ON CONFLICT ("SessionId") DO NOTHING
            """, cancellationToken);
        if (transaction is not null)
        {
            if (inserted == 1)
            {
                db.RevocationOutbox.Add(tellAbly!);
                await db.SaveChangesAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>Every session ended before its expiry that has not expired yet.</summary>
    public async Task<List<(string SessionId, DateTimeOffset ExpiresAt)>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var rows = await db.EndedSessions.AsNoTracking().Where(s => s.ExpiresAt > now).ToListAsync(cancellationToken);
        return [.. rows.Select(s => (s.SessionId, DateTimeOffset.FromUnixTimeMilliseconds(s.ExpiresAt)))];
    }

    /// <summary>Deletes the rows of sessions that have expired since they were ended.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.EndedSessions.Where(s => s.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }
}
