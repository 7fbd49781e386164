using System.Net;
using System.Text.Json;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.IdentityProviders;

/// <summary>For a provider's caller, channel claims read the (prefixed) subject and the provider's <c>name</c> claim.</summary>
public sealed class IdentityProviderClaimTests : IAsyncLifetime
{
    private TestIssuer _issuer = null!;
    private AblyAuthServerFactory _factory = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        _factory = IssuerFixture.Factory(IssuerFixture.Settings(_issuer, extra: new Dictionary<string, string?>
        {
            ["Auth:Issuers:0:ClientIdClaim"] = "preferred_username",
            ["Auth:Issuers:0:ClientIdPrefix"] = "idp-",
            ["Policies:Roles:member:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:member:Capabilities:0:Operations:0"] = "publish",
            ["Policies:Roles:member:ChannelClaims:0:Channel"] = "chat:*",
            ["Policies:Roles:member:ChannelClaims:0:Value"] = """{"user":"{userName}","name":"{displayName}","by":"{clientId}"}""",
        }));
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    private async Task<JsonElement> ClaimFor(string token)
    {
        using var client = IssuerFixture.Bearer(_factory, token);
        var response = await client.GetAsync("/ably/token", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var claim = Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).Payload.GetProperty("ably.channel.chat:*").GetString()!;
        return JsonDocument.Parse(claim).RootElement.Clone();
    }

    [Fact]
    public async Task The_Subject_And_The_Name_Claim_Fill_UserName_And_DisplayName()
    {
        var claim = await ClaimFor(_issuer.Mint(b => b.Subject("sub-9").Claim("preferred_username", "kim").Name("Kim \"K\" Lee").Roles("member")));

        Assert.Equal("idp-sub-9", claim.GetProperty("user").GetString());
        Assert.Equal("Kim \"K\" Lee", claim.GetProperty("name").GetString());
        Assert.Equal("idp-kim", claim.GetProperty("by").GetString());
    }

    [Fact]
    public async Task Without_A_Name_Claim_The_Display_Name_Is_Empty()
    {
        var claim = await ClaimFor(_issuer.Mint(b => b.Subject("sub-9").Claim("preferred_username", "kim").Roles("member")));

        Assert.Equal(string.Empty, claim.GetProperty("name").GetString());
    }
}
