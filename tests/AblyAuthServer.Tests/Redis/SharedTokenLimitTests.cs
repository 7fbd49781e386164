using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Redis;

/// <summary>The per-user token limit is reconciled through Redis in batches: replicas together refuse a user over it.</summary>
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
}
