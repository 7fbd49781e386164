using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Redis;

/// <summary>
/// With Redis, login limits and unknown-name lockout are counted once for all replicas; when Redis cannot be reached,
/// logins are refused (503 with Retry-After), never let through uncounted.
/// </summary>
public sealed class SharedLoginLimitTests : IAsyncLifetime
{
    private TestAccountStore _store = null!;
    private AblyAuthServerFactory _first = null!;
    private AblyAuthServerFactory _second = null!;
    private readonly string _name = "user-" + Guid.NewGuid().ToString("N")[..12];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        var settings = TestRedis.Settings();
        settings["RateLimiting:Login:PerUsername:PermitLimit"] = "4";
        settings["RateLimiting:Login:PerIp:PermitLimit"] = "6";
        settings["Accounts:MaxFailedAccessAttempts"] = "3";
        _first = new AblyAuthServerFactory(_store, settings);
        await _first.CreateUserAsync(_name, ["member"]);
        _second = new AblyAuthServerFactory(_store, settings);
    }

    public async ValueTask DisposeAsync()
    {
        await (_second?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_first?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_store?.DisposeAsync() ?? ValueTask.CompletedTask);
    }

    [Fact]
    public async Task The_Per_User_Name_Login_Limit_Counts_Attempts_On_Every_Replica_Together()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var client = (i % 2 == 0 ? _first : _second).CreateClientFrom(RandomIp());
            var response = await client.PostAsJsonAsync("/auth/login", new { username = _name, password = AblyAuthServerFactory.Password }, Ct);
            statuses.Add(response.StatusCode);
            if (i == 4)
            {
                await Problems.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "this user name");
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task The_Per_Address_Login_Limit_Counts_Attempts_On_Every_Replica_Together()
    {
        var ip = RandomIp();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var client = (i % 2 == 0 ? _first : _second).CreateClientFrom(ip);
            var response = await client.PostAsJsonAsync("/auth/login", new { username = "nobody-" + i + _name, password = "wrong-password" }, Ct);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Fact]
    public async Task An_Unknown_User_Name_Locks_Out_After_Failures_Spread_Over_Replicas()
    {
        var unknown = "ghost-" + _name;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var client = (i % 2 == 0 ? _first : _second).CreateClientFrom(RandomIp());
            var response = await client.PostAsJsonAsync("/auth/login", new { username = unknown, password = "wrong-password" }, Ct);
            statuses.Add(response.StatusCode);
        }

        // Like a real account: three failures, the third locks, the fourth is refused while locked.
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Logins_Are_Refused_With_503_While_Redis_Is_Unreachable()
    {
        var (host, port) = TestRedis.Endpoint;
        await using var forwarder = new TcpForwarder(host, port);
        forwarder.Start();
        var settings = TestRedis.Settings($"127.0.0.1:{forwarder.Port},connectTimeout=1000,asyncTimeout=1000");
        await using var cut = new AblyAuthServerFactory(_store, settings);
        using var client = cut.CreateClientFrom(RandomIp());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/auth/login", new { username = _name, password = AblyAuthServerFactory.Password }, Ct)).StatusCode);

        await forwarder.StopAsync();
        var response = await Polling.UntilStatusAsync(
            () => client.PostAsJsonAsync("/auth/login", new { username = _name, password = AblyAuthServerFactory.Password }, Ct),
            HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));

        await Problems.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "rate-limit store");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var ready = await cut.CreateClient().GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    private static string RandomIp() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";
}
