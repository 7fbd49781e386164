using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using AblyAuthServer.Ably;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Hardening;

/// <summary>No token outlives the credential that minted it, and the default ceiling is one hour.</summary>
public sealed class TokenLifetimeTests : IAsyncLifetime
{
    private readonly AblyAuthServerFactory _factory = new(new Dictionary<string, string?> { ["Sessions:Lifetime"] = "00:10:00" });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _factory.CreateUserAsync("alice", ["member"]);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task A_Session_Token_Never_Gets_A_Token_That_Outlives_The_Session()
    {
        var login = await _factory.LoginAsync("alice");
        using var client = _factory.CreateBearerClient(login.SessionToken);

        var early = Jwt.Parse(await (await client.GetAsync("/ably/token?ttl=3600000", Ct)).Content.ReadAsStringAsync(Ct));
        _factory.Time.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromMilliseconds(500));
        var late = Jwt.Parse(await (await client.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct));
        var lateRequest = (await (await client.GetAsync("/ably/token-request?ttl=3600000", Ct)).Content.ReadFromJsonAsync<TokenRequest>(Ct))!;

        var sessionEnd = login.ExpiresAt.ToUnixTimeSeconds();
        Assert.Equal(600, early.Expires - early.IssuedAt);
        Assert.Equal(sessionEnd, early.Expires);
        Assert.True(late.Expires <= sessionEnd, $"exp {late.Expires} is after the session's end {sessionEnd}");
        Assert.Equal(sessionEnd, late.Expires);
        Assert.Equal(59_500, lateRequest.Ttl);
        Assert.True(lateRequest.Timestamp + lateRequest.Ttl <= login.ExpiresAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_Session_With_Under_A_Second_Left_Gets_401()
    {
        var login = await _factory.LoginAsync("alice");
        using var client = _factory.CreateBearerClient(login.SessionToken);
        _factory.Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(999));

        var jwt = await client.GetAsync("/ably/token", Ct);
        var tokenRequest = await client.GetAsync("/ably/token-request", Ct);

        await Problems.AssertProblemAsync(jwt, HttpStatusCode.Unauthorized, "under a second");
        Assert.Equal("40100", Assert.Single(jwt.Headers.GetValues("X-Ably-ErrorCode")));
        await Problems.AssertProblemAsync(tokenRequest, HttpStatusCode.Unauthorized, "under a second");
    }

    [Fact]
    public async Task Basic_Credentials_Have_No_End_Of_Their_Own_So_Only_The_One_Hour_Default_Maximum_Applies()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:" + AblyAuthServerFactory.Password)));

        var response = await client.GetAsync("/ably/token?ttl=86400000", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwt = Jwt.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(3600, jwt.Expires - jwt.IssuedAt);
    }
}
