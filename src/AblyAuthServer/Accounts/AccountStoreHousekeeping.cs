using AblyAuthServer.Sessions;
using AblyAuthServer.Throttling;






namespace AblyAuthServer.Accounts;

/// <summary>
/// Deletes rows nothing will read again: ended sessions past their expiry, and failure counts that are quiet and not
/// locked. Every replica may do it; the deletes are idempotent.
/// </summary>
internal sealed partial class AccountStoreHousekeeping(
    IServiceScopeFactory scopes, EndedSessionStore endedSessions, ILogger<AccountStoreHousekeeping> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

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
