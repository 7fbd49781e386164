using System.Data.Common;
using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Accounts;

/// <summary>Creates or upgrades the account schema before the server accepts requests (and before CLI commands).</summary>
internal sealed class AccountsDatabaseMigrator(IServiceScopeFactory scopes, IOptions<AccountsOptions> options, ILogger<AccountsDatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await MigrateAsync(scopes, cancellationToken);
        if (options.Value.SeedDemoUser)
        {
            await SeedDemoUserAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task MigrateAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            AccountStore.PrepareDatabase(scope.ServiceProvider.GetRequiredService<IOptions<AccountsOptions>>().Value);
            await using var db = AccountStore.CreateMigrationContext(scope.ServiceProvider);
            await AccountStore.MigrateAsync(db, cancellationToken);
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException)
        {
            // One line for the operator instead of a crash; database messages name no password.
            throw new StartupConfigurationException(
                $"Accounts:ConnectionString (ACCOUNTS__CONNECTIONSTRING): the account store cannot be opened or migrated: {e.Message}");
        }
    }

    private async Task SeedDemoUserAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountAdministration>();
        if (await accounts.AddAsync(AccountsOptions.DemoUserName, AccountsOptions.DemoPassword, ["member"], clientId: null) is null)
        {
            logger.LogWarning("Created the demo account '{UserName}' (Accounts:SeedDemoUser); never enable this outside Development.", AccountsOptions.DemoUserName);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
