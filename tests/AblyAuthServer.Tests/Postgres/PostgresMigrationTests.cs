using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AblyAuthServer.Tests.Postgres;

/// <summary>The schema is created and upgraded at startup, per provider, and a started store has nothing left to apply.</summary>
public sealed class PostgresMigrationTests
{
    private static readonly string[] Tables =
    [
        "AspNetRoleClaims", "AspNetRoles", "AspNetUserClaims", "AspNetUserLogins", "AspNetUserRoles", "AspNetUserTokens",
        "AspNetUsers", "DataProtectionKeys", "EmbeddedSigningKeys", "EndedSessions", "LoginFailures", "RevocationOutbox", "__EFMigrationsHistory",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Startup_Creates_The_Database_And_Its_Schema_From_Nothing()
    {
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres, createDatabase: false);
        await using var factory = new AblyAuthServerFactory(store);

        _ = factory.Server;

        var tables = await store.QueryAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
        Assert.Equal(Tables.Order(StringComparer.Ordinal), tables.Order(StringComparer.Ordinal));
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        Assert.IsType<PostgresAccountsDbContext>(db);
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync(Ct));
    }

    [Fact]
    public async Task A_Second_Startup_Applies_Nothing_And_Keeps_The_Data()
    {
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        await using (var first = new AblyAuthServerFactory(store))
        {
            await first.CreateUserAsync("alice", ["member"]);
        }

        var history = await store.QueryAsync("""SELECT "MigrationId" || ' ' || "ProductVersion" FROM "__EFMigrationsHistory" ORDER BY 1""");

        await using var second = new AblyAuthServerFactory(store);
        Assert.Equal("alice", (await second.LoginAsync("alice")).ClientId);
        Assert.Equal(history, await store.QueryAsync("""SELECT "MigrationId" || ' ' || "ProductVersion" FROM "__EFMigrationsHistory" ORDER BY 1"""));
        Assert.Equal(["1"], await store.QueryAsync("""SELECT count(*) FROM "AspNetUsers" """));
    }

    [Fact]
    public async Task Replicas_Starting_Together_On_An_Empty_Database_Both_Start()
    {
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        await using var first = new AblyAuthServerFactory(store);
        await using var second = new AblyAuthServerFactory(store);

        await Task.WhenAll(Task.Run(() => first.Server, Ct), Task.Run(() => second.Server, Ct));

        await first.CreateUserAsync("alice", ["member"]);
        Assert.Equal("alice", (await second.LoginAsync("alice")).ClientId);
        await using var scope = first.Services.CreateAsyncScope();
        var migrations = scope.ServiceProvider.GetRequiredService<AccountsDbContext>().Database.GetMigrations().Count();
        Assert.Equal([migrations.ToString(System.Globalization.CultureInfo.InvariantCulture)], await store.QueryAsync("""SELECT count(*) FROM "__EFMigrationsHistory" """));
    }
}

/// <summary>Both providers' migrations match the model, and SQLite's existing history is kept so old databases upgrade.</summary>
public sealed class AccountMigrationsTests
{
    [Fact]
    public void Every_Provider_Has_Migrations_For_The_Current_Model()
    {
        using var sqlite = new DesignTimeSqliteAccountsDbContextFactory().CreateDbContext([]);
        using var postgres = new DesignTimePostgresAccountsDbContextFactory().CreateDbContext([]);

        Assert.False(sqlite.Database.HasPendingModelChanges(), "run: dotnet ef migrations add <Name> --context SqliteAccountsDbContext -o Accounts/Migrations/Sqlite");
        Assert.False(postgres.Database.HasPendingModelChanges(), "run: dotnet ef migrations add <Name> --context PostgresAccountsDbContext -o Accounts/Migrations/Postgres");
    }

    [Fact]
    public void The_Sqlite_History_Starts_With_The_Migration_Existing_Databases_Already_Have()
    {
        using var sqlite = new DesignTimeSqliteAccountsDbContextFactory().CreateDbContext([]);

        Assert.Equal("20261123111613_InitialCreate", sqlite.Database.GetMigrations().First());
    }

    [Fact]
    public async Task A_Sqlite_Restart_Applies_Nothing_And_Keeps_Accounts_And_The_Keys_Folder()
    {
        await using var store = TestAccountStore.CreateSqlite();
        await using (var before = new AblyAuthServerFactory(store))
        {
            await before.CreateUserAsync("alice", ["member"]);
        }

        await using var after = new AblyAuthServerFactory(store);
        await using var scope = after.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();

        Assert.IsType<SqliteAccountsDbContext>(db);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Equal("alice", (await after.LoginAsync("alice")).ClientId);
        Assert.True(Directory.EnumerateFiles(Path.Combine(store.Directory, "keys"), "key-*.xml").Any());
    }
}
