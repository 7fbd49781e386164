using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Authentication;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class PasswordCheckGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Password_Checks_Beyond_The_Concurrency_And_Queue_Limits_Get_429_While_Token_Refreshes_Go_Through()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Accounts:MaxConcurrentPasswordChecks"] = "1",
            ["Accounts:PasswordCheckQueueLimit"] = "0",
            // Slow enough that the first check is still running when the others arrive.
            ["Accounts:PasswordHashIterations"] = "1500000",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        var session = (await factory.LoginAsync("alice")).SessionToken;
        using var client = factory.CreateClient();
        using var tokens = factory.CreateBearerClient(session);

        var logins = Enumerable.Range(0, 4)
            .Select(_ => client.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, Ct))
            .ToArray();
        await Task.Delay(100, Ct);
        var clock = Stopwatch.StartNew();
        var refresh = await tokens.GetAsync("/ably/token", Ct);
        var refreshTime = clock.Elapsed;
        var responses = await Task.WhenAll(logins);

        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.True(refreshTime < TimeSpan.FromMilliseconds(500), $"a token refresh waited {refreshTime.TotalMilliseconds:0} ms behind password checks");
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(HttpStatusCode.OK, Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK).StatusCode);
        Assert.Equal(3, refused.Count);
        foreach (var response in refused)
        {
            await Problems.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, AuthProblems.PasswordChecksBusy);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }
    }
}
