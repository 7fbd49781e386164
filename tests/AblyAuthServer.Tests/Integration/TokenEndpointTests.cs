using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class TokenEndpointTests : IAsyncLifetime
{
    private const string MemberCapability = """{"chat:*":["history","presence","publish","subscribe"],"private:alice":["*"]}""";
    private readonly AblyAuthServerFactory _factory = new();
    private string _session = string.Empty;

    public async ValueTask InitializeAsync()
    {
        await _factory.CreateUserAsync("alice", ["member"]);
        await _factory.CreateUserAsync("svc", ["service"]);
        await _factory.CreateUserAsync("multi", ["viewer", "templated"], clientId: "multi-7");
        _session = (await _factory.LoginAsync("alice")).SessionToken;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Jwt_For_A_Bearer_Session_Carries_Policy_Capability_ClientId_And_Default_Ttl_And_Verifies_By_Hand()
    {
        using var client = _factory.CreateBearerClient(_session);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json, text/plain");

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/jwt", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var token = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret));
        Assert.False(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret + "x"));
        var jwt = Jwt.Parse(token);
        Assert.Equal("HS256", jwt.Header.GetProperty("alg").GetString());
        Assert.Equal("JWT", jwt.Header.GetProperty("typ").GetString());
        Assert.Equal(AblyAuthServerFactory.KeyName, jwt.Header.GetProperty("kid").GetString());
        Assert.Equal(["iat", "exp", "x-ably-capability", "x-ably-clientId"], jwt.ClaimNames);
        Assert.Equal(JsonValueKind.String, jwt.Payload.GetProperty("x-ably-capability").ValueKind);
        Assert.Equal(MemberCapability, jwt.Capability);
        Assert.Equal("alice", jwt.ClientId);
        Assert.Equal(_factory.Time.GetUtcNow().ToUnixTimeSeconds(), jwt.IssuedAt);
        Assert.Equal(3600, jwt.Expires - jwt.IssuedAt);
    }

    [Fact]
    public async Task Jwt_For_The_Session_Cookie_Works_Like_The_Bearer_Token()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        request.Headers.Add("Cookie", $"ably_session={_session}");

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).ClientId);
    }

    [Fact]
    public async Task Jwt_For_Basic_Credentials_Needs_No_Session()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MemberCapability, Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).Capability);
    }

    [Fact]
    public async Task Wrong_Basic_Password_Gets_401_With_A_Basic_Challenge()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("alice", "wrong");

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "not valid");
        Assert.StartsWith("Basic realm=", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("40100", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
    }

    [Fact]
    public async Task Basic_Credentials_Are_Refused_When_Auth_AllowBasic_Is_Off()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Auth:AllowBasic"] = "false" });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "log in at /auth/login");
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-session-token")]
    [InlineData("Bearer ")]
    [InlineData("Negotiate abc")]
    public async Task Missing_Or_Invalid_Credentials_Get_401_With_WWW_Authenticate_And_Ably_Error_Headers(string? authorization)
    {
        using var client = _factory.CreateClient();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "log in at /auth/login");
        Assert.Equal("Bearer realm=\"AblyAuthServer\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("40100", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_Tampered_Session_Token_Gets_401()
    {
        var tampered = _session[..^4] + (_session[^4] == 'A' ? "B" : "A") + _session[^3..];
        using var client = _factory.CreateBearerClient(tampered);

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Token_Request_For_Wider_Capability_Is_Narrowed_To_Policy()
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync("/ably/token?capability=" + Uri.EscapeDataString("""{"*":["*"],"[*]*":["*"]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MemberCapability, Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).Capability);
    }

    [Fact]
    public async Task Narrower_Requested_Capability_Is_Granted_As_The_Intersection()
    {
        using var client = _factory.CreateBearerClient(_session);
        var requested = """{"chat:lobby":["publish","stats","subscribe"],"private:alice":["history"],"private:bob":["*"]}""";

        var response = await client.GetAsync("/ably/token?capability=" + Uri.EscapeDataString(requested), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"chat:lobby":["publish","subscribe"],"private:alice":["history"]}""", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).Capability);
    }

    [Fact]
    public async Task Capability_Outside_Policy_Gets_403_With_Ably_Forbidden_Headers()
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync("/ably/token?capability=" + Uri.EscapeDataString("""{"admin:*":["publish"]}"""), Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Forbidden, "shares nothing");
        Assert.Equal("40300", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Contains("shares nothing", Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""["chat:*"]""")]
    [InlineData("""{"chat:*":"publish"}""")]
    [InlineData("""{"chat:*":["fly"]}""")]
    [InlineData("""{"\ud800":["publish"]}""")]
    public async Task Malformed_Capability_Gets_400(string capability)
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync("/ably/token?capability=" + Uri.EscapeDataString(capability), Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest, "capability is malformed");
        Assert.Equal("40000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
    }

    [Theory]
    [InlineData("60000", 60)]
    [InlineData("1000", 1)]
    [InlineData("3600000", 3600)]
    [InlineData("86400000", 3600)]
    [InlineData("999999999999", 3600)]
    [InlineData("99999999999999999999999", 3600)]
    public async Task Requested_Ttl_Is_Used_And_Clamped_To_The_Maximum(string ttl, long expectedSeconds)
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync($"/ably/token?ttl={ttl}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwt = Jwt.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(expectedSeconds, jwt.Expires - jwt.IssuedAt);
    }

    [Theory]
    [InlineData("999")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public async Task Ttl_Below_One_Second_Or_Not_A_Whole_Number_Gets_400(string ttl)
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync($"/ably/token-request?ttl={ttl}", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest, "ttl");
    }

    [Fact]
    public async Task Configured_Max_Ttl_Caps_Tokens_Below_Ablys_Ceiling()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Ably:MaxTtl"] = "00:10:00",
            ["Ably:DefaultTtl"] = "00:05:00",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateBearerClient((await factory.LoginAsync("alice")).SessionToken);

        var byDefault = Jwt.Parse(await client.GetStringAsync("/ably/token", Ct));
        var asked = Jwt.Parse(await client.GetStringAsync("/ably/token?ttl=7200000", Ct));

        Assert.Equal(300, byDefault.Expires - byDefault.IssuedAt);
        Assert.Equal(600, asked.Expires - asked.IssuedAt);
    }

    [Fact]
    public async Task Own_ClientId_Is_Accepted_And_Another_Gets_403()
    {
        using var client = _factory.CreateBearerClient(_session);

        var own = await client.GetAsync("/ably/token?clientId=alice", Ct);
        var other = await client.GetAsync("/ably/token?clientId=bob", Ct);
        var wildcard = await client.GetAsync("/ably/token?clientId=*", Ct);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        await Problems.AssertProblemAsync(other, HttpStatusCode.Forbidden, "clientId is not allowed");
        await Problems.AssertProblemAsync(wildcard, HttpStatusCode.Forbidden, "clientId is not allowed");
    }

    [Fact]
    public async Task A_Role_With_AllowAnyClientId_May_Ask_For_Any_ClientId_Or_The_Wildcard()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("svc", AblyAuthServerFactory.Password);

        var asBob = Jwt.Parse(await client.GetStringAsync("/ably/token?clientId=bob", Ct));
        var asAnyone = Jwt.Parse(await client.GetStringAsync("/ably/token?clientId=*", Ct));
        var unsafeId = await client.GetAsync("/ably/token?clientId=" + Uri.EscapeDataString("x:*"), Ct);

        Assert.Equal("bob", asBob.ClientId);
        Assert.Equal("*", asAnyone.ClientId);
        Assert.Equal("""{"*":["*"]}""", asAnyone.Capability);
        await Problems.AssertProblemAsync(unsafeId, HttpStatusCode.BadRequest, "clientId");
    }

    [Fact]
    public async Task Capability_Is_The_Union_Of_Roles_With_ClientId_Templates_Filled_In()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("multi", AblyAuthServerFactory.Password);

        var jwt = Jwt.Parse(await client.GetStringAsync("/ably/token", Ct));

        Assert.Equal("multi-7", jwt.ClientId);
        Assert.Equal("""{"chat:*":["history","subscribe"],"user:multi-7:inbox":["subscribe"]}""", jwt.Capability);
    }

    [Fact]
    public async Task Post_Form_Parameters_As_AblyJs_Sends_Them_Narrow_The_Token_And_Unknown_Ones_Are_Ignored()
    {
        using var client = _factory.CreateBearerClient(_session);
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["capability"] = """{"chat:lobby":["subscribe"]}""",
            ["ttl"] = "120000",
            ["clientId"] = "alice",
            ["timestamp"] = "1700000000000",
            ["nonce"] = "whatever",
            ["appSpecific"] = "1",
        });

        var response = await client.PostAsync("/ably/token?rnd=0.123&ttl=5000", form, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwt = Jwt.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("""{"chat:lobby":["subscribe"]}""", jwt.Capability);
        Assert.Equal(120, jwt.Expires - jwt.IssuedAt);
    }

    [Fact]
    public async Task Post_Json_Accepts_Capability_As_A_String_Or_An_Object_And_Ttl_As_A_Number()
    {
        using var client = _factory.CreateBearerClient(_session);

        var asObject = await client.PostAsJsonAsync("/ably/token", new { capability = new Dictionary<string, string[]> { ["chat:a"] = ["publish"] }, ttl = 60000 }, Ct);
        var asString = await client.PostAsJsonAsync("/ably/token", new { capability = """{"chat:b":["history"]}""" }, Ct);

        var first = Jwt.Parse(await asObject.Content.ReadAsStringAsync(Ct));
        Assert.Equal("""{"chat:a":["publish"]}""", first.Capability);
        Assert.Equal(60, first.Expires - first.IssuedAt);
        Assert.Equal("""{"chat:b":["history"]}""", Jwt.Parse(await asString.Content.ReadAsStringAsync(Ct)).Capability);
    }

    [Fact]
    public async Task Post_With_An_Unsupported_Body_Gets_415_And_An_Oversized_One_413()
    {
        using var client = _factory.CreateBearerClient(_session);

        var xml = await client.PostAsync("/ably/token", new StringContent("<ttl>1</ttl>", Encoding.UTF8, "application/xml"), Ct);
        var huge = await client.PostAsync("/ably/token", new StringContent("ttl=" + new string('1', 20_000), Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);

        await Problems.AssertProblemAsync(xml, HttpStatusCode.UnsupportedMediaType, "application/json");
        await Problems.AssertProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge, "16384");
    }

    [Fact]
    public async Task Token_Request_Is_Signed_As_The_Reference_Says_And_Verifies_By_Hand()
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync("/ably/token-request?ttl=60000&capability=" + Uri.EscapeDataString("""{"chat:x":["subscribe","publish"]}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var body = document.RootElement;
        Assert.Equal(["keyName", "clientId", "capability", "ttl", "timestamp", "nonce", "mac"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(AblyAuthServerFactory.KeyName, body.GetProperty("keyName").GetString());
        Assert.Equal("alice", body.GetProperty("clientId").GetString());
        Assert.Equal("""{"chat:x":["publish","subscribe"]}""", body.GetProperty("capability").GetString());
        Assert.Equal(60000, body.GetProperty("ttl").GetInt64());
        Assert.Equal(_factory.Time.GetUtcNow().ToUnixTimeMilliseconds(), body.GetProperty("timestamp").GetInt64());
        var nonce = body.GetProperty("nonce").GetString()!;
        Assert.True(nonce.Length >= 16);
        var signText = $"{AblyAuthServerFactory.KeyName}\n60000\n{{\"chat:x\":[\"publish\",\"subscribe\"]}}\nalice\n{body.GetProperty("timestamp").GetInt64()}\n{nonce}\n";
        var expectedMac = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AblyAuthServerFactory.Secret), Encoding.UTF8.GetBytes(signText)));
        Assert.Equal(expectedMac, body.GetProperty("mac").GetString());
    }

    [Fact]
    public async Task Two_Token_Requests_Never_Share_A_Nonce()
    {
        using var client = _factory.CreateBearerClient(_session);

        var first = await client.GetFromJsonAsync<TokenRequest>("/ably/token-request", Ct);
        var second = await client.GetFromJsonAsync<TokenRequest>("/ably/token-request", Ct);

        Assert.NotEqual(first!.Nonce, second!.Nonce);
        Assert.NotEqual(first.Mac, second.Mac);
    }

    [Theory]
    [InlineData("/ably/token", "application/jwt")]
    [InlineData("/ably/token-request", "application/json")]
    public async Task Tokens_Go_Out_With_A_Content_Length_Rather_Than_Chunked(string path, string mediaType)
    {
        using var client = _factory.CreateBearerClient(_session);

        // Headers read before the body: once buffered, HttpClient would report the buffer's length whatever was sent.
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, Ct);
        var declaredLength = response.Content.Headers.ContentLength;
        var body = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(body.Length, declaredLength);
        Assert.True(body.Length > 100);
    }

    [Fact]
    public async Task Jwt_Over_The_Size_Limit_Gets_422_Pointing_To_Token_Request_Which_Still_Works()
    {
        var settings = new Dictionary<string, string?> { ["Ably:MaxJwtBytes"] = "600" };
        for (var i = 0; i < 20; i++)
        {
            settings[$"Policies:Roles:wide:Capabilities:{i}:Channel"] = $"channel-with-a-long-name-{i}:*";
            settings[$"Policies:Roles:wide:Capabilities:{i}:Operations:0"] = "subscribe";
        }

        await using var factory = new AblyAuthServerFactory(settings);
        await factory.CreateUserAsync("wide", ["wide"]);
        using var client = factory.CreateBearerClient((await factory.LoginAsync("wide")).SessionToken);

        var jwt = await client.GetAsync("/ably/token", Ct);
        var tokenRequest = await client.GetAsync("/ably/token-request", Ct);

        await Problems.AssertProblemAsync(jwt, HttpStatusCode.UnprocessableEntity, "/ably/token-request");
        Assert.Equal(HttpStatusCode.OK, tokenRequest.StatusCode);
        var body = (await tokenRequest.Content.ReadFromJsonAsync<TokenRequest>(Ct))!;
        Assert.Equal(20, JsonDocument.Parse(body.Capability).RootElement.EnumerateObject().Count());
    }

    [Fact]
    public async Task A_User_Without_Any_Configured_Capability_Gets_403()
    {
        await _factory.CreateUserAsync("nobody", []);
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("nobody", AblyAuthServerFactory.Password);

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.Forbidden, "No capability");
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
