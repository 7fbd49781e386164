using System.Net;
using System.Text.Json;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>The discovery document and the key set: anonymous, public, cacheable briefly, and built from configuration only.</summary>
public sealed class KeyPublicationTests : IAsyncLifetime
{
    private readonly AblyAuthServerFactory _factory = new(EmbeddedTokenFixture.Settings(new Dictionary<string, string?>
    {
        // A trusted proxy, to show that even its X-Forwarded-Host cannot move the issuer or the key set's address.
        ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.1",
    }));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task The_Discovery_Document_Has_Every_Required_Field_And_Points_At_The_Key_Set()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync("/.well-known/openid-configuration", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var json = await response.Content.ReadAsStringAsync(Ct);
        var document = JsonDocument.Parse(json).RootElement;
        Assert.Equal(
            ["authorization_endpoint", "id_token_signing_alg_values_supported", "issuer", "jwks_uri", "response_types_supported", "subject_types_supported"],
            document.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        // The reader JwtBearer uses to discover an issuer.
        var configuration = OpenIdConnectConfiguration.Create(json);
        Assert.Equal(EmbeddedTokenFixture.Issuer, configuration.Issuer);
        Assert.Equal("http://localhost/.well-known/jwks.json", configuration.JwksUri);
        Assert.Equal("http://localhost/auth/login", configuration.AuthorizationEndpoint);
        Assert.Equal(["none"], configuration.ResponseTypesSupported);
        Assert.Equal(["public"], configuration.SubjectTypesSupported);
        Assert.Equal(["ES256"], configuration.IdTokenSigningAlgValuesSupported);
    }

    [Fact]
    public async Task Neither_Host_Nor_A_Trusted_Proxys_Forwarded_Host_Changes_The_Issuer_Or_The_Key_Set_Address()
    {
        using var client = _factory.CreateClientFrom("10.0.0.1", "http://attacker.example");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("evil", json, StringComparison.Ordinal);
        Assert.DoesNotContain("attacker", json, StringComparison.Ordinal);
        var configuration = OpenIdConnectConfiguration.Create(json);
        Assert.Equal(EmbeddedTokenFixture.Issuer, configuration.Issuer);
        Assert.Equal("http://localhost/.well-known/jwks.json", configuration.JwksUri);
    }

    [Fact]
    public async Task The_Key_Set_Publishes_Only_Public_P256_Signing_Keys()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync("/.well-known/jwks.json", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var key = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal(["alg", "crv", "kid", "kty", "use", "x", "y"], key.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.Equal(32, System.Buffers.Text.Base64Url.DecodeFromChars(key.GetProperty("x").GetString()).Length);
        Assert.Equal(32, System.Buffers.Text.Base64Url.DecodeFromChars(key.GetProperty("y").GetString()).Length);
        // The kid is the key's RFC 7638 thumbprint, recomputed here.
        var jwk = new Microsoft.IdentityModel.Tokens.JsonWebKey(key.GetRawText());
        Assert.Equal(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()), key.GetProperty("kid").GetString());
        Assert.False(jwk.HasPrivateKey);
    }

    [Theory]
    [InlineData("/.well-known/jwks.json")]
    [InlineData("/.well-known/openid-configuration")]
    public async Task Any_Origin_May_Read_The_Public_Documents_Without_Credentials(string path)
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", "https://some-api.example");
        using var preflight = new HttpRequestMessage(HttpMethod.Options, path);
        preflight.Headers.Add("Origin", "https://some-api.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");

        var response = await client.SendAsync(request, Ct);
        var preflighted = await client.SendAsync(preflight, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
        Assert.Equal(HttpStatusCode.NoContent, preflighted.StatusCode);
        Assert.Equal("*", Assert.Single(preflighted.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Theory]
    [InlineData("/.well-known/jwks.json")]
    [InlineData("/.well-known/openid-configuration")]
    public async Task Credentials_Sent_To_The_Public_Documents_Are_Ignored(string path)
    {
        using var client = _factory.CreateBearerClient("not-a-session");

        var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
