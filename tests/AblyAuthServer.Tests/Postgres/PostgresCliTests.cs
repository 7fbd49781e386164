using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Postgres;

/// <summary>The built executable pointed at PostgreSQL, configured as operators configure it (environment and secret files).</summary>
public sealed class PostgresCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Users_Cli_Creates_A_User_In_PostgreSQL_That_The_Server_Then_Authenticates()
    {
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres, createDatabase: false);
        var secret = Path.Combine(store.Directory, "accounts-connection-string");
        await File.WriteAllTextAsync(secret, store.ConnectionString + "\n", Ct);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Accounts__Provider"] = "Postgres",
            ["ACCOUNTS__CONNECTIONSTRING_FILE"] = secret,
            ["Accounts__PasswordHashIterations"] = "10000",
        };

        var added = await ServerProcess.RunAsync(["users", "add", "kate", "--role", "member", "--client-id", "kate-1"], environment, "kates-password\n");
        var list = await ServerProcess.RunAsync(["users", "list"], environment);

        Assert.Equal(0, added.ExitCode);
        Assert.Equal("add: kate ok", added.Output.Trim());
        Assert.Equal("kate\tclientId=kate-1\troles=member\tenabled", list.Output.Trim());
        await using var server = new AblyAuthServerFactory(store);
        var login = await server.LoginAsync("kate", "kates-password");
        Assert.Equal("kate-1", login.ClientId);
        using var client = server.CreateBearerClient(login.SessionToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_Connection_String_That_Is_Not_PostgreSQL_Stops_Startup_With_One_Line_Naming_The_Setting()
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Accounts__Provider"] = "Postgres",
            ["ACCOUNTS__CONNECTIONSTRING"] = "Host=db.internal;Username=ably;Password=hunter2-do-not-print",
        };

        var result = await ServerProcess.RunAsync([], environment);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"Configuration error: {AccountStore.PostgresConnectionStringError}", line);
        Assert.DoesNotContain("hunter2", result.Output + result.Error, StringComparison.Ordinal);
    }
}
