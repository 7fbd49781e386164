using System.Net;
using AblyAuthServer.Tests.IdentityProviders;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>An identity provider's caller gets an embedded token for its prefixed subject, ending no later than the provider's token.</summary>
public sealed class EmbeddedTokenIdentityProviderTests : IAsyncLifetime
{
    private TestIssuer _issuer = null!;
    private AblyAuthServerFactory _factory = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        _factory = IssuerFixture.Factory(IssuerFixture.Settings(_issuer, extra: EmbeddedTokenFixture.Settings(new Dictionary<string, string?>
        {
            ["Auth:Issuers:0:ClientIdClaim"] = "preferred_username",
            ["Auth:Issuers:0:ClientIdPrefix"] = "idp-",
        })));
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task The_Subject_Is_The_Prefixed_Provider_Subject_And_The_Token_Ends_With_The_Providers()
    {
        var providerToken = _issuer.Mint(b => b.Subject("sub-9").Claim("preferred_username", "kim").Roles("member").Lifetime(TimeSpan.FromMinutes(10)));
        using var client = IssuerFixture.Bearer(_factory, providerToken);

        var response = await client.GetAsync("/ably/embedded-token?ttl=3600000", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((await EmbeddedTokenFixture.ValidateAsync(_factory, token)).IsValid);
        var payload = Jwt.Parse(token);
        Assert.Equal("idp-sub-9", payload.Payload.GetProperty("sub").GetString());
        Assert.Equal("idp-kim", payload.Payload.GetProperty("ably_client_id").GetString());
        Assert.Equal(["member"], payload.Payload.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.True(payload.Expires <= Jwt.Parse(providerToken).Expires);
        var inner = Jwt.Parse(EmbeddedTokenFixture.AblyToken(token));
        Assert.Equal("idp-kim", inner.ClientId);
        Assert.Equal(inner.Expires, payload.Expires);
    }

    [Fact]
    public async Task A_Provider_Caller_Without_A_Known_Role_Gets_The_Same_403_As_From_Ably_Token()
    {
        using var client = IssuerFixture.Bearer(_factory, _issuer.Mint(b => b.Subject("sub-1").Claim("preferred_username", "lee").Roles("no-such-role")));

        var plain = await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Forbidden);
        var embedded = await Problems.AssertProblemAsync(await client.GetAsync("/ably/embedded-token", Ct), HttpStatusCode.Forbidden);

        Assert.Equal(plain.GetProperty("detail").GetString(), embedded.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_Expired_Provider_Token_Gets_401()
    {
        using var client = IssuerFixture.Bearer(_factory, _issuer.MintExpired(b => b.Roles("member")));

        var response = await client.GetAsync("/ably/embedded-token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("40100", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
    }
}
