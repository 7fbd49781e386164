using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>
/// /ably/embedded-token: an ES256 token the app's APIs verify with the served key set, carrying in its header the Ably
/// JWT /ably/token would issue, with the same refusals and limits.
/// </summary>
public sealed class EmbeddedTokenTests : IAsyncLifetime
{
    private const string MemberCapability = """{"chat:*":["history","presence","publish","subscribe"],"private:alice":["*"]}""";
    private readonly AblyAuthServerFactory _factory = new(EmbeddedTokenFixture.Settings());
    private string _session = string.Empty;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _factory.CreateUserAsync("alice", ["member"]);
        await _factory.CreateUserAsync("svc", ["service", "viewer"]);
        _session = (await _factory.LoginAsync("alice")).SessionToken;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<string> EmbeddedTokenAsync(string query = "")
    {
        using var client = _factory.CreateBearerClient(_session);
        var response = await client.GetAsync("/ably/embedded-token" + query, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    [Fact]
    public async Task The_Token_Is_An_ES256_Jwt_Whose_Header_Carries_Its_Kid_And_The_Ably_Jwt()
    {
        using var client = _factory.CreateBearerClient(_session);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json, text/plain");

        var response = await client.GetAsync("/ably/embedded-token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jwt", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var token = await response.Content.ReadAsStringAsync(Ct);
        var header = Jwt.Parse(token).Header;
        Assert.Equal(["alg", "kid", "typ", "x-ably-token"], header.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.GetProperty("typ").GetString());
        Assert.Equal(JsonValueKind.String, header.GetProperty("x-ably-token").ValueKind);
        Assert.Equal(Assert.Single(await EmbeddedTokenFixture.PublishedKidsAsync(_factory)), header.GetProperty("kid").GetString());
    }

    [Fact]
    public async Task The_Token_Verifies_Against_The_Served_Key_Set_And_Names_The_Caller()
    {
        var token = await EmbeddedTokenAsync();

        var result = await EmbeddedTokenFixture.ValidateAsync(_factory, token);

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.True(await EmbeddedTokenFixture.HasValidSignatureAsync(_factory, token));
        var payload = Jwt.Parse(token).Payload;
        Assert.Equal(["ably_client_id", "aud", "exp", "iat", "iss", "roles", "sub"], payload.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(EmbeddedTokenFixture.Issuer, payload.GetProperty("iss").GetString());
        Assert.Equal(EmbeddedTokenFixture.Audience, payload.GetProperty("aud").GetString());
        Assert.Equal("alice", payload.GetProperty("sub").GetString());
        Assert.Equal("alice", payload.GetProperty("ably_client_id").GetString());
        Assert.Equal(JsonValueKind.Array, payload.GetProperty("roles").ValueKind);
        Assert.Equal(["member"], payload.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        var now = _factory.Time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Equal(now, payload.GetProperty("iat").GetInt64());
        Assert.Equal(now + 3600, payload.GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task A_Token_For_Another_Audience_Or_With_A_Changed_Payload_Does_Not_Verify()
    {
        var token = await EmbeddedTokenAsync();
        var parts = token.Split('.');
        var forged = parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            Jwt.Parse(token).PayloadJson.Replace("\"alice\"", "\"mallory\"", StringComparison.Ordinal))) + "." + parts[2];

        Assert.False((await EmbeddedTokenFixture.ValidateAsync(_factory, token, audience: "https://other-api.test")).IsValid);
        Assert.False((await EmbeddedTokenFixture.ValidateAsync(_factory, forged)).IsValid);
        Assert.False(await EmbeddedTokenFixture.HasValidSignatureAsync(_factory, forged));
    }

    [Fact]
    public async Task The_Embedded_Ably_Jwt_Verifies_With_The_Key_Secret_And_Equals_What_Ably_Token_Grants()
    {
        const string query = "?ttl=600000&capability=%7B%22chat%3Alobby%22%3A%5B%22publish%22%2C%22stats%22%5D%7D";
        using var client = _factory.CreateBearerClient(_session);
        var plain = Jwt.Parse(await (await client.GetAsync("/ably/token" + query, Ct)).Content.ReadAsStringAsync(Ct));

        var token = await EmbeddedTokenAsync(query);

        var inner = EmbeddedTokenFixture.AblyToken(token);
        Assert.True(Jwt.HasValidSignature(inner, AblyAuthServerFactory.Secret));
        var embedded = Jwt.Parse(inner);
        Assert.Equal(AblyAuthServerFactory.KeyName, embedded.Header.GetProperty("kid").GetString());
        Assert.Equal("HS256", embedded.Header.GetProperty("alg").GetString());
        Assert.Equal("""{"chat:lobby":["publish"]}""", embedded.Capability);
        Assert.Equal(plain.Capability, embedded.Capability);
        Assert.Equal(plain.ClientId, embedded.ClientId);
        Assert.Equal(plain.ClaimNames, embedded.ClaimNames);
        Assert.Equal(600, embedded.Expires - embedded.IssuedAt);
        var outer = Jwt.Parse(token);
        Assert.True(outer.Expires <= embedded.Expires);
        Assert.Equal(embedded.Expires, outer.Expires);
    }

    [Fact]
    public async Task The_Token_Never_Outlives_The_Session_That_Asked_For_It()
    {
        // Sessions last eight hours; with a minute left, a token asked for an hour gets that minute.
        _factory.Time.Advance(TimeSpan.FromHours(8) - TimeSpan.FromMinutes(1));

        var token = Jwt.Parse(await EmbeddedTokenAsync("?ttl=3600000"));

        Assert.Equal(60, token.Expires - token.IssuedAt);
        Assert.Equal(Jwt.Parse(EmbeddedTokenFixture.AblyToken(await EmbeddedTokenAsync("?ttl=3600000"))).Expires, token.Expires);
    }

    [Fact]
    public async Task A_Service_Asking_For_Any_ClientId_Gets_It_In_Both_Tokens_With_All_Its_Roles()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"svc:{AblyAuthServerFactory.Password}")));

        var response = await client.PostAsync("/ably/embedded-token", new FormUrlEncodedContent(new Dictionary<string, string> { ["clientId"] = "*" }), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.Content.ReadAsStringAsync(Ct);
        var payload = Jwt.Parse(token).Payload;
        Assert.Equal("svc", payload.GetProperty("sub").GetString());
        Assert.Equal("*", payload.GetProperty("ably_client_id").GetString());
        Assert.Equal(["service", "viewer"], payload.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("*", Jwt.Parse(EmbeddedTokenFixture.AblyToken(token)).ClientId);
    }

    [Fact]
    public async Task Without_Credentials_The_Answer_Is_The_Same_401_As_Ably_Token_Gives()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync("/ably/embedded-token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "log in at /auth/login");
        Assert.Equal("Bearer realm=\"AblyAuthServer\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("40100", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_Capability_Outside_Policy_Gets_The_Same_403_As_Ably_Token_Gives()
    {
        using var client = _factory.CreateBearerClient(_session);
        var capability = "?capability=" + Uri.EscapeDataString("""{"admin:*":["publish"]}""");
        var plain = await Problems.AssertProblemAsync(await client.GetAsync("/ably/token" + capability, Ct), HttpStatusCode.Forbidden);

        var response = await client.GetAsync("/ably/embedded-token" + capability, Ct);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.Forbidden, "shares nothing");
        Assert.Equal(plain.GetProperty("detail").GetString(), problem.GetProperty("detail").GetString());
        Assert.Equal("40300", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Contains("shares nothing", Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_Users_ClientId_Gets_403_And_A_Malformed_Ttl_Gets_400()
    {
        using var client = _factory.CreateBearerClient(_session);

        var forbidden = await client.GetAsync("/ably/embedded-token?clientId=bob", Ct);
        var malformed = await client.PostAsync("/ably/embedded-token", JsonContent("""{"ttl":"soon"}"""), Ct);

        await Problems.AssertProblemAsync(forbidden, HttpStatusCode.Forbidden, "clientId is not allowed");
        await Problems.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "ttl");
        Assert.Equal("40000", Assert.Single(malformed.Headers.GetValues("X-Ably-ErrorCode")));
    }

    [Fact]
    public async Task The_Audit_Line_Names_The_Kind_And_No_Token_Is_Logged()
    {
        var token = await EmbeddedTokenAsync();

        var records = _factory.Logs.GetSnapshot();
        var audit = Assert.Single(records, r => r.Id.Id == 1000 && r.Message.Contains("embedded-token", StringComparison.Ordinal));
        Assert.StartsWith("Issued embedded-token to alice: clientId alice", audit.Message, StringComparison.Ordinal);
        var parts = token.Split('.');
        Assert.DoesNotContain(records, r => r.Message.Contains(parts[1], StringComparison.Ordinal) || r.Message.Contains(parts[2], StringComparison.Ordinal)
            || r.Message.Contains(EmbeddedTokenFixture.AblyToken(token).Split('.')[2], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ably_MaxJwtBytes_Counts_The_Whole_Embedded_Token()
    {
        await using var plainFactory = new AblyAuthServerFactory(EmbeddedTokenFixture.Settings());
        await plainFactory.CreateUserAsync("alice", ["member"]);
        var session = (await plainFactory.LoginAsync("alice")).SessionToken;
        using var measure = plainFactory.CreateBearerClient(session);
        var plainLength = (await (await measure.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct)).Length;
        var embeddedLength = (await (await measure.GetAsync("/ably/embedded-token", Ct)).Content.ReadAsStringAsync(Ct)).Length;
        Assert.True(embeddedLength > plainLength + 512);

        // Room for the Ably JWT, not for the token that carries it.
        await using var limited = new AblyAuthServerFactory(EmbeddedTokenFixture.Settings(new Dictionary<string, string?> { ["Ably:MaxJwtBytes"] = (plainLength + 512).ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        await limited.CreateUserAsync("alice", ["member"]);
        using var client = limited.CreateBearerClient((await limited.LoginAsync("alice")).SessionToken);

        var plain = await client.GetAsync("/ably/token", Ct);
        var response = await client.GetAsync("/ably/embedded-token", Ct);

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, $"over the {plainLength + 512}-byte limit");
        Assert.Contains($"The embedded token would be {embeddedLength} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("40000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.DoesNotContain(limited.Logs.GetSnapshot(), r => r.Message.Contains("Issued embedded-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ably_Accepts_It_Because_The_Embedded_Token_Expires_No_Earlier_Than_The_Outer_One()
    {
        // What Ably checks of this form (it does not verify the outer signature): the embedded token is valid and
        // does not expire before the outer exp.
        foreach (var ttl in new[] { "1000", "60000", "3600000", "86400000" })
        {
            var token = await EmbeddedTokenAsync("?ttl=" + ttl);
            var inner = EmbeddedTokenFixture.AblyToken(token);
            Assert.True(Jwt.HasValidSignature(inner, AblyAuthServerFactory.Secret));
            Assert.True(new JsonWebToken(inner).ValidTo >= new JsonWebToken(token).ValidTo);
        }
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");
}
