using AblyAuthServer.EmbeddedTokens;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>Every EmbeddedTokens setting that cannot work stops startup with one line naming it and its variable.</summary>
public sealed class EmbeddedTokensConfigurationTests
{
    [Theory]
    [InlineData("EmbeddedTokens:Issuer", "auth.example.com", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "/relative", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "ftp://auth.example.com", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "https://auth.example.com/tenant", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "https://auth.example.com/?x=1", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "https://auth.example.com#top", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "https://user:pw@auth.example.com", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) must be this server's public origin")]
    [InlineData("EmbeddedTokens:Issuer", "http://auth.example.com", "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) is plain http: use https")]
    [InlineData("EmbeddedTokens:Audience", null, "EmbeddedTokens:Audience (EMBEDDEDTOKENS__AUDIENCE) is missing")]
    [InlineData("EmbeddedTokens:Audience", " ", "EmbeddedTokens:Audience (EMBEDDEDTOKENS__AUDIENCE) is missing")]
    [InlineData("EmbeddedTokens:Audience", "api ", "EmbeddedTokens:Audience (EMBEDDEDTOKENS__AUDIENCE) starts or ends with whitespace")]
    [InlineData("EmbeddedTokens:KeyLifetime", "12:00:00", "EmbeddedTokens:KeyLifetime (EMBEDDEDTOKENS__KEYLIFETIME) must be between 1.00:00:00")]
    [InlineData("EmbeddedTokens:KeyLifetime", "400.00:00:00", "EmbeddedTokens:KeyLifetime (EMBEDDEDTOKENS__KEYLIFETIME) must be between 1.00:00:00")]
    [InlineData("EmbeddedTokens:KeyPrepublication", "00:30:00", "EmbeddedTokens:KeyPrepublication (EMBEDDEDTOKENS__KEYPREPUBLICATION) must be at least 01:00:00")]
    [InlineData("EmbeddedTokens:KeyPrepublication", "16.00:00:00", "EmbeddedTokens:KeyPrepublication (EMBEDDEDTOKENS__KEYPREPUBLICATION) must be at least 01:00:00 and at most half")]
    [InlineData("EmbeddedTokens:KeyRefreshInterval", "00:00:01", "EmbeddedTokens:KeyRefreshInterval (EMBEDDEDTOKENS__KEYREFRESHINTERVAL) must be between")]
    public void A_Setting_That_Cannot_Work_Stops_Startup_With_One_Line_Naming_It(string setting, string? value, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EmbeddedTokens:Issuer"] = "https://auth.example.com",
            ["EmbeddedTokens:Audience"] = "https://api.example.com",
        };
        settings[setting] = value;

        var failure = Assert.Single(Failures(settings, Environments.Production));

        Assert.StartsWith(message, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Theory]
    [InlineData("https://auth.example.com", "Production")]
    [InlineData("https://auth.example.com/", "Production")]
    [InlineData("https://auth.example.com:8443", "Production")]
    [InlineData("http://127.0.0.1:5000", "Production")]
    [InlineData("http://localhost:5000", "Production")]
    [InlineData("http://[::1]:5000", "Production")]
    [InlineData("http://auth.internal:8080", "Development")]
    public void An_Https_Origin_Or_Plain_Http_On_Loopback_Or_In_Development_Is_Accepted(string issuer, string environment)
    {
        Assert.Empty(Failures(new() { ["EmbeddedTokens:Issuer"] = issuer, ["EmbeddedTokens:Audience"] = "api" }, environment));
    }

    [Fact]
    public void Off_By_Default_And_Then_Only_The_Key_Settings_Are_Checked()
    {
        Assert.Empty(Failures(new() { ["EmbeddedTokens:Audience"] = null }, Environments.Production));
        Assert.Empty(Failures(new() { ["EmbeddedTokens:Issuer"] = "" }, Environments.Production));
        Assert.StartsWith("EmbeddedTokens:KeyLifetime", Assert.Single(Failures(new() { ["EmbeddedTokens:KeyLifetime"] = "00:00:00" }, Environments.Production)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Process_Exits_With_One_Line_For_A_Plain_Http_Issuer_In_Production()
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"ably-auth-embedded-{Guid.NewGuid():N}.db")}",
            ["EmbeddedTokens__Issuer"] = "http://auth.example.com",
            ["EmbeddedTokens__Audience"] = "https://api.example.com",
            ["EmbeddedTokens__KeyLifetime"] = "forever",
        };

        var result = await ServerProcess.RunAsync([], environment);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("Configuration error: EmbeddedTokens:KeyLifetime (EMBEDDEDTOKENS__KEYLIFETIME) is not a valid duration (hh:mm:ss, or d.hh:mm:ss).", line);

        environment.Remove("EmbeddedTokens__KeyLifetime");
        result = await ServerProcess.RunAsync([], environment);

        Assert.Equal(2, result.ExitCode);
        line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Configuration error: EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) is plain http: use https", line, StringComparison.Ordinal);
    }

    private static IReadOnlyList<string> Failures(Dictionary<string, string?> settings, string environment)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IHostEnvironment>(new TestEnvironment(environment))
            .AddOptions()
            .AddOptions<EmbeddedTokensOptions>().BindConfiguration(EmbeddedTokensOptions.SectionName).Services
            .AddSingleton<IValidateOptions<EmbeddedTokensOptions>, EmbeddedTokensOptionsValidator>()
            .BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<EmbeddedTokensOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
    }

    private sealed class TestEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "AblyAuthServer";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
