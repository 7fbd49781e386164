using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.StandIns;

/// <summary>
/// The stand-in issuer is only worth testing a server against if the libraries JwtBearer is built on read it as a real
/// issuer, and reject its bad tokens for the reason each was made to exhibit.
/// </summary>
public sealed class TestIssuerTests : IAsyncLifetime
{
    private const string Rs256 = SecurityAlgorithms.RsaSha256;
    private const string Es256 = SecurityAlgorithms.EcdsaSha256;
    private static readonly string[] MemberRole = ["member"];
    private static readonly string[] ServiceRole = ["service"];
    private static readonly string[] TwoAudiences = ["a", "b"];

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private TestIssuer _issuer = null!;

    public async ValueTask InitializeAsync() => _issuer = await TestIssuer.StartAsync(cancellationToken: Ct);

    public async ValueTask DisposeAsync()
    {
        await _issuer.DisposeAsync();
        _http.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Discovery_Document_And_Jwks_Pass_The_OpenIdConnect_Validator_JwtBearer_Uses()
    {
        var configuration = await NewManager().GetConfigurationAsync(Ct);

        Assert.StartsWith("http://127.0.0.1:", _issuer.BaseUrl, StringComparison.Ordinal);
        Assert.Equal(_issuer.BaseUrl, configuration.Issuer);
        Assert.Equal(_issuer.JwksUri, configuration.JwksUri);
        Assert.Equal(["RS256", "ES256"], configuration.IdTokenSigningAlgValuesSupported);
        Assert.Contains("code", configuration.ResponseTypesSupported);
        Assert.Equal(["public"], configuration.SubjectTypesSupported);
        Assert.NotEmpty(configuration.AuthorizationEndpoint);
        Assert.Equal(["rsa-1", "ec-1"], configuration.SigningKeys.Select(k => k.KeyId));
        Assert.IsType<RsaSecurityKey>(configuration.SigningKeys.First(), exactMatch: false);
        Assert.Equal((1, 1), (_issuer.DiscoveryRequests, _issuer.JwksRequests));
    }

    [Fact]
    public async Task An_Issuer_Identifier_Other_Than_The_Address_Is_Served_In_The_Document_And_Minted_As_Iss()
    {
        await using var issuer = await TestIssuer.StartAsync(new TestIssuerOptions { Issuer = "https://tenant.example.test/" }, Ct);

        var configuration = await NewManager(issuer).GetConfigurationAsync(Ct);
        var result = await ValidateAsync(issuer.Mint(), configuration, issuer);

        Assert.Equal("https://tenant.example.test/", configuration.Issuer);
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("https://tenant.example.test/", result.Issuer);
    }

    [Fact]
    public async Task A_Discovery_Document_Edited_To_Lose_Its_Jwks_Uri_Is_Refused_By_The_Validator()
    {
        await using var issuer = await TestIssuer.StartAsync(new TestIssuerOptions { EditDiscovery = document => document.Remove("jwks_uri") }, Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NewManager(issuer).GetConfigurationAsync(Ct));

        Assert.Contains("IDX20803", error.Message, StringComparison.Ordinal);
        Assert.Equal((1, 0), (issuer.DiscoveryRequests, issuer.JwksRequests));
    }

    [Theory]
    [InlineData(Rs256, "rsa-1")]
    [InlineData(Es256, "ec-1")]
    public async Task Good_Tokens_Of_Either_Algorithm_Validate_Against_The_Fetched_Keys(string algorithm, string keyId)
    {
        var configuration = await NewManager().GetConfigurationAsync(Ct);
        var token = _issuer.Mint(b => b.Algorithm(algorithm).Subject("alice").Roles("member"));

        var result = await ValidateAsync(token, configuration);

        Assert.True(result.IsValid, result.Exception?.Message);
        var header = Jwt.Parse(token).Header;
        Assert.Equal(algorithm, header.GetProperty("alg").GetString());
        Assert.Equal(keyId, header.GetProperty("kid").GetString());
        Assert.Equal("JWT", header.GetProperty("typ").GetString());
        Assert.Equal(keyId, result.SecurityToken.SigningKey.KeyId);
        Assert.Equal("alice", result.Claims["sub"]);
        Assert.Equal(_issuer.Audience, result.Claims["aud"]);
    }

    [Fact]
    public async Task Minted_Claims_Keep_The_Json_Shapes_Real_Issuers_Use()
    {
        var token = _issuer.Mint(b => b
            .Subject("auth0|5f7c8ec7c33c6c004bbafe82")
            .AudienceArray(TestIssuerOptions.DefaultAudience)
            .Role("viewer")
            .RolesIn("https://example.com/roles", "member", "viewer")
            .ClaimAt(["realm_access", "roles"], MemberRole)
            .ClaimAt(["resource_access", "ably", "roles"], ServiceRole)
            .Name("Alice Example")
            .ClientId("svc-client")
            .Claim("email_verified", true)
            .Claim("tenant", 42)
            .Without("nbf"));

        var payload = Jwt.Parse(token).Payload;

        Assert.Equal(JsonValueKind.Array, payload.GetProperty("aud").ValueKind);
        Assert.Equal("viewer", payload.GetProperty("roles").GetString());
        Assert.Equal(["member", "viewer"], payload.GetProperty("https://example.com/roles").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("member", payload.GetProperty("realm_access").GetProperty("roles")[0].GetString());
        Assert.Equal("service", payload.GetProperty("resource_access").GetProperty("ably").GetProperty("roles")[0].GetString());
        Assert.Equal("Alice Example", payload.GetProperty("name").GetString());
        Assert.Equal("svc-client", payload.GetProperty("client_id").GetString());
        Assert.True(payload.GetProperty("email_verified").GetBoolean());
        Assert.Equal(42, payload.GetProperty("tenant").GetInt32());
        Assert.False(payload.TryGetProperty("nbf", out _));
        Assert.Equal(3600, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        Assert.True((await ValidateAsync(token, await NewManager().GetConfigurationAsync(Ct))).IsValid);
    }

    [Fact]
    public void Exact_Claims_Are_Signed_As_Given_With_No_Times_Added()
    {
        var token = _issuer.Mint(new Dictionary<string, object?> { ["sub"] = "bare", ["aud"] = TwoAudiences }, Es256);

        var jwt = Jwt.Parse(token);

        Assert.Equal(["sub", "aud"], jwt.ClaimNames);
        Assert.Equal("ec-1", jwt.Header.GetProperty("kid").GetString());
    }

    [Fact]
    public async Task Tokens_Follow_The_Configured_Clock()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var issuer = await TestIssuer.StartAsync(new TestIssuerOptions { Time = clock, TokenLifetime = TimeSpan.FromMinutes(5) }, Ct);

        var jwt = Jwt.Parse(issuer.Mint());

        Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds(), jwt.IssuedAt);
        Assert.Equal(300, jwt.Expires - jwt.IssuedAt);
    }

    public static TheoryData<string, Type> BadTokens => new()
    {
        { "expired", typeof(SecurityTokenExpiredException) },
        { "not yet valid", typeof(SecurityTokenNotYetValidException) },
        { "wrong issuer", typeof(SecurityTokenInvalidIssuerException) },
        { "wrong audience", typeof(SecurityTokenInvalidAudienceException) },
        { "flipped signature byte RS256", typeof(SecurityTokenInvalidSignatureException) },
        { "flipped signature byte ES256", typeof(SecurityTokenInvalidSignatureException) },
        { "alg none", typeof(SecurityTokenInvalidSignatureException) },
        { "alg None", typeof(SecurityTokenInvalidSignatureException) },
        { "unknown kid RS256", typeof(SecurityTokenSignatureKeyNotFoundException) },
        { "unknown kid ES256", typeof(SecurityTokenSignatureKeyNotFoundException) },
        { "foreign key with its own kid", typeof(SecurityTokenSignatureKeyNotFoundException) },
        { "foreign key reusing the issuer's kid", typeof(SecurityTokenInvalidSignatureException) },
        { "retired key", typeof(SecurityTokenSignatureKeyNotFoundException) },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Each_Bad_Token_Fails_Validation_For_The_Reason_It_Was_Made_To_Exhibit(string defect, Type expected)
    {
        var retired = _issuer.AddKey(Rs256, "retired-rsa", publish: false, makeCurrent: false);
        var configuration = await NewManager().GetConfigurationAsync(Ct);
        static void Member(TestTokenBuilder b) => b.Subject("alice").Roles("member");
        var token = defect switch
        {
            "expired" => _issuer.MintExpired(Member),
            "not yet valid" => _issuer.MintNotYetValid(Member),
            "wrong issuer" => _issuer.MintWithWrongIssuer(Member),
            "wrong audience" => _issuer.MintWithWrongAudience(Member),
            "flipped signature byte RS256" => _issuer.MintWithBadSignature(Member),
            "flipped signature byte ES256" => _issuer.MintWithBadSignature(b => Member(b.Algorithm(Es256))),
            "alg none" => _issuer.MintUnsigned(Member),
            "alg None" => _issuer.MintUnsigned(Member, algValue: "None"),
            "unknown kid RS256" => _issuer.MintWithUnknownKid(Member),
            "unknown kid ES256" => _issuer.MintWithUnknownKid(b => Member(b.Algorithm(Es256))),
            "foreign key with its own kid" => _issuer.MintWithForeignKey(configure: Member),
            "foreign key reusing the issuer's kid" => _issuer.MintWithForeignKey(reuseKnownKid: true, configure: Member),
            "retired key" => _issuer.Mint(b => Member(b.KeyId(retired.KeyId))),
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };

        var result = await ValidateAsync(token, configuration);

        Assert.False(result.IsValid, $"{defect} validated");
        Assert.IsType(expected, result.Exception);
        Assert.Equal("alice", Jwt.Parse(token).Payload.GetProperty("sub").GetString());
    }

    [Theory]
    [InlineData(ForgedJws.ConfusionSecret.PublicKeyPem)]
    [InlineData(ForgedJws.ConfusionSecret.PublicKeyDer)]
    [InlineData(ForgedJws.ConfusionSecret.JwkModulus)]
    [InlineData(ForgedJws.ConfusionSecret.JwkModulusText)]
    public async Task An_Hs256_Token_Keyed_With_The_Public_Rsa_Key_Verifies_Only_For_A_Verifier_That_Trusts_The_Header(ForgedJws.ConfusionSecret secret)
    {
        var configuration = await NewManager().GetConfigurationAsync(Ct);
        var token = _issuer.MintAlgorithmConfusion(secret, b => b.Subject("mallory").Roles("service"));
        var header = Jwt.Parse(token).Header;

        var naive = await Handler.ValidateTokenAsync(token, Parameters(configuration, _issuer, [new SymmetricSecurityKey(ForgedJws.ConfusionKey(_issuer.CurrentKey(Rs256), secret))], algorithms: null));
        var frameworkDefaults = await ValidateAsync(token, configuration, pinAlgorithms: false);
        var pinnedAlgorithms = await ValidateAsync(token, configuration);

        Assert.Equal(("HS256", "rsa-1"), (header.GetProperty("alg").GetString(), header.GetProperty("kid").GetString()));
        Assert.True(naive.IsValid, "the forgery is only a real attack if HMAC over the public key material verifies it");
        // The kid selects the RSA key, which cannot check an HMAC: IDX10511, whether or not the algorithms are pinned.
        Assert.IsType<SecurityTokenInvalidSignatureException>(frameworkDefaults.Exception);
        Assert.IsType<SecurityTokenInvalidSignatureException>(pinnedAlgorithms.Exception);
        Assert.Contains("IDX10511", pinnedAlgorithms.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_Leaves_A_Cached_Configuration_Blind_To_The_New_Kid_Until_One_Refresh_Fetches_It()
    {
        var manager = NewManager();
        var before = await manager.GetConfigurationAsync(Ct);
        var oldToken = _issuer.Mint();

        var rotated = _issuer.RotateKey(Rs256);
        var newToken = _issuer.Mint();
        var cached = await manager.GetConfigurationAsync(Ct);

        Assert.Same(before, cached);
        Assert.Equal(1, _issuer.JwksRequests);
        Assert.Equal("rsa-2", rotated.KeyId);
        Assert.Equal(["ec-1", "rsa-2"], _issuer.PublishedKeyIds);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>((await ValidateAsync(newToken, cached)).Exception);

        // IdentityModel 8 refreshes in the background: the read right after RequestRefresh still returns the stale
        // configuration, so JwtBearer fails the request that found the unknown kid and only later ones see the new key.
        manager.RequestRefresh();
        var refreshed = await UntilAsync(() => manager.GetConfigurationAsync(Ct), c => c.SigningKeys.Any(k => k.KeyId == rotated.KeyId));

        Assert.True((await ValidateAsync(newToken, refreshed)).IsValid);
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>((await ValidateAsync(oldToken, refreshed)).Exception);
        Assert.Equal(2, _issuer.JwksRequests);

        // A second kid miss right away is throttled by the manager's RefreshInterval: the issuer sees no new request.
        manager.RequestRefresh();
        await manager.GetConfigurationAsync(Ct);
        await Task.Delay(200, Ct);
        Assert.Equal((2, 2), (_issuer.DiscoveryRequests, _issuer.JwksRequests));
    }

    [Fact]
    public async Task A_Key_Signed_With_Before_It_Is_Published_Is_Unknown_Until_The_Jwks_Lists_It()
    {
        var early = _issuer.AddKey(Es256, "ec-next", publish: false, makeCurrent: false);
        var token = _issuer.Mint(b => b.KeyId(early.KeyId));

        var before = await ValidateAsync(token, await NewManager().GetConfigurationAsync(Ct));
        _issuer.PublishKey(early.KeyId);
        var after = await ValidateAsync(token, await NewManager().GetConfigurationAsync(Ct));

        Assert.Equal("ES256", Jwt.Parse(token).Header.GetProperty("alg").GetString());
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(before.Exception);
        Assert.True(after.IsValid, after.Exception?.Message);
    }

    [Fact]
    public async Task An_Issuer_That_Stops_Answering_Refuses_Connections_Then_Comes_Back_On_The_Same_Port()
    {
        var port = _issuer.Port;

        await _issuer.StopAnsweringAsync();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => _http.GetAsync(_issuer.MetadataAddress, Ct));
        var noConfiguration = await Assert.ThrowsAsync<InvalidOperationException>(() => NewManager().GetConfigurationAsync(Ct));

        Assert.Equal(TestIssuer.Availability.Refusing, _issuer.State);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        Assert.Contains("IDX20803", noConfiguration.Message, StringComparison.Ordinal);
        Assert.Equal(0, _issuer.DiscoveryRequests);

        await _issuer.ResumeAsync(Ct);
        var response = await _http.GetAsync(_issuer.JwksUri, Ct);

        Assert.Equal(port, _issuer.Port);
        Assert.Equal(TestIssuer.Availability.Answering, _issuer.State);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_Cached_Configuration_Outlives_The_Issuer_Going_Down()
    {
        var manager = NewManager();
        var before = await manager.GetConfigurationAsync(Ct);

        await _issuer.StopAnsweringAsync();
        manager.RequestRefresh();
        var during = await manager.GetConfigurationAsync(Ct);

        Assert.Same(before, during);
        Assert.True((await ValidateAsync(_issuer.Mint(), during)).IsValid);
    }

    [Fact]
    public async Task A_Hanging_Issuer_Accepts_And_Counts_Requests_But_Answers_Only_Once_Resumed()
    {
        await _issuer.HangAsync(Ct);
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(500) };

        var timedOut = await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync(_issuer.MetadataAddress, Ct));
        var waiting = _http.GetAsync(_issuer.JwksUri, Ct);
        await UntilAsync(() => Task.FromResult(_issuer.JwksRequests), count => count == 1);

        Assert.IsType<TimeoutException>(timedOut.InnerException);
        Assert.Equal(TestIssuer.Availability.Hanging, _issuer.State);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, _issuer.DiscoveryRequests);

        await _issuer.ResumeAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, (await waiting).StatusCode);
    }

