using System.Buffers.Text;
using System.Net;
using AblyAuthServer.EmbeddedTokens;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>Even at Trace level, no log event carries an embedded token, the Ably JWT inside it, or the signing key.</summary>
public sealed class EmbeddedTokenLoggingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_Log_Event_At_Any_Level_Contains_An_Embedded_Token_Or_The_Private_Signing_Key()
    {
        await using var factory = new AblyAuthServerFactory(EmbeddedTokenFixture.Settings(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
        }));
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateBearerClient((await factory.LoginAsync("alice")).SessionToken);

        var response = await client.GetAsync("/ably/embedded-token", Ct);
        var token = await response.Content.ReadAsStringAsync(Ct);
        await client.GetAsync("/.well-known/jwks.json", Ct);
        await EmbeddedTokenFixture.RefreshAsync(factory);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var signer = await factory.Services.GetRequiredService<EmbeddedSigningKeys>().SignerAsync(Ct);
        var d = ((ECDsaSecurityKey)signer!.Credentials!.Key).ECDsa.ExportParameters(includePrivateParameters: true).D!;
        var inner = EmbeddedTokenFixture.AblyToken(token);
        var stored = Assert.Single(await EmbeddedTokenFixture.StoredKeysAsync(factory)).ProtectedPrivateKey;
        string[] secrets =
        [
            token, token[(token.LastIndexOf('.') + 1)..], token.Split('.')[0], inner, inner[(inner.LastIndexOf('.') + 1)..],
            Base64Url.EncodeToString(d), Convert.ToBase64String(d), stored[..64],
        ];
        var entries = factory.Logs.GetSnapshot();
        Assert.Contains(entries, e => e.Id.Id == 6000);
        Assert.Contains(entries, e => e.Id.Id == 1000 && e.Message.StartsWith("Issued embedded-token to alice", StringComparison.Ordinal));
        foreach (var entry in entries)
        {
            foreach (var secret in secrets)
            {
                Assert.False(entry.AllText().Contains(secret, StringComparison.Ordinal), $"[{entry.Category}/{entry.Id}] logs a secret: {entry.Message}");
            }
        }
    }
}
