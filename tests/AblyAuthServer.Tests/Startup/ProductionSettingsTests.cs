using AblyAuthServer.Hosting;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Startup;

public sealed class ProductionSettingsTests
{
    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.com")]
    public void A_Wildcard_Cors_Origin_Stops_Startup_Because_Credentials_Are_Allowed(string origin)
    {
        var failure = Assert.Single(StartupFailure(new() { ["Cors:AllowedOrigins:0"] = origin }).Failures);

        Assert.Equal("Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>) must not contain '*': credentials are allowed, so list exact origins such as https://app.example.com.", failure);
    }

    [Theory]
    [InlineData("https://app.example.com/")]
    [InlineData("https://app.example.com/path")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    public void A_Cors_Origin_That_Is_Not_Scheme_Host_Port_Stops_Startup(string origin)
    {
        var failure = Assert.Single(StartupFailure(new() { ["Cors:AllowedOrigins:0"] = origin }).Failures);

        Assert.StartsWith("Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>) must list origins as scheme://host[:port]", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0", "ForwardedHeaders:KnownProxies (FORWARDEDHEADERS__KNOWNPROXIES__<n>)")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0", "ForwardedHeaders:KnownNetworks (FORWARDEDHEADERS__KNOWNNETWORKS__<n>)")]
    [InlineData("RateLimiting:Login:PerIp:PermitLimit", "0", "RateLimiting:Login:PerIp:PermitLimit (RATELIMITING__LOGIN__PERIP__PERMITLIMIT)")]
    [InlineData("RateLimiting:Login:PerUsername:Window", "00:00:00", "RateLimiting:Login:PerUsername:Window (RATELIMITING__LOGIN__PERUSERNAME__WINDOW)")]
    [InlineData("RateLimiting:Tokens:PerUser:PermitLimit", "-1", "RateLimiting:Tokens:PerUser:PermitLimit (RATELIMITING__TOKENS__PERUSER__PERMITLIMIT)")]
    [InlineData("Hosting:ShutdownTimeout", "00:00:00", "Hosting:ShutdownTimeout (HOSTING__SHUTDOWNTIMEOUT)")]
    [InlineData("Hosting:RequestTimeout", "-00:00:01", "Hosting:RequestTimeout (HOSTING__REQUESTTIMEOUT)")]
    [InlineData("Hosting:MaxRequestHeaderCount", "5", "Hosting:MaxRequestHeaderCount (HOSTING__MAXREQUESTHEADERCOUNT)")]
    [InlineData("Hosting:MaxRequestBodySize", "1024", "Hosting:MaxRequestBodySize (HOSTING__MAXREQUESTBODYSIZE)")]
    [InlineData("Metrics:Port", "70000", "Metrics:Port (METRICS__PORT)")]
    [InlineData("Metrics:Host", "metrics.internal", "Metrics:Host (METRICS__HOST)")]
    public void A_Bad_Production_Setting_Stops_Startup_With_One_Line_Naming_It_And_Its_Variable(string key, string value, string expected)
    {
        var failure = Assert.Single(StartupFailure(new() { [key] = value }).Failures);

        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void Shutdown_Timeout_And_Kestrel_Limits_Come_From_The_Hosting_Section_With_Safe_Defaults()
    {
        using var defaults = Build(new());
        using var configured = Build(new() { ["Hosting:ShutdownTimeout"] = "00:00:45", ["Hosting:MaxRequestHeaderCount"] = "64" });

        var kestrel = defaults.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(30), defaults.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        Assert.Equal(50, kestrel.Limits.MaxRequestHeaderCount);
        Assert.Equal(32 * 1024, kestrel.Limits.MaxRequestHeadersTotalSize);
        Assert.Equal(64 * 1024, kestrel.Limits.MaxRequestBodySize);
        Assert.False(kestrel.AddServerHeader);
        Assert.Equal(TimeSpan.FromSeconds(45), configured.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        Assert.Equal(64, configured.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestHeaderCount);
    }

    [Fact]
    public void Production_Logs_Are_Json_With_Scopes_And_Development_Logs_Stay_Plain_Text()
    {
        var source = Path.Combine(ServerProcess.RepositoryRoot, "src", "AblyAuthServer");
        var production = new ConfigurationBuilder().AddJsonFile(Path.Combine(source, "appsettings.json")).Build();
        var development = new ConfigurationBuilder().AddJsonFile(Path.Combine(source, "appsettings.json"))
            .AddJsonFile(Path.Combine(source, "appsettings.Development.json")).Build();

        Assert.Equal("json", production["Logging:Console:FormatterName"]);
        Assert.Equal("True", production["Logging:Console:FormatterOptions:IncludeScopes"], ignoreCase: true);
        Assert.Equal("simple", development["Logging:Console:FormatterName"]);
    }

    /// <summary>The failure the app reports at startup: from building the host (host options) or from its start checks.</summary>
    private static OptionsValidationException StartupFailure(Dictionary<string, string?> settings) =>
        Assert.Throws<OptionsValidationException>(() =>
        {
            using var app = Build(settings);
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        });

    /// <summary>The production pieces registered the way Program.cs registers them, over the given settings.</summary>
    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddTelemetry();
        builder.Services.AddServerLimits().AddTrustedForwardedHeaders().AddSecurityHeaders().AddCrossOriginPolicy().AddRateLimits();
        return builder.Build();
    }
}
