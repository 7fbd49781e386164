using AblyAuthServer.Revocation;
using AblyAuthServer.Sessions;
using AblyAuthServer.Throttling;
using Microsoft.EntityFrameworkCore;

namespace AblyAuthServer.Accounts;

/// <summary>
/// Deletes rows nothing will read again: ended sessions past their expiry, failure counts that are quiet and not
/// locked, and revocations delivered or expired a week ago (failed ones stay for the operator). Every replica may do
/// it; the deletes are idempotent.
/// </summary>
internal sealed partial class AccountStoreHousekeeping(
    IServiceScopeFactory scopes, EndedSessionStore endedSessions, ILogger<AccountStoreHousekeeping> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan CompletedRevocationsKept = TimeSpan.FromDays(7);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await endedSessions.PruneAsync(stoppingToken);
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<AccountLockout>().PruneAsync(stoppingToken);
                    var completedBefore = (RevocationOutbox.WallClock.GetUtcNow() - CompletedRevocationsKept).ToUnixTimeMilliseconds();
                    await scope.ServiceProvider.GetRequiredService<AccountsDbContext>().RevocationOutbox
                        .Where(e => (e.State == RevocationState.Delivered || e.State == RevocationState.Expired) && e.CompletedAt < completedBefore)
                        .ExecuteDeleteAsync(stoppingToken);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
                {
                    LogFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Expired rows could not be deleted from the account store; retried later")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
