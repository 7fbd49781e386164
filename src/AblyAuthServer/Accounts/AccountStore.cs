using AblyAuthServer.Redis;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AblyAuthServer.Accounts;

/// <summary>
/// Everything that depends on <c>Accounts:Provider</c>, in one place: the EF Core provider and its context, connection
/// string checks, preparing the database, and where data protection keys live.
/// </summary>
public static class AccountStore
{
    internal const string ProviderError = "Accounts:Provider (ACCOUNTS__PROVIDER) must be Sqlite or Postgres.";

    internal const string SqliteConnectionStringError =
        "Accounts:ConnectionString (ACCOUNTS__CONNECTIONSTRING or ACCOUNTS__CONNECTIONSTRING_FILE) is not a valid SQLite connection string with a Data Source.";

    internal const string PostgresConnectionStringError =
        "Accounts:ConnectionString (ACCOUNTS__CONNECTIONSTRING or ACCOUNTS__CONNECTIONSTRING_FILE) is not a valid PostgreSQL connection string with a Host and a Database (Host=…;Database=…;Username=…;Password=…).";

    /// <summary>
    /// Registers both provider-specific contexts and resolves <see cref="AccountsDbContext"/> to the configured one;
    /// only that one is ever created.
    /// </summary>
    internal static IServiceCollection AddAccountStore(this IServiceCollection services)
    {
        services.AddDbContext<SqliteAccountsDbContext>((provider, db) => db.UseSqlite(Options(provider).ConnectionString));
        services.AddDbContext<PostgresAccountsDbContext>((provider, db) => db.UseNpgsql(Options(provider).ConnectionString));
        services.AddScoped<AccountsDbContext>(provider => Options(provider).Provider switch
        {
            AccountStoreProvider.Postgres => provider.GetRequiredService<PostgresAccountsDbContext>(),
            _ => provider.GetRequiredService<SqliteAccountsDbContext>(),
        });
        return services;
    }

    /// <summary>True when <c>Accounts:Provider</c> names a known provider (checked before binding, which would throw).</summary>
    internal static bool IsKnownProvider(string? value) =>
        value is null || Enum.GetNames<AccountStoreProvider>().Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);

    internal static bool IsValidSqlite(string connectionString)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(new SqliteConnectionStringBuilder(connectionString).DataSource);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal static bool IsValidPostgres(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return !string.IsNullOrWhiteSpace(builder.Host) && !string.IsNullOrWhiteSpace(builder.Database);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whatever must exist before migrating: for SQLite, the database file's folder. PostgreSQL's EF provider creates the database itself.</summary>
    internal static void PrepareDatabase(AccountsOptions options)
    {
        if (options.Provider != AccountStoreProvider.Sqlite)
        {
            return;
        }

        var directory = Path.GetDirectoryName(SqliteDatabasePath(options));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>
    /// A context for migrating only. On a new PostgreSQL database EF probes for the database and its history table and
    /// logs those expected failures as errors (on the CLI's output too); here they are not logged. A real failure still throws.
    /// </summary>
    internal static AccountsDbContext CreateMigrationContext(IServiceProvider services) => Options(services).Provider switch
    {
        AccountStoreProvider.Postgres => new PostgresAccountsDbContext(Quiet(services.GetRequiredService<DbContextOptions<PostgresAccountsDbContext>>())),
        _ => new SqliteAccountsDbContext(Quiet(services.GetRequiredService<DbContextOptions<SqliteAccountsDbContext>>())),
    };

    /// <summary>
    /// Applies pending migrations. On PostgreSQL, replicas starting together take turns under an advisory lock: EF's own
    /// migration lock is released with each migration's transaction, so a second replica could otherwise start applying
    /// a migration the first one is applying.
    /// </summary>
    internal static async Task MigrateAsync(AccountsDbContext db, CancellationToken cancellationToken)
    {
        if (db is not PostgresAccountsDbContext)
        {
            await MigrateIfPendingAsync(db, cancellationToken);
            return;
        }

        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            try
            {
                await creator.CreateAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another replica created it first.
            }
        }

        await using var connection = new NpgsqlConnection(db.Database.GetConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", connection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await MigrateIfPendingAsync(db, cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    // "AblyAuth" in ASCII: one advisory lock key of this app's own.
    private const long MigrationLockKey = 0x41626C7941757468;

    // Migrate re-validates the whole model on every start; asking for pending migrations first saves that when the
    // schema is current (start to ready).
    private static async Task MigrateIfPendingAsync(AccountsDbContext db, CancellationToken cancellationToken)
    {
        if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
    }

    private static DbContextOptions<T> Quiet<T>(DbContextOptions<T> options)
        where T : DbContext =>
        new DbContextOptionsBuilder<T>(options)
            .ConfigureWarnings(events => events.Ignore(RelationalEventId.CommandError, RelationalEventId.ConnectionError))
            .Options;

    /// <summary>
    /// Where the data protection keys (which protect session tokens) are kept: in the PostgreSQL database, shared by
    /// every replica; with SQLite, in Redis when it is configured (shared), else in a <c>keys</c> folder beside the database file.
    /// </summary>
    public static IXmlRepository DataProtectionKeyRepository(IServiceProvider services)
    {
        var options = Options(services);
        var redis = services.GetRequiredService<SharedRedis>();
        var logging = services.GetRequiredService<ILoggerFactory>();
        return options.Provider == AccountStoreProvider.Postgres
            ? new EntityFrameworkCoreXmlRepository<PostgresAccountsDbContext>(services, logging)
            : redis.IsConfigured
                ? new RedisXmlRepository(() => redis.Database, RedisKeyRingKey)
                : new FileSystemXmlRepository(new DirectoryInfo(KeysDirectory(options)), logging);
    }

    /// <summary>The Redis list that holds the key ring of SQLite replicas sharing Redis.</summary>
    internal const string RedisKeyRingKey = SharedRedis.KeyPrefix + "data-protection-keys";

    /// <summary>The folder that holds the data protection keys with SQLite: beside the account database.</summary>
    internal static string KeysDirectory(AccountsOptions options) =>
        Path.Combine(Path.GetDirectoryName(SqliteDatabasePath(options))!, "keys");

    private static string SqliteDatabasePath(AccountsOptions options) =>
        Path.GetFullPath(new SqliteConnectionStringBuilder(options.ConnectionString).DataSource);

    private static AccountsOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<AccountsOptions>>().Value;
}
