namespace AblyAuthServer.Sessions;

/// <summary>
/// Loads the durable logout list before the server takes requests, and retries until it has. Until the load succeeds the list is not current: session tokens are refused (503) and /readyz says
/// not ready, rather than accept a session that was logged out before a restart.
/// </summary>
internal sealed partial class LogoutListLoader(
    InMemoryRevokedSessions revoked, EndedSessionStore store, ILogger<LogoutListLoader> logger) : BackgroundService
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryLoadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!revoked.IsUpToDate)
            {
                await Task.Delay(RetryInterval, stoppingToken);
                await TryLoadAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TryLoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var ended = await store.LoadAsync(cancellationToken);
            revoked.Load(ended);
            LogLoaded(logger, ended.Count);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            LogLoadFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Loaded {Count} ended sessions from the account store")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "The logout list cannot be loaded from the account store; session tokens are refused until it can")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);
}
