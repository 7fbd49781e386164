using System.Diagnostics.Metrics;
using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Throttling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Redis;

/// <summary>
/// The per-user token limit is reconciled through Redis in batches: replicas together refuse a user over it. While Redis
/// cannot be reached the limit fails open: each replica goes on issuing tokens and enforces the limit on its own counts.
/// </summary>
public sealed class SharedTokenLimitTests
{
    [Fact]
    public async Task A_User_Over_The_Token_Limit_Across_Replicas_Is_Refused_On_Both()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        var settings = TestRedis.Settings();
        settings["RateLimiting:Tokens:PerUser:PermitLimit"] = "10";
        settings["RateLimiting:Tokens:PerUser:Window"] = "00:10:00";
        await using var first = new AblyAuthServerFactory(store, settings);
        await first.CreateUserAsync("alice", ["member"]);
        await using var second = new AblyAuthServerFactory(store, settings);
        var session = (await first.LoginAsync("alice")).SessionToken;
        using var onFirst = first.CreateBearerClient(session);
        using var onSecond = second.CreateBearerClient(session);

        // Six on each replica: each alone is under 10, together they are over it.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await onFirst.GetAsync("/ably/token", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/ably/token", ct)).StatusCode);
        }

        // After a flush (250 ms) both know the global count.
        await Task.Delay(TimeSpan.FromMilliseconds(800), ct);
        var refusedOnFirst = await onFirst.GetAsync("/ably/token", ct);
        var refusedOnSecond = await onSecond.GetAsync("/ably/token", ct);

        await Problems.AssertProblemAsync(refusedOnFirst, HttpStatusCode.TooManyRequests, "token requests");
        Assert.Equal(HttpStatusCode.TooManyRequests, refusedOnSecond.StatusCode);
        Assert.NotNull(refusedOnSecond.Headers.RetryAfter);
    }

    [Fact]
    public async Task While_Redis_Is_Unreachable_Tokens_Are_Still_Issued_And_The_Replica_Enforces_The_Limit_On_Its_Own_Count()
    {
        var ct = TestContext.Current.CancellationToken;
        var (host, port) = TestRedis.Endpoint;
        await using var forwarder = new TcpForwarder(host, port);
        forwarder.Start();
        // A long grace keeps sessions working while Redis is cut (Basic, like login, fails closed without the shared counts).
        var settings = TestRedis.Settings($"127.0.0.1:{forwarder.Port},connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000", grace: "00:05:00");
        settings["RateLimiting:Tokens:PerUser:PermitLimit"] = "5";
        settings["RateLimiting:Tokens:PerUser:Window"] = "1.00:00:00";
        await using var replica = await AblyAuthServerFactory.CreateAsync(AccountStoreProvider.Postgres, settings);
        await replica.CreateUserAsync("alice", ["member"], clientId: "alice-1");
        using var unavailable = new MetricCollector<long>(
            replica.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.shared_store.unavailable");
        using var session = replica.CreateBearerClient((await replica.LoginAsync("alice")).SessionToken);

        await forwarder.StopAsync();
        var issued = new List<HttpResponseMessage> { await session.GetAsync("/ably/token", ct) };
        // The next flush cannot report that grant to Redis, and says so; the rest are issued knowing Redis is down.
        await unavailable.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 4; i++)
        {
            issued.Add(await session.GetAsync("/ably/token", ct));
        }

        var refused = await session.GetAsync("/ably/token", ct);
        var ready = await replica.CreateClient().GetAsync("/readyz", ct);

        foreach (var response in issued)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/jwt", response.Content.Headers.ContentType?.MediaType);
            var token = await response.Content.ReadAsStringAsync(ct);
            var jwt = Jwt.Parse(token);
            Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret), "a JWT issued during the outage does not verify with the key secret");
            Assert.Equal(AblyAuthServerFactory.KeyName, jwt.Header.GetProperty("kid").GetString());
            Assert.Equal("alice-1", jwt.ClientId);
            Assert.Contains("chat:*", jwt.Capability, StringComparison.Ordinal);
            Assert.True(jwt.Expires > jwt.IssuedAt);
        }

        await Problems.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, "Too many token requests for this account");
        Assert.Equal("42910", Assert.Single(refused.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.All(unavailable.GetMeasurementSnapshot(), m => Assert.Equal("token-limits", m.Tags["feature"]));
        var warning = Assert.Single(replica.Logs.GetSnapshot(), e => e.Category == typeof(SharedTokenLimits).FullName && e.Id.Id == 2001);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("each replica enforces them on its own counts", warning.Message, StringComparison.Ordinal);
    }
}
