using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Throttling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tests.Integration;

public sealed class RateLimitingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Login_Attempts_Past_The_Per_Ip_Limit_Get_429_With_Retry_After_And_Recover_After_The_Window()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["RateLimiting:Login:PerIp:PermitLimit"] = "2",
            ["RateLimiting:Login:PerIp:Window"] = "00:00:02",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClientFrom("198.51.100.20");
        using var neighbour = factory.CreateClientFrom("198.51.100.21");

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, "alice")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(client, "someone-else", "wrong")).StatusCode);
        var limited = await LoginAsync(client, "alice");
        var fromElsewhere = await LoginAsync(neighbour, "alice");

        var problem = await Problems.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "Too many login attempts from this address");
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        var retryAfter = RetryAfterSeconds(limited);
        Assert.InRange(retryAfter, 1, 2);
        Assert.False(limited.Headers.Contains("X-Ably-ErrorCode"));
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(retryAfter + 0.2), Ct);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, "alice")).StatusCode);
    }

    [Fact]
    public async Task The_Per_Username_Limit_Applies_Across_Addresses_And_Looks_The_Same_For_Unknown_Names()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["RateLimiting:Login:PerUsername:PermitLimit"] = "2",
            ["RateLimiting:Login:PerUsername:Window"] = "00:00:02",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var first = factory.CreateClientFrom("198.51.100.30");
        using var second = factory.CreateClientFrom("198.51.100.31");
        using var third = factory.CreateClientFrom("198.51.100.32");

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(first, "alice")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(second, "ALICE", "wrong")).StatusCode);
        var known = await LoginAsync(third, "alice");
        await LoginAsync(first, "mallory", "wrong");
        await LoginAsync(second, "mallory", "wrong");
        var unknown = await LoginAsync(third, "mallory", "wrong");
        var otherName = await LoginAsync(third, "bob", "wrong");

        var knownProblem = await Problems.AssertProblemAsync(known, HttpStatusCode.TooManyRequests, "Too many login attempts for this user name");
        var unknownProblem = await Problems.AssertProblemAsync(unknown, HttpStatusCode.TooManyRequests);
        Assert.Equal(Problems.WithoutTraceId(knownProblem), Problems.WithoutTraceId(unknownProblem));
        Assert.Equal(known.Headers.Select(h => h.Key).Order(StringComparer.Ordinal), unknown.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
        Assert.InRange(RetryAfterSeconds(known), 1, 2);
        Assert.InRange(RetryAfterSeconds(unknown), 1, 2);
        Assert.Equal(HttpStatusCode.Unauthorized, otherName.StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(RetryAfterSeconds(known) + 0.2), Ct);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(third, "alice")).StatusCode);
    }

    [Fact]
    public async Task Token_Requests_Past_The_Per_User_Limit_Get_429_With_Ably_Error_Headers_And_Recover()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["RateLimiting:Tokens:PerUser:PermitLimit"] = "3",
            ["RateLimiting:Tokens:PerUser:Window"] = "00:00:02",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        await factory.CreateUserAsync("bob", ["member"]);
        var alice = (await factory.LoginAsync("alice")).SessionToken;
        using var aliceClient = factory.CreateBearerClient(alice);
        using var aliceBasic = factory.CreateClient();
        aliceBasic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + AblyAuthServerFactory.Password)));
        using var bobClient = factory.CreateBearerClient((await factory.LoginAsync("bob")).SessionToken);

        Assert.Equal(HttpStatusCode.OK, (await aliceClient.GetAsync("/ably/token", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await aliceClient.PostAsync("/ably/token-request", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await aliceBasic.GetAsync("/ably/token", Ct)).StatusCode);
        var limited = await aliceClient.GetAsync("/ably/token-request", Ct);
        var limitedBasic = await aliceBasic.GetAsync("/ably/token", Ct);
        var bob = await bobClient.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "Too many token requests for this account");
        Assert.Equal("42910", SecurityHeadersTests.Header(limited, "X-Ably-ErrorCode"));
        Assert.StartsWith("Too many token requests", SecurityHeadersTests.Header(limited, "X-Ably-ErrorMessage"), StringComparison.Ordinal);
        Assert.Equal("no-store", limited.Headers.CacheControl?.ToString());
        Assert.InRange(RetryAfterSeconds(limited), 1, 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedBasic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(RetryAfterSeconds(limited) + 0.2), Ct);
        Assert.Equal(HttpStatusCode.OK, (await aliceClient.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task Unauthenticated_Token_Requests_Are_Refused_With_401_Before_The_Per_User_Limit()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["RateLimiting:Tokens:PerUser:PermitLimit"] = "1" });
        using var client = factory.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        }
    }

    [Fact]
    public void The_Default_Limits_Are_10_Logins_Per_Ip_5_Per_Name_And_60_Tokens_Per_User_Each_Minute()
    {
        var options = new RateLimitingOptions();

        Assert.Equal((10, TimeSpan.FromMinutes(1)), (options.Login.PerIp.PermitLimit, options.Login.PerIp.Window));
        Assert.Equal((5, TimeSpan.FromMinutes(1)), (options.Login.PerUsername.PermitLimit, options.Login.PerUsername.Window));
        Assert.Equal((60, TimeSpan.FromMinutes(1)), (options.Tokens.PerUser.PermitLimit, options.Tokens.PerUser.Window));
    }

    [Fact]
    public async Task Setting_Only_A_Permit_Limit_Keeps_The_Default_Window()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["RateLimiting:Login:PerIp:PermitLimit"] = "3" });

        var options = factory.Services.GetRequiredService<IOptions<RateLimitingOptions>>().Value;

        Assert.Equal(3, options.Login.PerIp.PermitLimit);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Login.PerIp.Window);
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string userName, string password = AblyAuthServerFactory.Password) =>
        client.PostAsJsonAsync("/auth/login", new { username = userName, password }, Ct);

    private static int RetryAfterSeconds(HttpResponseMessage response) =>
        int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
}
