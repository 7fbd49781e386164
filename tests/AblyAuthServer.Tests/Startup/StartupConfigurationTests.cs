using AblyAuthServer.Accounts;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Startup;

public sealed class StartupConfigurationTests
{
    private const string ExpectedSetting = "Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE)";

    [Theory]
    [InlineData("", "is missing")]
    [InlineData("no-colon-here", "no ':' found")]
    [InlineData("appOnly:c2VjcmV0LWZvci10ZXN0cy10aGF0LWlzLWxvbmctZW5vdWdo", "appId.keyId")]
    [InlineData("app.key:short-secret", "shorter than 32 bytes")]
    public void The_App_Refuses_To_Start_Without_A_Valid_Ably_Key(string key, string reason)
    {
        var error = StartupFailure(new() { ["Ably:ApiKey"] = key });

        var message = string.Join(" ", error.Failures);
        Assert.Contains(ExpectedSetting, message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Invalid_Policy_Stops_Startup_Naming_The_Role_And_Entry()
    {
        var error = StartupFailure(new()
        {
            ["Policies:Roles:broken:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:broken:Capabilities:0:Operations:0"] = "publish",
            ["Policies:Roles:broken:Capabilities:1:Channel"] = "news:*",
            ["Policies:Roles:broken:Capabilities:1:Operations:0"] = "shout",
        });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("Policies:Roles:broken:Capabilities:1", failure, StringComparison.Ordinal);
        Assert.Contains("unknown operation 'shout'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Ttl_Setting_Beyond_Ablys_24_Hours_Stops_Startup()
    {
        var error = StartupFailure(new() { ["Ably:MaxTtl"] = "2.00:00:00" });

        Assert.Contains("Ably:MaxTtl (ABLY__MAXTTL)", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Process_Exits_Non_Zero_With_One_Line_Naming_The_Missing_Key()
    {
        var result = await ServerProcess.RunAsync([], Production(apiKey: null));

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"Configuration error: {ExpectedSetting} is missing.", line);
    }

    [Fact]
    public async Task The_Process_Exits_Non_Zero_On_A_Malformed_Key_Without_Printing_The_Secret()
    {
        var result = await ServerProcess.RunAsync([], Production(apiKey: "appkey:THE-SECRET-VALUE-THAT-MUST-NOT-LEAK-0123456789"));

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Configuration error: {ExpectedSetting} is malformed", line, StringComparison.Ordinal);
        Assert.DoesNotContain("THE-SECRET-VALUE", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Key_Can_Come_From_A_File_Named_By_ABLY_API_KEY_FILE()
    {
        var directory = Directory.CreateTempSubdirectory("ably-key-file");
        try
        {
            var environment = Production(apiKey: null);
            environment["ABLY_API_KEY_FILE"] = Path.Combine(directory.FullName, "missing");

            var missingFile = await ServerProcess.RunAsync([], environment);

            Assert.Equal(2, missingFile.ExitCode);
            Assert.Equal("Configuration error: ABLY_API_KEY_FILE names a file that cannot be read (FileNotFoundException).", missingFile.Error.Trim());

            // A valid key file lets the CLI (which shares configuration loading) run against the store.
            await File.WriteAllTextAsync(environment["ABLY_API_KEY_FILE"], AblyAuthServerFactory.ApiKey + "\n", TestContext.Current.CancellationToken);
            environment["Accounts__ConnectionString"] = $"Data Source={Path.Combine(directory.FullName, "accounts.db")}";
            var list = await ServerProcess.RunAsync(["users", "list"], environment);
            Assert.Equal(0, list.ExitCode);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_Valid_Configuration_Passes_Every_Startup_Check()
    {
        using var provider = Services(new());

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(AblyAuthServerFactory.KeyName, provider.GetRequiredService<AblyAuthServer.Ably.AblyKey>().Name);
    }

    /// <summary>Runs the same ValidateOnStart checks the app runs before it starts, over the given settings.</summary>
    private static OptionsValidationException StartupFailure(Dictionary<string, string?> settings)
    {
        using var provider = Services(settings);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Ably:ApiKey"] = AblyAuthServerFactory.ApiKey })
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddPolicies().AddAccounts().AddSessions().AddTokens();
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string> Production(string? apiKey)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"ably-auth-startup-{Guid.NewGuid():N}.db")}",
        };
        if (apiKey is not null)
        {
            environment["ABLY_API_KEY"] = apiKey;
        }

        return environment;
    }
}
