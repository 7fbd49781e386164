using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AblyAuthServer.Tests.Integration;

public sealed class MetricsTests : IAsyncLifetime
{
    private const int MetricsPort = 9464;
    private readonly AblyAuthServerFactory _factory = new(new Dictionary<string, string?>
    {
        ["Metrics:Port"] = MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Accounts:MaxFailedAccessAttempts"] = "2",
        ["RateLimiting:Tokens:PerUser:PermitLimit"] = "2",
        ["RateLimiting:Tokens:PerUser:Window"] = "00:10:00",
    });

    public async ValueTask InitializeAsync() => await _factory.CreateUserAsync("alice", ["member"]);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Auth_Counters_Count_Tokens_By_Kind_And_Role_Failed_Logins_Lockouts_And_Rate_Limit_Rejections()
    {
        var meters = _factory.Services.GetRequiredService<IMeterFactory>();
        using var issued = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.tokens.issued");
        using var failed = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.logins.failed");
        using var lockouts = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.lockouts");
        using var rejections = new MetricCollector<long>(meters, AuthMetrics.MeterName, "ably_auth.rate_limit.rejections");
        using var client = _factory.CreateBearerClient((await _factory.LoginAsync("alice")).SessionToken);
        using var anonymous = _factory.CreateClient();

        await client.GetAsync("/ably/token", Ct);
        await client.GetAsync("/ably/token-request", Ct);
        await client.GetAsync("/ably/token", Ct);
        for (var i = 0; i < 3; i++)
        {
            await anonymous.PostAsJsonAsync("/auth/login", new { username = "nobody", password = "wrong" }, Ct);
        }

        Assert.Equal(
            [("jwt", "member"), ("token-request", "member")],
            issued.GetMeasurementSnapshot().Select(m => ((string)m.Tags["kind"]!, (string)m.Tags["role"]!)));
        Assert.Equal(["invalid", "locked-out", "locked-out"], failed.GetMeasurementSnapshot().Select(m => (string)m.Tags["reason"]!));
        Assert.Equal(1, lockouts.GetMeasurementSnapshot().EvaluateAsCounter());
        var rejection = Assert.Single(rejections.GetMeasurementSnapshot());
        Assert.Equal("tokens-per-user", rejection.Tags["policy"]);
    }

    [Fact]
    public async Task The_Metrics_Port_Serves_Prometheus_Text_With_Auth_AspNetCore_And_Runtime_Metrics()
    {
        using var client = _factory.CreateBearerClient((await _factory.LoginAsync("alice")).SessionToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        using var scraper = _factory.CreateClient(new() { BaseAddress = new Uri($"http://localhost:{MetricsPort}") });

        var response = await scraper.GetAsync("/metrics", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("# TYPE ably_auth_tokens_issued_total counter", text, StringComparison.Ordinal);
        Assert.Matches("""ably_auth_tokens_issued_total\{[^}]*kind="jwt"[^}]*role="member"[^}]*\} [1-9]""", text);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Token_Request_Is_Authenticated_Once_By_The_Selected_Scheme_Not_Again_Through_The_Caller_Policy_Scheme()
    {
        using var client = _factory.CreateBearerClient((await _factory.LoginAsync("alice")).SessionToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        using var scraper = _factory.CreateClient(new() { BaseAddress = new Uri($"http://localhost:{MetricsPort}") });

        var text = await scraper.GetStringAsync("/metrics", Ct);

        Assert.Matches("""aspnetcore_authentication_authenticate_duration_seconds_count\{[^}]*aspnetcore_authentication_scheme="Session"[^}]*\} 1\b""", text);
        Assert.DoesNotContain("aspnetcore_authentication_scheme=\"Caller\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Kestrels_Memory_Pool_Instruments_Are_Never_Enabled_While_Other_AspNetCore_Instruments_Are()
    {
        var meters = _factory.Services.GetRequiredService<IMeterFactory>();

        var pool = meters.Create(TelemetrySetup.MemoryPoolMeterName).CreateCounter<long>("aspnetcore.memory_pool.rented_memory");
        var hosting = meters.Create("Microsoft.AspNetCore.Hosting").CreateCounter<long>("aspnetcore.test.enabled");

        Assert.False(pool.Enabled);
        Assert.True(hosting.Enabled);
    }

    [Fact]
    public async Task The_Metrics_Port_Answers_Nothing_But_Metrics_And_The_Public_Port_Has_No_Metrics()
    {
        using var scraper = _factory.CreateClient(new() { BaseAddress = new Uri($"http://localhost:{MetricsPort}") });
        using var client = _factory.CreateClient();

        var loginOnMetricsPort = await scraper.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, Ct);
        var healthOnMetricsPort = await scraper.GetAsync("/healthz", Ct);
        var metricsOnPublicPort = await client.GetAsync("/metrics", Ct);

        Assert.Equal(HttpStatusCode.NotFound, loginOnMetricsPort.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, healthOnMetricsPort.StatusCode);
        await Problems.AssertProblemAsync(metricsOnPublicPort, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Without_A_Metrics_Port_There_Is_No_Metrics_Endpoint_Anywhere()
    {
        await using var factory = new AblyAuthServerFactory();
        using var onPublicPort = factory.CreateClient();
        using var onUsualPort = factory.CreateClient(new() { BaseAddress = new Uri($"http://localhost:{MetricsPort}") });

        Assert.Equal(HttpStatusCode.NotFound, (await onPublicPort.GetAsync("/metrics", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await onUsualPort.GetAsync("/metrics", Ct)).StatusCode);
    }
}
