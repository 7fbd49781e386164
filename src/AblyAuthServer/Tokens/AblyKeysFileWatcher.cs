using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>
/// Reads <c>ABLY_KEYS_FILE</c> again every <c>Ably:KeysFileCheckInterval</c>. Polling the content rather than watching
/// for file events, because a mounted secret changes by swapping a symbolic link, which file watchers do not report.
/// </summary>
internal sealed class AblyKeysFileWatcher(AblyKeySource keys, IOptions<AblyOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!keys.FollowsFile)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.KeysFileCheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            keys.ReloadFile();
        }
    }
}
