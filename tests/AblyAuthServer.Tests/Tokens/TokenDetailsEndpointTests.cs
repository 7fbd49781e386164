using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AblyAuthServer.Ably;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace AblyAuthServer.Tests.Tokens;

/// <summary>
/// <c>/ably/token-details</c>: the server obtains the caller's Ably Token from Ably (here the stand-in, which checks the
/// TokenRequest's MAC, timestamp and nonce) and answers with TokenDetails an ably-js authUrl accepts. Ably's refusals,
/// failures and silence become gateway problems carrying Ably's code; every retry is a new TokenRequest.
/// </summary>
public sealed class TokenDetailsEndpointTests
{
    private const string MemberCapability = """{"chat:*":["history","presence","publish","subscribe"],"private:alice":["*"]}""";
    private static readonly string[] TokenDetailsFields = ["token", "keyName", "issued", "expires", "capability", "clientId"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TokenDetails_Are_What_The_StandIn_Issued_For_The_Policy_Grant_From_A_TokenRequest_That_Verifies_By_Hand()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json, text/plain");

        var response = await client.GetAsync("/ably/token-details", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var raw = await response.Content.ReadAsStringAsync(Ct);
        var body = JsonDocument.Parse(raw).RootElement;
        Assert.Equal(TokenDetailsFields, body.EnumerateObject().Select(p => p.Name));
        var call = Assert.Single(server.Ably.TokenCalls);
        Assert.Equal(call.Details.Token, body.GetProperty("token").GetString());
        Assert.Equal(AblyAuthServerFactory.KeyName, body.GetProperty("keyName").GetString());
        Assert.Equal(call.Details.Issued, body.GetProperty("issued").GetInt64());
        Assert.Equal(call.Details.Expires, body.GetProperty("expires").GetInt64());
        Assert.Equal(JsonValueKind.String, body.GetProperty("capability").ValueKind);
        Assert.Equal(MemberCapability, body.GetProperty("capability").GetString());
        Assert.Equal("alice", body.GetProperty("clientId").GetString());
        Assert.Equal(3_600_000, body.GetProperty("expires").GetInt64() - body.GetProperty("issued").GetInt64());

        // The TokenRequest the server signed: policy's grant, dated now, a MAC only the key's secret makes.
        Assert.Equal((AblyAuthServerFactory.KeyName, "alice", MemberCapability, 3_600_000L), (call.KeyName, call.ClientId, call.Capability, call.Ttl));
        Assert.Equal(server.Time.GetUtcNow().ToUnixTimeMilliseconds(), call.Timestamp);
        Assert.Equal(AblyTokensServer.ExpectedMac(call), call.Mac);
        Assert.Matches("^[0-9a-f]{32}$", call.Nonce);
        Assert.Equal("6", call.Headers["X-Ably-Version"]);
        Assert.StartsWith("ably-auth-server/", call.Headers["Ably-Agent"], StringComparison.Ordinal);
        Assert.DoesNotContain(AblyAuthServerFactory.Secret, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(call.Mac, raw, StringComparison.Ordinal);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1000 && e.Message.StartsWith("Issued token-details to alice: clientId alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_Request_Narrows_The_Capability_And_MaxTtl_Caps_The_Ttl_For_Post_And_Basic_Callers_Too()
    {
        await using var server = await AblyTokensServer.StartAsync(new Dictionary<string, string?> { ["Ably:MaxTtl"] = "00:30:00", ["Ably:DefaultTtl"] = "00:30:00" });
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = server.BasicClient("alice");

        var response = await client.PostAsync("/ably/token-details", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["capability"] = """{"chat:lobby":["subscribe","publish"],"admin":["*"]}""",
            ["ttl"] = "7200000",
        }), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var call = Assert.Single(server.Ably.TokenCalls);
        Assert.Equal("""{"chat:lobby":["publish","subscribe"]}""", call.Capability);
        Assert.Equal(1_800_000L, call.Ttl);
        Assert.Equal("""{"chat:lobby":["publish","subscribe"]}""", body.GetProperty("capability").GetString());
        Assert.Equal(1_800_000, body.GetProperty("expires").GetInt64() - body.GetProperty("issued").GetInt64());
    }

    [Fact]
    public async Task The_Ttl_Never_Outlives_The_Session_That_Asked_For_It()
    {
        await using var server = await AblyTokensServer.StartAsync(new Dictionary<string, string?> { ["Sessions:Lifetime"] = "01:00:00" });
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        server.Time.Advance(TimeSpan.FromMinutes(20));

        var response = await client.GetAsync("/ably/token-details?ttl=3600000", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(2_400_000L, Assert.Single(server.Ably.TokenCalls).Ttl);
        Assert.Equal(2_400_000, body.GetProperty("expires").GetInt64() - body.GetProperty("issued").GetInt64());
    }

    [Fact]
    public async Task A_Key_That_Permits_Less_Yields_The_Narrower_Capability_Ably_Returned_As_Its_Json_Text()
    {
        await using var server = await AblyTokensServer.StartAsync(keyCapability: """{"chat:*":["publish","subscribe"]}""");
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");

        var response = await client.GetAsync("/ably/token-details", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MemberCapability, Assert.Single(server.Ably.TokenCalls).Capability);
        Assert.Equal("""{"chat:*":["publish","subscribe"]}""",
            JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("capability").GetString());
    }

    [Fact]
    public async Task Tokens_Are_Requested_On_Ablys_Clock()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        server.Ably.ClockOffset = TimeSpan.FromMinutes(10);
        server.App.Services.GetRequiredService<AblyClock>().SetOffset(TimeSpan.FromMinutes(10));

        var response = await client.GetAsync("/ably/token-details", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((server.Time.GetUtcNow() + TimeSpan.FromMinutes(10)).ToUnixTimeMilliseconds(), Assert.Single(server.Ably.TokenCalls).Timestamp);
    }

    public static TheoryData<string> LostAnswers => ["500 before the check", "500 after the nonce was spent", "answer lost past the attempt timeout"];

    [Theory]
    [MemberData(nameof(LostAnswers))]
    public async Task A_Retry_Signs_A_New_TokenRequest_With_A_New_Nonce_And_Mac_So_Ably_Never_Sees_A_Replay(string failure)
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        using var errors = new MetricCollector<long>(server.App.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.ably_rest.errors");
        switch (failure)
        {
            case "500 before the check":
                server.Ably.FailNext(AblyRestEndpoint.RequestToken);
                break;
            case "500 after the nonce was spent":
                server.Ably.FailNextAfterChecks(AblyRestEndpoint.RequestToken);
                break;
            default:
                server.Ably.AnswerLateNext(AblyRestEndpoint.RequestToken, TimeSpan.FromSeconds(10));
                break;
        }

        var response = await client.GetAsync("/ably/token-details", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var calls = server.Ably.TokenCalls.Snapshot();
        Assert.Equal(body.GetProperty("token").GetString(), calls[^1].Details.Token);
        Assert.DoesNotContain(server.Ably.Rejections, r => r.Error.Code == 40105);
        if (calls.Count == 2)
        {
            // Ably saw the first TokenRequest too: the retry is another one, not the same one again.
            Assert.NotEqual(calls[0].Nonce, calls[1].Nonce);
            Assert.NotEqual(calls[0].Mac, calls[1].Mac);
            Assert.All(calls, c => Assert.Equal(AblyTokensServer.ExpectedMac(c), c.Mac));
        }

        var measurement = Assert.Single(errors.GetMeasurementSnapshot());
        Assert.Equal("requestToken", measurement.Tags["endpoint"]);
        Assert.Equal(failure.StartsWith("500", StringComparison.Ordinal) ? "50000" : "timeout", measurement.Tags["code"]);
        Assert.Equal(failure == "500 before the check" ? 1 : 2, calls.Count);
    }

    public static TheoryData<string, int, string> AblyRefusals => new()
    {
        { "the key is unknown to Ably", 40101, "Invalid credentials" },
        { "the key does not permit the capability", 40160, "not permitted by the key" },
        { "Ably forbids it", 40300, "Forbidden (injected)" },
        { "Ably finds a parameter invalid", 40003, "Invalid parameter (injected)" },
    };

    [Theory]
    [MemberData(nameof(AblyRefusals))]
    public async Task An_Ably_Refusal_Is_A_502_Carrying_Ablys_Code_Never_A_401_Or_403_And_Is_Not_Retried(string refusal, int code, string message)
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        switch (refusal)
        {
            case "the key is unknown to Ably":
                server.Ably.RemoveKey(AblyAuthServerFactory.KeyName);
                break;
            case "the key does not permit the capability":
                server.Ably.SetKeyCapability(AblyAuthServerFactory.KeyName, """{"news:*":["subscribe"]}""");
                break;
            case "Ably forbids it":
                server.Ably.FailNext(AblyRestEndpoint.RequestToken, error: new AblyRestError(HttpStatusCode.Forbidden, code, message));
                break;
            default:
                server.Ably.FailNext(AblyRestEndpoint.RequestToken, error: new AblyRestError(HttpStatusCode.BadRequest, code, message));
                break;
        }

        var response = await client.GetAsync("/ably/token-details", Ct);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.BadGateway, "Ably refused to issue the token");
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(code.ToString(CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
        Assert.Contains(message, detail, StringComparison.Ordinal);
        Assert.Equal(code.ToString(CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.StartsWith("Ably refused to issue the token", Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage")), StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Single(server.Ably.Rejections);
        Assert.Empty(server.Ably.TokenCalls);
        var warning = Assert.Single(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1500);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($": {code} ", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ably_Failing_On_Every_Attempt_Is_A_502_After_Three_Attempts_With_Ablys_Code_And_Message()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        server.Ably.FailUntilReset(AblyRestEndpoint.RequestToken, new AblyRestError(HttpStatusCode.ServiceUnavailable, 50300, "Ably is overloaded (injected)"));

        var response = await client.GetAsync("/ably/token-details", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadGateway, "Ably could not issue the token after 3 attempts: 50300 (HTTP 503) Ably is overloaded (injected)");
        Assert.Equal("50300", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal(3, server.Ably.Rejections.Count);
    }

    [Fact]
    public async Task An_Unreachable_Rest_Host_Is_A_502_That_Says_So_Soon()
    {
        var closedPort = ClosedLoopbackPort();
        await using var server = await AblyTokensServer.StartAsync(new Dictionary<string, string?> { ["Ably:RestHost"] = $"http://127.0.0.1:{closedPort}" });
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        using var errors = new MetricCollector<long>(server.App.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.ably_rest.errors");
        var stopwatch = Stopwatch.StartNew();

        var response = await client.GetAsync("/ably/token-details", Ct);

        Assert.True(stopwatch.Elapsed < AblyTokensServer.TokenTimeout, $"answered after {stopwatch.Elapsed}");
        await Problems.AssertProblemAsync(response, HttpStatusCode.BadGateway, "Ably's REST host could not be reached (ConnectionError) after 3 attempts");
        Assert.Equal("50000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal(["unreachable", "unreachable", "unreachable"], errors.GetMeasurementSnapshot().Select(m => (string)m.Tags["code"]!));
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1501 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Ably_Not_Answering_Is_A_504_Within_Ably_Token_Timeout_Never_A_Hang()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        server.Ably.Hang(AblyRestEndpoint.RequestToken);
        var stopwatch = Stopwatch.StartNew();

        var response = await client.GetAsync("/ably/token-details", Ct);

        var elapsed = stopwatch.Elapsed;
        server.Ably.ClearFaults();
        Assert.InRange(elapsed, AblyTokensServer.TokenTimeout - TimeSpan.FromMilliseconds(100), AblyTokensServer.TokenTimeout + TimeSpan.FromSeconds(2));
        await Problems.AssertProblemAsync(response, HttpStatusCode.GatewayTimeout, "Ably did not issue the token within 3000 ms");
        Assert.Equal("50000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1502 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Repeated_Failures_Open_The_Circuit_Then_The_Answer_Is_A_503_With_Retry_After_And_Ably_Is_Not_Called()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        server.Ably.FailUntilReset(AblyRestEndpoint.RequestToken);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage response;
        do
        {
            response = await client.GetAsync("/ably/token-details", Ct);
            statuses.Add(response.StatusCode);
        }
        while (response.StatusCode == HttpStatusCode.BadGateway && statuses.Count < 5);

        var callsBefore = server.Ably.Rejections.Count;
        var open = await client.GetAsync("/ably/token-details", Ct);

        Assert.Equal(HttpStatusCode.BadGateway, statuses[0]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, statuses[^1]);
        await Problems.AssertProblemAsync(open, HttpStatusCode.ServiceUnavailable, "not asking it for tokens for a few seconds");
        Assert.Equal("50300", Assert.Single(open.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal("5", open.Headers.RetryAfter?.ToString());
        Assert.Equal(callsBefore, server.Ably.Rejections.Count);
    }

    [Fact]
    public async Task An_Answer_That_Is_Not_TokenDetails_For_This_Request_Is_A_502_And_Nothing_Of_It_Is_Passed_On()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        server.Ably.RewriteNextAnswer(AblyRestEndpoint.RequestToken, body => body.Replace("\"clientId\":\"alice\"", "\"clientId\":\"*\"", StringComparison.Ordinal));

        var response = await client.GetAsync("/ably/token-details", Ct);

        var raw = await response.Content.ReadAsStringAsync(Ct);
        await Problems.AssertProblemAsync(response, HttpStatusCode.BadGateway, "Ably's answer could not be used (clientId is missing or differs from the TokenRequest's)");
        Assert.DoesNotContain(Assert.Single(server.Ably.TokenCalls).Details.Token, raw, StringComparison.Ordinal);
        Assert.Contains(server.App.Logs.GetSnapshot(), e => e.Id.Id == 1503 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Off_By_Default_Get_And_Post_Answer_404_Naming_The_Setting_And_Nothing_Calls_Ably()
    {
        await using var ably = await AblyRestStandIn.StartAsync();
        await using var app = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Ably:RestHost"] = ably.BaseAddress });
        await app.CreateUserAsync("alice", ["member"]);
        using var client = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken);

        var get = await client.GetAsync("/ably/token-details", Ct);
        var post = await client.PostAsync("/ably/token-details", new FormUrlEncodedContent(new Dictionary<string, string> { ["ttl"] = "60000" }), Ct);

        foreach (var response in new[] { get, post })
        {
            await Problems.AssertProblemAsync(response, HttpStatusCode.NotFound, "Ably:AblyTokens (environment Ably__AblyTokens)");
            Assert.Equal("40000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        Assert.Empty(ably.TokenCalls);
        Assert.Empty(ably.Rejections);
    }

    [Fact]
    public async Task A_Grant_With_Jwt_Only_Claims_Gets_The_Same_422_As_Token_Request_Before_Any_Call_To_Ably()
    {
        await using var server = await AblyTokensServer.StartAsync(new Dictionary<string, string?>
        {
            ["Policies:Roles:member:Capabilities:0:Channel"] = "chat:*",
            ["Policies:Roles:member:Capabilities:0:Operations:0"] = "publish",
            ["Policies:Roles:member:ChannelClaims:0:Channel"] = "chat:*",
            ["Policies:Roles:member:ChannelClaims:0:Value"] = "member",
        });
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");

        var tokenRequest = await client.GetAsync("/ably/token-request", Ct);
        var tokenDetails = await client.GetAsync("/ably/token-details", Ct);

        var expected = await Problems.AssertProblemAsync(tokenRequest, HttpStatusCode.UnprocessableEntity, "Use /ably/token instead");
        var actual = await Problems.AssertProblemAsync(tokenDetails, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(Problems.WithoutTraceId(expected), Problems.WithoutTraceId(actual));
        Assert.Equal("40000", Assert.Single(tokenDetails.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Empty(server.Ably.TokenCalls);
        Assert.Empty(server.Ably.Rejections);
    }

    [Fact]
    public async Task Callers_Refused_By_Policy_Or_Not_Authenticated_Get_403_Or_401_Without_Any_Call_To_Ably()
    {
        await using var server = await AblyTokensServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = await server.SessionClientAsync("alice");
        using var anonymous = server.App.CreateClient();

        var otherClientId = await client.GetAsync("/ably/token-details?clientId=mallory", Ct);
        var malformedTtl = await client.GetAsync("/ably/token-details?ttl=soon", Ct);
        var unauthenticated = await anonymous.GetAsync("/ably/token-details", Ct);

        await Problems.AssertProblemAsync(otherClientId, HttpStatusCode.Forbidden);
        Assert.Equal("40300", Assert.Single(otherClientId.Headers.GetValues("X-Ably-ErrorCode")));
        await Problems.AssertProblemAsync(malformedTtl, HttpStatusCode.BadRequest);
        await Problems.AssertProblemAsync(unauthenticated, HttpStatusCode.Unauthorized);
        Assert.Equal("40100", Assert.Single(unauthenticated.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Empty(server.Ably.TokenCalls);
        Assert.Empty(server.Ably.Rejections);
    }

    [Fact]
    public async Task The_Rest_Client_Sends_A_TokenRequest_Once_Even_When_Ably_Answers_500_And_Only_For_The_Key_That_Signed_It()
    {
        await using var server = await AblyTokensServer.StartAsync();
        var ably = server.App.Services.GetRequiredService<AblyRestClient>();
        var signer = server.App.Services.GetRequiredService<TokenRequestSigner>();
        var key = server.App.Services.GetRequiredService<AblyKeySource>().Current.Signing;
        Assert.True(Capability.TryParse("""{"chat:*":["subscribe"]}""", out var capability, out var error), error);
        var request = signer.Sign(new TokenGrant("alice", capability!, TimeSpan.FromMinutes(10)), key);
        server.Ably.FailNextAfterChecks(AblyRestEndpoint.RequestToken, count: 3);

        var refused = await Assert.ThrowsAsync<AblyRestException>(() => ably.RequestTokenAsync(key, request, Ct));
        var otherKey = await Assert.ThrowsAsync<ArgumentException>(
            () => ably.RequestTokenAsync(AblyKey.Parse("otherApp.otherKey:b3RoZXItc2VjcmV0LWZvci10ZXN0cy10aGF0LWlzLWxvbmc"), request, Ct));

        Assert.Equal((50000, 500), (refused.Error.Code, refused.Error.StatusCode));
        Assert.Equal("request", otherKey.ParamName);
        Assert.Equal(request.Nonce, Assert.Single(server.Ably.TokenCalls).Nonce);
        Assert.Single(server.Ably.Rejections);
    }

    private static int ClosedLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
