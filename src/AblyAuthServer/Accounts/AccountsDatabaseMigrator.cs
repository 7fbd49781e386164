using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        EnsureSqliteDirectory(db.Database.GetConnectionString());
        await db.Database.MigrateAsync(cancellationToken);
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

    private static void EnsureSqliteDirectory(string? connectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }
}
