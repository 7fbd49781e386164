using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.EmbeddedTokens;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>Settings that turn embedded tokens on, and checks of what the server publishes and signs.</summary>
public static class EmbeddedTokenFixture
{
    /// <summary>The test client's own origin: a loopback host, so plain http is accepted outside Development.</summary>
    public const string Issuer = "http://localhost";

    public const string Audience = "https://api.example.test";

    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EmbeddedTokens:Issuer"] = Issuer,
            ["EmbeddedTokens:Audience"] = Audience,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>The key set as the server publishes it, fetched over HTTP.</summary>
    public static async Task<string> KeySetJsonAsync(AblyAuthServerFactory factory)
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/.well-known/jwks.json", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The published kids, signer first.</summary>
    public static async Task<List<string>> PublishedKidsAsync(AblyAuthServerFactory factory) =>
        [.. JsonDocument.Parse(await KeySetJsonAsync(factory)).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];

    /// <summary>
    /// Verifies <paramref name="token"/> with Microsoft.IdentityModel against the served key set, as an API would, on the
    /// factory's clock.
    /// </summary>
    public static async Task<TokenValidationResult> ValidateAsync(AblyAuthServerFactory factory, string token, string audience = Audience)
    {
        var keys = new JsonWebKeySet(await KeySetJsonAsync(factory));
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = audience,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            // The lifetime on the factory's fake clock, with no skew allowed.
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } end && end > factory.Time.GetUtcNow().UtcDateTime && (notBefore is null || notBefore <= factory.Time.GetUtcNow().UtcDateTime),
        });
    }

    /// <summary>Verifies the ES256 signature by hand with the published key the header's kid names (no IdentityModel).</summary>
    public static async Task<bool> HasValidSignatureAsync(AblyAuthServerFactory factory, string token)
    {
        var kid = Jwt.Parse(token).Header.GetProperty("kid").GetString();
        var jwk = JsonDocument.Parse(await KeySetJsonAsync(factory)).RootElement.GetProperty("keys").EnumerateArray()
            .Single(k => k.GetProperty("kid").GetString() == kid);
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk.GetProperty("x").GetString()),
                Y = Base64Url.DecodeFromChars(jwk.GetProperty("y").GetString()),
            },
        });
        var lastDot = token.LastIndexOf('.');
        return ecdsa.VerifyData(Encoding.ASCII.GetBytes(token[..lastDot]), Base64Url.DecodeFromChars(token.AsSpan(lastDot + 1)), HashAlgorithmName.SHA256);
    }

    /// <summary>The embedded Ably JWT: the JOSE header's x-ably-token.</summary>
    public static string AblyToken(string token) => Jwt.Parse(token).Header.GetProperty("x-ably-token").GetString()!;

    /// <summary>Every stored signing key row, as the account store holds it.</summary>
    public static async Task<List<EmbeddedSigningKey>> StoredKeysAsync(AblyAuthServerFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AccountsDbContext>().EmbeddedSigningKeys.AsNoTracking()
            .OrderBy(k => k.Generation).ToListAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Runs the reload (and rotation) a replica runs on its timer, now.</summary>
    public static Task RefreshAsync(AblyAuthServerFactory factory) =>
        factory.Services.GetRequiredService<EmbeddedSigningKeys>().RefreshAsync(TestContext.Current.CancellationToken);
}