    [Fact]
    public async Task A_Hanging_Issuer_Leaves_A_Manager_Without_Configuration_To_Time_Out()
    {
        await _issuer.HangAsync(Ct);
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NewManager(http: impatient).GetConfigurationAsync(Ct));

        Assert.Contains("IDX20803", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Slow_Issuer_Answers_After_The_Delay()
    {
        _issuer.ResponseDelay = TimeSpan.FromMilliseconds(400);
        var stopwatch = Stopwatch.StartNew();

        var configuration = await NewManager().GetConfigurationAsync(Ct);

        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(800), $"two requests took {stopwatch.Elapsed}");
        Assert.Equal(2, configuration.SigningKeys.Count);
    }

    [Fact]
    public async Task Shared_Secret_Hs256_Tokens_Verify_With_The_Secret_And_Nothing_Else()
    {
        const string secret = "super-secret-jwt-token-with-at-least-32-characters-long";
        var token = TestIssuer.MintHs256(secret, b => b
            .Issuer("https://project-ref.supabase.co/auth/v1")
            .Audience("authenticated")
            .Subject("8d4f1c2e-5b6a-4c3d-9e8f-7a6b5c4d3e2f")
            .Claim("role", "authenticated"));

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = "https://project-ref.supabase.co/auth/v1",
            ValidAudience = "authenticated",
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)),
        };
        var good = await Handler.ValidateTokenAsync(token, parameters);
        parameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret + "-other"));
        var wrongSecret = await Handler.ValidateTokenAsync(token, parameters);

        Assert.True(good.IsValid, good.Exception?.Message);
        Assert.True(Jwt.HasValidSignature(token, secret));
        Assert.Equal("HS256", Jwt.Parse(token).Header.GetProperty("alg").GetString());
        Assert.IsType<SecurityTokenSignatureKeyNotFoundException>(wrongSecret.Exception, exactMatch: false);
    }

    private static readonly JsonWebTokenHandler Handler = new();

    private ConfigurationManager<OpenIdConnectConfiguration> NewManager(TestIssuer? issuer = null, HttpClient? http = null) =>
        new(
            (issuer ?? _issuer).MetadataAddress,
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http ?? _http) { RequireHttps = false },
            new OpenIdConnectConfigurationValidator());

    /// <summary>With <paramref name="pinAlgorithms"/> false, JwtBearer's default: any algorithm the key can do.</summary>
    private Task<TokenValidationResult> ValidateAsync(string token, OpenIdConnectConfiguration configuration, TestIssuer? issuer = null, bool pinAlgorithms = true) =>
        Handler.ValidateTokenAsync(token, Parameters(configuration, issuer ?? _issuer, configuration.SigningKeys, pinAlgorithms ? [Rs256, Es256] : null));

    /// <summary>What JwtBearer derives from the issuer's configuration, plus the audience the server expects.</summary>
    private static TokenValidationParameters Parameters(OpenIdConnectConfiguration configuration, TestIssuer issuer, IEnumerable<SecurityKey> keys, string[]? algorithms) => new()
    {
        ValidIssuer = configuration.Issuer,
        ValidAudience = issuer.Audience,
        IssuerSigningKeys = keys,
        ValidAlgorithms = algorithms,
    };

    private static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"still {value} after 10 s");
            await Task.Delay(20, Ct);
        }
    }
}
