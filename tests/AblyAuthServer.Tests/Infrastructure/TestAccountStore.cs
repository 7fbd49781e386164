using AblyAuthServer.Accounts;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// One isolated account store: a temp SQLite file, or a fresh PostgreSQL database (dropped on dispose) on the server
/// named by <c>ABLY_AUTH_TEST_POSTGRES</c>, which <c>./build.sh test</c> starts. Without that variable PostgreSQL tests
/// fail, unless <c>ABLY_AUTH_TEST_ALLOW_SKIP=1</c> (local use only; CI never sets it) says to skip them.
/// </summary>
public sealed class TestAccountStore : IAsyncDisposable
{
    public const string PostgresVariable = "ABLY_AUTH_TEST_POSTGRES";
    public const string AllowSkipVariable = "ABLY_AUTH_TEST_ALLOW_SKIP";

    private readonly string? _databaseName;

    private TestAccountStore(AccountStoreProvider provider, string connectionString, string directory, string? databaseName)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Directory = directory;
        _databaseName = databaseName;
    }

    public AccountStoreProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>A temp folder owned by this store: the SQLite file and its <c>keys</c> folder live here.</summary>
    public string Directory { get; }

    /// <summary>The settings that point the app at this store.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["Accounts:Provider"] = Provider.ToString(),
        ["Accounts:ConnectionString"] = ConnectionString,
    };

    public static TestAccountStore CreateSqlite()
    {
        var directory = NewDirectory();
        return new(AccountStoreProvider.Sqlite, $"Data Source={Path.Combine(directory, "accounts.db")}", directory, null);
    }

    /// <summary>A new store; for PostgreSQL a new empty database, or only a new name when <paramref name="createDatabase"/> is false.</summary>
    public static async Task<TestAccountStore> CreateAsync(AccountStoreProvider provider, bool createDatabase = true)
    {
        if (provider == AccountStoreProvider.Sqlite)
        {
            return CreateSqlite();
        }

        var name = $"ably_test_{Guid.NewGuid():N}";
        if (createDatabase)
        {
            await ExecuteAdminAsync($"CREATE DATABASE \"{name}\"");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;
        return new(provider, connectionString, NewDirectory(), name);
    }

    /// <summary>The test PostgreSQL server's connection string (its maintenance database); fails or skips when unset.</summary>
    public static string PostgresServer
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(PostgresVariable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            const string reason = $"{PostgresVariable} is not set: run ./build.sh test, which starts a throwaway PostgreSQL " +
                $"(scripts/test-services.sh), or set {AllowSkipVariable}=1 to skip PostgreSQL tests locally.";
            if (Environment.GetEnvironmentVariable(AllowSkipVariable) == "1")
            {
                Assert.Skip(reason);
            }

            Assert.Fail(reason);
            return null!;
        }
    }

    /// <summary>Runs a query in this store's PostgreSQL database and returns the first column of every row.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (_databaseName is not null)
        {
            using (var connection = new NpgsqlConnection(ConnectionString))
            {
                NpgsqlConnection.ClearPool(connection);
            }

            await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)");
        }
        else
        {
            SqliteConnection.ClearAllPools();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ably-auth-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }
}
