using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Authentication.IdentityProviders;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.IdentityProviders;

/// <summary>
/// An identity provider's JWT, checked by the framework's JwtBearer against a real issuer on loopback (discovery and a
/// JWKS with an RSA and an EC key), is exchanged for an Ably JWT or TokenRequest; every kind of refusal is 401 (ask the
/// provider for a fresh token) or 403 (retrying cannot help).
/// </summary>
public sealed class IdentityProviderTokenTests : IAsyncLifetime
{
    private TestIssuer _issuer = null!;
    private AblyAuthServerFactory _factory = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        _factory = IssuerFixture.Factory(IssuerFixture.Settings(_issuer));
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.EcdsaSha256)]
    public async Task A_Provider_Token_Gets_An_Ably_Jwt_For_Its_Subject_With_The_Capability_Of_Its_Roles(string algorithm)
    {
        var token = _issuer.Mint(b => b.Algorithm(algorithm).Subject("user-42").Roles("viewer"));
        using var client = IssuerFixture.Bearer(_factory, token);

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jwt", response.Content.Headers.ContentType?.MediaType);
        var jwt = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(Jwt.HasValidSignature(jwt, AblyAuthServerFactory.Secret));
        var parsed = Jwt.Parse(jwt);
        Assert.Equal(AblyAuthServerFactory.KeyName, parsed.Header.GetProperty("kid").GetString());
        Assert.Equal("user-42", parsed.ClientId);
        Assert.Equal("""{"chat:*":["history","subscribe"]}""", parsed.Capability);
    }

    [Fact]
    public async Task Several_Roles_Grant_The_Union_Of_Their_Policies_With_Templates_Filled_From_The_ClientId()
    {
        var token = _issuer.Mint(b => b.Subject("user-7").Roles("viewer", "templated", "no-such-role"));
        using var client = IssuerFixture.Bearer(_factory, token);

        var response = await client.GetAsync("/ably/token-request", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = (await response.Content.ReadFromJsonAsync<TokenRequest>(Ct))!;
        Assert.Equal("user-7", request.ClientId);
        Assert.Equal("""{"chat:*":["history","subscribe"],"user:user-7:inbox":["subscribe"]}""", request.Capability);
    }

    [Fact]
    public async Task The_Ably_Token_Never_Outlives_The_Provider_Token()
    {
        var token = _issuer.Mint(b => b.Roles("viewer").Lifetime(TimeSpan.FromMinutes(10)));
        var providerExpiry = Jwt.Parse(token).Expires;
        using var client = IssuerFixture.Bearer(_factory, token);

        var jwt = Jwt.Parse(await (await client.GetAsync("/ably/token?ttl=3600000", Ct)).Content.ReadAsStringAsync(Ct));
        var request = (await (await client.GetAsync("/ably/token-request?ttl=3600000", Ct)).Content.ReadFromJsonAsync<TokenRequest>(Ct))!;

        Assert.True(jwt.Expires <= providerExpiry, $"Ably exp {jwt.Expires} is after the provider token's exp {providerExpiry}");
        Assert.InRange(jwt.Expires - jwt.IssuedAt, 590, 600);
        Assert.True(request.Timestamp + request.Ttl <= providerExpiry * 1000);
    }

    public static TheoryData<string> NotAcceptableNow => new()
    {
        "expired", "not yet valid", "another audience", "a flipped signature byte", "alg none", "HS256 with the public key as PEM",
        "HS256 with the public key as DER", "HS256 with the JWK modulus", "a key from another issuer", "an unknown kid",
    };

    [Theory]
    [MemberData(nameof(NotAcceptableNow))]
    public async Task A_Token_That_Is_Not_Acceptable_Now_Gets_401_So_The_Sdk_Asks_For_A_Fresh_One(string defect)
    {
        using var refused = new MetricCollector<long>(_factory.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.issuer.refusals");
        var token = Defective(defect);
        using var client = IssuerFixture.Bearer(_factory, token);

        var response = await client.GetAsync("/ably/token", Ct);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "get a fresh token from the provider");
        Assert.Equal("40100", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, problem.ToString(), StringComparison.Ordinal);
        var measurement = Assert.Single(refused.GetMeasurementSnapshot());
        Assert.Equal(_issuer.Issuer, measurement.Tags["issuer"]);
        Assert.Equal("invalid", measurement.Tags["reason"]);
    }

    [Fact]
    public async Task A_Token_Of_An_Issuer_Not_Configured_Is_Refused_Like_Any_Unknown_Bearer()
    {
        using var client = IssuerFixture.Bearer(_factory, _issuer.MintWithWrongIssuer(b => b.Roles("viewer")));

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("40100", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
    }

    [Theory]
    [InlineData("no clientId claim", "no 'sub' claim")]
    [InlineData("a clientId with ':'", "channel policies cannot carry")]
    [InlineData("a clientId of '*'", "channel policies cannot carry")]
    [InlineData("no known role", "no role that a policy here defines")]
    public async Task A_Token_That_Can_Never_Get_An_Ably_Token_Gets_403_So_The_Sdk_Stops(string defect, string detail)
    {
        var token = _issuer.Mint(b =>
        {
            b.Roles("viewer");
            switch (defect)
            {
                case "no clientId claim": b.Without("sub"); break;
                case "a clientId with ':'": b.Subject("a:b"); break;
                case "a clientId of '*'": b.Subject("*"); break;
                default: b.Roles("no-such-role"); break;
            }
        });
        using var client = IssuerFixture.Bearer(_factory, token);

        var jwt = await client.GetAsync("/ably/token", Ct);
        var tokenRequest = await client.PostAsync("/ably/token-request", null, Ct);

        await Problems.AssertProblemAsync(jwt, HttpStatusCode.Forbidden, detail);
        Assert.Equal("40300", Assert.Single(jwt.Headers.GetValues("X-Ably-ErrorCode")));
        await Problems.AssertProblemAsync(tokenRequest, HttpStatusCode.Forbidden, detail);
    }

    [Fact]
    public async Task Token_Parameters_Narrow_A_Provider_Callers_Grant_As_They_Do_An_Accounts_And_Never_Widen_It()
    {
        using var client = IssuerFixture.Bearer(_factory, _issuer.Mint(b => b.Subject("user-9").Roles("viewer")));

        var narrowed = Jwt.Parse(await client.GetStringAsync("/ably/token?capability=" + Uri.EscapeDataString("""{"chat:lobby":["subscribe","publish"],"admin:*":["*"]}"""), Ct));
        var otherClientId = await client.GetAsync("/ably/token?clientId=someone-else", Ct);

        Assert.Equal("""{"chat:lobby":["subscribe"]}""", narrowed.Capability);
        await Problems.AssertProblemAsync(otherClientId, HttpStatusCode.Forbidden, "clientId is not allowed");
    }

    [Fact]
    public async Task Every_Issuance_Is_Audited_With_The_Issuer_And_Subject_And_Counted_By_Source()
    {
        using var issued = new MetricCollector<long>(_factory.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.tokens.issued");
        using var client = IssuerFixture.Bearer(_factory, _issuer.Mint(b => b.Subject("user-3").Roles("viewer")));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);

        var audit = Assert.Single(_factory.Logs.GetSnapshot(), e => e.Id.Id == 1001);
        Assert.Equal(LogLevel.Information, audit.Level);
        Assert.StartsWith($"Issued jwt to subject user-3 of {_issuer.Issuer}: clientId user-3", audit.Message, StringComparison.Ordinal);
        var measurement = Assert.Single(issued.GetMeasurementSnapshot());
        Assert.Equal(_issuer.Issuer, measurement.Tags["source"]);
    }

    [Fact]
    public async Task A_Session_Token_Still_Works_Beside_The_Provider_And_Never_Reaches_It()
    {
        await _factory.CreateUserAsync("alice", ["member"]);
        var session = (await _factory.LoginAsync("alice")).SessionToken;
        _issuer.ResetCounts();
        using var client = _factory.CreateBearerClient(session);

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).ClientId);
        Assert.Equal(0, _issuer.DiscoveryRequests + _issuer.JwksRequests);
    }

    [Fact]
    public void The_Unverified_Issuer_Is_Read_Only_From_A_Compact_Jws_Payload()
    {
        var token = _issuer.Mint();

        Assert.Equal(_issuer.Issuer, IssuerCallerSource.UnverifiedIssuer(token));
        Assert.Null(IssuerCallerSource.UnverifiedIssuer("no-dots-like-a-session-token"));
        Assert.Null(IssuerCallerSource.UnverifiedIssuer("a.b"));
        Assert.Null(IssuerCallerSource.UnverifiedIssuer("a.b.c.d"));
        Assert.Null(IssuerCallerSource.UnverifiedIssuer("e30.!!!.x"));
        Assert.Null(IssuerCallerSource.UnverifiedIssuer("e30." + ForgedJws.Segment(new { iss = 42 }) + ".x"));
    }

    private string Defective(string defect) => defect switch
    {
        "expired" => _issuer.MintExpired(b => b.Roles("viewer")),
        "not yet valid" => _issuer.MintNotYetValid(b => b.Roles("viewer")),
        "another audience" => _issuer.MintWithWrongAudience(b => b.Roles("viewer")),
        "a flipped signature byte" => _issuer.MintWithBadSignature(b => b.Roles("viewer")),
        "alg none" => _issuer.MintUnsigned(b => b.Roles("viewer")),
        "HS256 with the public key as PEM" => _issuer.MintAlgorithmConfusion(ForgedJws.ConfusionSecret.PublicKeyPem, b => b.Roles("viewer")),
        "HS256 with the public key as DER" => _issuer.MintAlgorithmConfusion(ForgedJws.ConfusionSecret.PublicKeyDer, b => b.Roles("viewer")),
        "HS256 with the JWK modulus" => _issuer.MintAlgorithmConfusion(ForgedJws.ConfusionSecret.JwkModulus, b => b.Roles("viewer")),
        "a key from another issuer" => _issuer.MintWithForeignKey(reuseKnownKid: true, b => b.Roles("viewer")),
        "an unknown kid" => _issuer.MintWithUnknownKid(b => b.Roles("viewer")),
        _ => throw new ArgumentOutOfRangeException(nameof(defect)),
    };
}
