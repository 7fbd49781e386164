using Microsoft.Extensions.Options;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// Loads the signing keys before the server takes requests (creating the first key on a new store), then reloads them
/// every <c>EmbeddedTokens:KeyRefreshInterval</c>, which is also when the next key is created once due. Nothing runs
/// while the feature is off. The interval is shorter than <c>EmbeddedTokens:KeyPrepublication</c>, so every replica
/// holds a new key before it signs.
/// </summary>
internal sealed class EmbeddedSigningKeysRefresher(EmbeddedSigningKeys keys, IOptions<EmbeddedTokensOptions> options, TimeProvider time) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.IsEnabled)
        {
            await keys.RefreshAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsEnabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.KeyRefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await keys.RefreshAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
