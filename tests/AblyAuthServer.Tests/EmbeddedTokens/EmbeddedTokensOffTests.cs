using System.Net;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>Without EmbeddedTokens:Issuer the three endpoints exist, as the API describes them, and answer 404 to everyone.</summary>
public sealed class EmbeddedTokensOffTests : IAsyncLifetime
{
    private const string Detail = "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) is not set";
    private readonly AblyAuthServerFactory _factory = new(new Dictionary<string, string?> { ["EmbeddedTokens:Audience"] = "https://api.example.test" });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _factory.CreateUserAsync("alice", ["member"]);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Theory]
    [InlineData("GET", "/ably/embedded-token")]
    [InlineData("POST", "/ably/embedded-token")]
    [InlineData("GET", "/.well-known/jwks.json")]
    [InlineData("GET", "/.well-known/openid-configuration")]
    public async Task Every_Endpoint_Answers_404_Saying_Which_Setting_Is_Missing_Even_Without_Credentials(string method, string path)
    {
        using var client = _factory.CreateClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.NotFound, Detail);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_Logged_In_Caller_Gets_The_Same_404_With_Ablys_Error_Headers_And_No_Key_Is_Created()
    {
        using var client = _factory.CreateBearerClient((await _factory.LoginAsync("alice")).SessionToken);

        var response = await client.PostAsync("/ably/embedded-token", new FormUrlEncodedContent(new Dictionary<string, string> { ["ttl"] = "60000" }), Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.NotFound, Detail);
        Assert.Equal("40000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.StartsWith(Detail, Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage")), StringComparison.Ordinal);
        Assert.Empty(await EmbeddedTokenFixture.StoredKeysAsync(_factory));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
    }
}
