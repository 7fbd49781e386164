using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>The Ably JWT inside an embedded token is the one /ably/token issues: the signing key, and the revocation key.</summary>
public sealed class EmbeddedTokenKeysTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Ably_Jwt_Inside_Is_Signed_By_The_Signing_Key_Of_Several_And_Carries_The_Sessions_Revocation_Key()
    {
        await using var ably = await AblyRestStandIn.StartAsync(
            [AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey), AblyRestStandInKey.Parse(AblyAuthServerFactory.SecondApiKey)]);
        await using var server = await RevocableServer.StartAsync(EmbeddedTokenFixture.Settings(new Dictionary<string, string?>
        {
            ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.SecondApiKey,
            ["Ably:SigningKeyName"] = AblyAuthServerFactory.SecondKeyName,
        }), ably: ably);
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);

        var embedded = await client.GetStringAsync("/ably/embedded-token", Ct);
        var plain = await client.GetStringAsync("/ably/token", Ct);

        var inner = EmbeddedTokenFixture.AblyToken(embedded);
        Assert.Equal(AblyAuthServerFactory.SecondKeyName, Jwt.Parse(inner).Header.GetProperty("kid").GetString());
        Assert.True(Jwt.HasValidSignature(inner, AblyAuthServerFactory.SecondSecret));
        var revocationKey = Jwt.Parse(inner).Payload.GetProperty("x-ably-revocation-key").GetString();
        Assert.Equal(Jwt.Parse(plain).Payload.GetProperty("x-ably-revocation-key").GetString(), revocationKey);
        Assert.Matches("^[A-Za-z0-9_-]{22}$", revocationKey);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1000 && e.Message.Contains("Issued embedded-token to alice", StringComparison.Ordinal)
            && e.Message.Contains($"kid {AblyAuthServerFactory.SecondKeyName}", StringComparison.Ordinal));
    }
}
