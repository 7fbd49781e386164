using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Keys;

/// <summary>Where the keys come from, and every way of getting that wrong, checked before the first request.</summary>
public sealed class KeyConfigurationTests
{
    [Fact]
    public void A_Key_List_Replaces_The_Settings_File_Key_And_Its_First_Key_Signs()
    {
        using var provider = StartupChecks.Services(new()
        {
            ["Ably:ApiKey"] = "DEMO-ONLY.not-a-real-key:development-demo-secret-do-not-use-in-production",
            ["Ably:Keys:0"] = AblyAuthServerFactory.SecondApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.ApiKey,
        });

        provider.GetRequiredService<IStartupValidator>().Validate();
        var ring = provider.GetRequiredService<AblyKeySource>().Current;

        Assert.Equal(AblyAuthServerFactory.SecondKeyName, ring.Signing.Name);
        Assert.Equal([AblyAuthServerFactory.SecondKeyName, AblyAuthServerFactory.KeyName], ring.Keys.Select(k => k.Name));
    }

    [Fact]
    public void The_Signing_Key_Name_Picks_A_Listed_Key()
    {
        using var provider = StartupChecks.Services(new()
        {
            ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.SecondApiKey,
            ["Ably:SigningKeyName"] = AblyAuthServerFactory.SecondKeyName,
        });

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(AblyAuthServerFactory.SecondKeyName, provider.GetRequiredService<AblyKeySource>().Current.Signing.Name);
    }

    [Theory]
    [InlineData("Ably:Keys:1", "not-a-key", "Ably:Keys:1 (ABLY__KEYS__1) is malformed: expected appId.keyId:secret (no ':' found).")]
    [InlineData("Ably:Keys:1", "app.short:tooshort", "Ably:Keys:1 (ABLY__KEYS__1) is malformed: the secret is shorter than 32 bytes.")]
    [InlineData("Ably:SigningKeyName", "app.nope", "Ably:Keys has no key named app.nope (Ably:SigningKeyName); it holds ")]
    public void A_Bad_Key_List_Stops_Startup_Naming_The_Entry(string setting, string value, string message)
    {
        var error = StartupChecks.Failure(new() { ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey, [setting] = value });

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain(AblyAuthServerFactory.Secret, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Same_Key_Listed_Twice_Stops_Startup()
    {
        var error = StartupChecks.Failure(new() { ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey, ["Ably:Keys:1"] = AblyAuthServerFactory.ApiKey });

        Assert.Equal($"Ably:Keys lists the key {AblyAuthServerFactory.KeyName} more than once.", Assert.Single(error.Failures));
    }

    [Fact]
    public void A_Signing_Key_Name_That_Is_Not_The_One_Key_Stops_Startup()
    {
        var error = StartupChecks.Failure(new() { ["Ably:SigningKeyName"] = "app.other" });

        Assert.Equal(
            $"Ably:SigningKeyName (ABLY__SIGNINGKEYNAME) names app.other, but the one key configured is {AblyAuthServerFactory.KeyName}.",
            Assert.Single(error.Failures));
    }

    [Fact]
    public void A_Key_List_And_A_Keys_File_Together_Stop_Startup()
    {
        var error = StartupChecks.Failure(new() { ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey, ["Ably:KeysFile"] = "/run/secrets/ably-keys" });

        Assert.Equal("Ably:Keys and Ably:KeysFile (environment ABLY_KEYS_FILE) are both set: list the keys in one of them.", Assert.Single(error.Failures));
    }

    [Fact]
    public void A_Keys_File_That_Cannot_Be_Read_Or_Parsed_Stops_Startup_Naming_The_Line_Not_Its_Content()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ably-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, $"{AblyAuthServerFactory.ApiKey}\n{AblyAuthServerFactory.Secret}\n");
        try
        {
            var missing = StartupChecks.Failure(new() { ["Ably:KeysFile"] = path + ".missing" });
            var malformed = StartupChecks.Failure(new() { ["Ably:KeysFile"] = path });

            Assert.Equal("Ably:KeysFile (environment ABLY_KEYS_FILE) names a file that cannot be read (FileNotFoundException).", Assert.Single(missing.Failures));
            var failure = Assert.Single(malformed.Failures);
            Assert.Equal("Ably:KeysFile (environment ABLY_KEYS_FILE): line 2 is malformed: expected appId.keyId:secret (no ':' found).", failure);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("02:00:00")]
    public void A_Keys_File_Check_Interval_Out_Of_Range_Stops_Startup(string interval)
    {
        var error = StartupChecks.Failure(new() { ["Ably:KeysFileCheckInterval"] = interval });

        Assert.Equal("Ably:KeysFileCheckInterval (ABLY__KEYSFILECHECKINTERVAL) must be between 00:00:01 and 01:00:00.", Assert.Single(error.Failures));
    }

    [Theory]
    [InlineData("Ably__Keys__0")]
    [InlineData("ABLY_KEYS_FILE")]
    public async Task The_Single_Key_Variable_Beside_A_Key_List_Stops_The_Process_With_One_Line(string listVariable)
    {
        var keysFile = Path.Combine(Path.GetTempPath(), $"ably-keys-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(keysFile, AblyAuthServerFactory.SecondApiKey + "\n", TestContext.Current.CancellationToken);
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"ably-auth-keys-{Guid.NewGuid():N}.db")}",
                ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
                [listVariable] = listVariable == "ABLY_KEYS_FILE" ? keysFile : AblyAuthServerFactory.SecondApiKey,
            };

            var result = await ServerProcess.RunAsync([], environment);

            Assert.Equal(2, result.ExitCode);
            var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(
                $"Configuration error: ABLY_API_KEY (or ABLY_API_KEY_FILE) and {(listVariable == "ABLY_KEYS_FILE" ? "ABLY_KEYS_FILE" : "Ably:Keys")} are both set: use ABLY_API_KEY for one key, or the list for several.",
                line);
            Assert.DoesNotContain(AblyAuthServerFactory.Secret, result.Output + result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(AblyAuthServerFactory.SecondSecret, result.Output + result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(keysFile);
        }
    }
}
