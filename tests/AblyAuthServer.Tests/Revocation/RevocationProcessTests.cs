using System.Net.Http.Headers;
using System.Text;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Revocation;

/// <summary>The server and its <c>users</c> CLI as an operator runs them: separate processes on one account store.</summary>
public sealed class RevocationProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Revoke_Tokens_Run_As_Its_Own_Process_Is_Delivered_By_The_Running_Server_Within_Seconds()
    {
        await using var ably = await AblyRestStandIn.StartAsync();
        var directory = Directory.CreateTempSubdirectory("ably-revocation-process");
        try
        {
            var port = ServerProcess.FreePort();
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
                ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(directory.FullName, "accounts.db")}",
                ["Accounts__PasswordHashIterations"] = "10000",
                ["Sessions__CookieSecurePolicy"] = "SameAsRequest",
                ["Ably__Revocable"] = "true",
                ["Ably__RestHost"] = ably.BaseAddress,
            };
            var add = await ServerProcess.RunAsync(["users", "add", "alice", "--role", "member"], environment, AblyAuthServerFactory.Password + "\n");
            Assert.True(add.ExitCode == 0, add.Error);
            await using var server = await ServerProcess.StartAsync(port, environment);
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AblyAuthServerFactory.Password}")));
            var accountKey = RevocationTriggerTests.RevocationKey(await client.GetStringAsync("/ably/token", Ct));

            var revoke = await ServerProcess.RunAsync(["users", "revoke-tokens", "alice"], environment);
            var written = DateTimeOffset.UtcNow;

            Assert.Equal((0, "revoke-tokens: alice ok"), (revoke.ExitCode, revoke.Output.Trim()));
            Assert.Empty(ably.RevokeCalls);
            var call = Assert.Single(await ably.RevokeCalls.WaitForCountAsync(1, TimeSpan.FromSeconds(10), Ct));
            Assert.Equal(["clientId:alice", $"revocationKey:{accountKey}"], call.Targets);
            Assert.True(call.ReceivedAt - written < TimeSpan.FromSeconds(8), $"delivered {call.ReceivedAt - written} after the CLI wrote it");
            Assert.InRange(call.IssuedBeforeSent!.Value, written.AddSeconds(-10).ToUnixTimeMilliseconds(), written.ToUnixTimeMilliseconds());
            Assert.StartsWith("ably-auth-server/", call.AblyAgent, StringComparison.Ordinal);
            await server.WaitForOutputAsync("Revoked the tokens of alice (revoke-tokens", TimeSpan.FromSeconds(5));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_Cli_Needs_The_Key_Only_In_Revocable_Mode_And_Without_It_Changes_Nothing()
    {
        var directory = Directory.CreateTempSubdirectory("ably-revocation-cli");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(directory.FullName, "accounts.db")}",
                ["Accounts__PasswordHashIterations"] = "10000",
            };
            Assert.Equal(0, (await ServerProcess.RunAsync(["users", "add", "kate", "--role", "member"], environment, "kates-password\n")).ExitCode);

            var revocable = new Dictionary<string, string>(environment) { ["Ably__Revocable"] = "true" };
            var refused = await ServerProcess.RunAsync(["users", "disable", "kate"], revocable);
            var list = await ServerProcess.RunAsync(["users", "list"], revocable);

            Assert.Equal(2, refused.ExitCode);
            Assert.Equal("Configuration error: Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE) is missing.", refused.Error.Trim());
            Assert.Equal("kate\tclientId=kate\troles=member\tenabled", list.Output.Trim());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Revocable_Mode_With_A_Max_Ttl_Over_One_Hour_Exits_2_With_One_Line()
    {
        var result = await ServerProcess.RunAsync([], new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Ably__Revocable"] = "true",
            ["Ably__MaxTtl"] = "02:00:00",
        });

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(
            "Configuration error: Ably:MaxTtl (ABLY__MAXTTL) must be at most 01:00:00 when Ably:Revocable is true (Ably's limit for revocable tokens).",
            line);
    }
}
