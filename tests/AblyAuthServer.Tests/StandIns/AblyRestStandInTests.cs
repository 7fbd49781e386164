using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AblyAuthServer.Ably;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AblyAuthServer.Tests.StandIns;

/// <summary>
/// The stand-in for Ably's REST host, driven with a raw HttpClient: it must accept what Ably accepts and refuse what Ably
/// refuses, in Ably's wire shape, or the tests built on it prove nothing. MACs here are computed by hand, independently
/// of both the stand-in and the app.
/// </summary>
public sealed class AblyRestStandInTests
{
    private static readonly string KeyName = AblyAuthServerFactory.KeyName;
    private static readonly string Secret = AblyAuthServerFactory.Secret;
    private const string OtherKeyName = "otherApp.otherKey";
    private const string OtherSecret = "b3RoZXItc2VjcmV0LWZvci10ZXN0cy10aGF0LWlzLWxvbmc";
    private const string OtherKey = OtherKeyName + ":" + OtherSecret;
    private const string Agent = "ably-auth-server-tests/1.0";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // ---- GET /time

    [Fact]
    public async Task Time_Answers_A_One_Element_Array_Of_The_StandIn_Clock_In_Milliseconds()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Act
        var response = await client.GetAsync(new Uri("/time", UriKind.Relative), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var time = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsArray();
        var ms = Assert.Single(time)!.GetValue<long>();
        Assert.InRange(ms, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(ms, Assert.Single(standIn.TimeCalls).Time);
    }

    [Fact]
    public async Task A_Clock_Offset_Moves_Time_And_The_Clock_Can_Be_A_Fake()
    {
        // Arrange
        var fake = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        await using var standIn = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey)], fake);
        using var client = Client(standIn);
        standIn.ClockOffset = TimeSpan.FromMinutes(10);

        // Act
        var time = await client.GetStringAsync(new Uri("/time", UriKind.Relative), Cancel);

        // Assert
        Assert.Equal("[1700000600000]", time);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_600_000), standIn.Now);
    }

    // ---- POST /keys/{keyName}/revokeTokens: success

    [Fact]
    public async Task Revoke_With_The_Same_Key_And_Version_3_Or_More_Answers_201_With_The_Batch_Envelope_And_Is_Recorded()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var issuedBefore = standIn.Now.ToUnixTimeMilliseconds() - 5_000;

        // Act
        var response = await client.SendAsync(
            Revoke(new { targets = Targets("clientId:alice", "revocationKey:group-1", "channel:chat:*"), issuedBefore }),
            Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.Equal(
            Json(new
            {
                successCount = 3,
                failureCount = 0,
                results = Targets("clientId:alice", "revocationKey:group-1", "channel:chat:*")
                    .Select(target => new { target, issuedBefore, appliesAt = issuedBefore }),
            }),
            Normalise(body));
        var call = Assert.Single(standIn.RevokeCalls);
        Assert.Equal(KeyName, call.KeyName);
        Assert.Equal(["clientId:alice", "revocationKey:group-1", "channel:chat:*"], call.Targets);
        Assert.Equal(issuedBefore, call.IssuedBeforeSent);
        Assert.Equal(issuedBefore, call.IssuedBefore);
        Assert.False(call.AllowReauthMargin);
        Assert.Equal("6", call.AblyVersion);
        Assert.Equal(Agent, call.AblyAgent);
        Assert.Equal(Agent, call.Headers["ably-agent"]);
        Assert.False(call.Headers.ContainsKey("Authorization"));
        Assert.Equal(body, call.ResponseBody);
        Assert.Empty(standIn.Rejections);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2")]
    [InlineData("1.2")]
    public async Task Revoke_Without_X_Ably_Version_Or_Below_3_Answers_The_Legacy_Plain_Array(string? version)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var issuedBefore = standIn.Now.ToUnixTimeMilliseconds();

        // Act
        var response = await client.SendAsync(Revoke(new { targets = Targets("clientId:bob"), issuedBefore }, version: version), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(
            Json(new[] { new { target = "clientId:bob", issuedBefore, appliesAt = issuedBefore } }),
            Normalise(await response.Content.ReadAsStringAsync(Cancel)));
        Assert.Equal(version, Assert.Single(standIn.RevokeCalls).AblyVersion);
    }

    [Fact]
    public async Task Allow_Reauth_Margin_Puts_AppliesAt_30_Seconds_After_IssuedBefore()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var issuedBefore = standIn.Now.ToUnixTimeMilliseconds() - 60_000;

        // Act
        var response = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice"), issuedBefore, allowReauthMargin = true }), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!["results"]![0]!;
        Assert.Equal(issuedBefore, result["issuedBefore"]!.GetValue<long>());
        Assert.Equal(issuedBefore + 30_000, result["appliesAt"]!.GetValue<long>());
        Assert.True(Assert.Single(standIn.RevokeCalls).AllowReauthMargin);
    }

    [Fact]
    public async Task Without_IssuedBefore_The_StandIn_Clock_Supplies_It()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.ClockOffset = TimeSpan.FromMinutes(-7);
        var before = standIn.Now.ToUnixTimeMilliseconds();

        // Act
        var response = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!["results"]![0]!;
        var applied = result["issuedBefore"]!.GetValue<long>();
        Assert.InRange(applied, before, standIn.Now.ToUnixTimeMilliseconds());
        Assert.Equal(applied, result["appliesAt"]!.GetValue<long>());
        var call = Assert.Single(standIn.RevokeCalls);
        Assert.Null(call.IssuedBeforeSent);
        Assert.Equal(applied, call.IssuedBefore);
    }

    [Fact]
    public async Task A_Failing_Target_Is_A_Partial_Failure_In_The_Envelope_And_A_400_With_BatchResponse_In_The_Legacy_Form()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var notEnabled = new AblyRestError(HttpStatusCode.BadRequest, 40121, "Revocation by channel is not enabled");
        standIn.FailTarget("channel:news", notEnabled);
        var issuedBefore = standIn.Now.ToUnixTimeMilliseconds();
        var body = new { targets = Targets("clientId:alice", "channel:news"), issuedBefore };
        var failed = new
        {
            target = "channel:news",
            error = new { message = notEnabled.Message, code = 40121, statusCode = 400, href = "https://help.ably.io/error/40121" },
        };

        // Act
        var envelope = await client.SendAsync(Revoke(body), Cancel);
        var legacy = await client.SendAsync(Revoke(body, version: null), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, envelope.StatusCode);
        Assert.Equal(
            Json(new { successCount = 1, failureCount = 1, results = new object[] { new { target = "clientId:alice", issuedBefore, appliesAt = issuedBefore }, failed } }),
            Normalise(await envelope.Content.ReadAsStringAsync(Cancel)));
        var error = await AssertAblyErrorAsync(legacy, HttpStatusCode.BadRequest, 40020, "1 of 2 targets failed");
        Assert.Equal(
            Json(new object[] { new { target = "clientId:alice", issuedBefore, appliesAt = issuedBefore }, failed }),
            error.Body["batchResponse"]!.ToJsonString());
        Assert.Equal(2, standIn.RevokeCalls.Count);
    }

    // ---- revokeTokens: credentials

    [Fact]
    public async Task Revoke_With_Token_Auth_Is_Refused_With_401_40162()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var request = Revoke(new { targets = Targets("clientId:alice") });
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String("standin-token"u8));

        // Act
        var response = await client.SendAsync(request, Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.Unauthorized, 40162, "Basic auth");
        Assert.Empty(standIn.RevokeCalls);
        var rejection = Assert.Single(standIn.Rejections);
        Assert.Equal(AblyRestEndpoint.RevokeTokens, rejection.Endpoint);
        Assert.Equal(40162, rejection.Error.Code);
        Assert.False(rejection.Injected);
    }

    [Fact]
    public async Task Revoke_With_Another_Valid_Key_Than_The_Path_Names_Is_Refused_With_401_40133()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync(AblyAuthServerFactory.ApiKey, OtherKey);
        using var client = Client(standIn);

        // Act
        var response = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, key: OtherKey, pathKeyName: KeyName), Cancel);

        // Assert
        var error = await AssertAblyErrorAsync(response, HttpStatusCode.Unauthorized, 40133, KeyName);
        Assert.DoesNotContain(OtherSecret, error.Raw, StringComparison.Ordinal);
        Assert.Empty(standIn.RevokeCalls);
    }

    [Theory]
    [InlineData("wrong secret")]
    [InlineData("unknown key")]
    [InlineData("malformed")]
    [InlineData("none")]
    public async Task Revoke_With_A_Wrong_Secret_An_Unknown_Key_Malformed_Or_No_Credentials_Is_Refused_With_401_40101(string kind)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var credentials = kind switch
        {
            "wrong secret" => KeyName + ":d3Jvbmctc2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2g",
            "unknown key" => "unknown.key:" + Secret,
            "malformed" => "Basic-without-colon",
            _ => null,
        };
        var request = Revoke(new { targets = Targets("clientId:alice") });
        request.Headers.Authorization = credentials is null
            ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));

        // Act
        var response = await client.SendAsync(request, Cancel);

        // Assert
        var error = await AssertAblyErrorAsync(response, HttpStatusCode.Unauthorized, 40101);
        Assert.DoesNotContain(Secret, error.Raw, StringComparison.Ordinal);
        Assert.Empty(standIn.RevokeCalls);
    }

    [Fact]
    public async Task Revoke_On_A_Key_Without_Revocable_Tokens_Is_Refused_With_40163_Until_It_Is_Turned_On()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey, revocableTokens: false)]);
        using var client = Client(standIn);

        // Act
        var refused = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);
        standIn.SetRevocableTokens(KeyName, enabled: true);
        var accepted = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);

        // Assert
        await AssertAblyErrorAsync(refused, HttpStatusCode.BadRequest, 40163, "Revocable tokens are not enabled for this key");
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Single(standIn.RevokeCalls);
    }

    // ---- revokeTokens: headers and body

    public static TheoryData<string, string> InvalidRevokeBodies => new()
    {
        { """{"targets":[]}""", "targets" },
        { """{}""", "targets" },
        { """{"targets":"clientId:alice"}""", "targets" },
        { """{"targets":[42]}""", "targets[0]" },
        { """{"targets":["alice"]}""", "targets[0]" },
        { """{"targets":["clientId:alice","user:bob"]}""", "targets[1]" },
        { """{"targets":[":alice"]}""", "targets[0]" },
        { """{"targets":["clientId:"]}""", "targets[0]" },
        { "{\"targets\":[" + string.Join(',', Enumerable.Range(0, 101).Select(i => $"\"clientId:u{i}\"")) + "]}", "at most 100" },
        { """{"targets":["clientId:alice"],"issuedBefore":"1700000000000"}""", "issuedBefore" },
        { """{"targets":["clientId:alice"],"issuedBefore":1.5}""", "issuedBefore" },
        { """{"targets":["clientId:alice"],"allowReauthMargin":"yes"}""", "allowReauthMargin" },
        { """["clientId:alice"]""", "JSON object" },
    };

    [Theory]
    [MemberData(nameof(InvalidRevokeBodies))]
    public async Task Revoke_With_An_Invalid_Body_Is_Refused_With_400_40003_Naming_The_Parameter(string body, string named)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var response = await client.SendAsync(Revoke(body), Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.BadRequest, 40003, named);
        Assert.Empty(standIn.RevokeCalls);
    }

    [Fact]
    public async Task Exactly_100_Targets_Are_Accepted()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var targets = Enumerable.Range(0, 100).Select(i => $"clientId:user-{i}").ToArray();

        // Act
        var response = await client.SendAsync(Revoke(new { targets }), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(100, JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!["successCount"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(3_000, "in the future")]
    [InlineData(-(60 * 60_000) - 1_000, "more than an hour in the past")]
    public async Task IssuedBefore_In_The_Future_Or_More_Than_An_Hour_Back_Is_Refused_With_40003(long fromNowMs, string reason)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var response = await client.SendAsync(
            Revoke(new { targets = Targets("clientId:alice"), issuedBefore = standIn.Now.ToUnixTimeMilliseconds() + fromNowMs }),
            Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.BadRequest, 40003, reason);
    }

    [Fact]
    public async Task IssuedBefore_Is_Judged_On_The_StandIn_Clock_So_A_Caller_Clock_Ahead_Of_It_Is_Refused()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var callerNow = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Act
        standIn.ClockOffset = TimeSpan.FromMinutes(-1);
        var ahead = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice"), issuedBefore = callerNow }), Cancel);
        standIn.ClockOffset = TimeSpan.FromMinutes(59);
        var behind = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice"), issuedBefore = callerNow }), Cancel);
        standIn.ClockOffset = TimeSpan.FromMinutes(61);
        var tooFarBehind = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice"), issuedBefore = callerNow }), Cancel);

        // Assert
        await AssertAblyErrorAsync(ahead, HttpStatusCode.BadRequest, 40003, "in the future");
        Assert.Equal(HttpStatusCode.Created, behind.StatusCode);
        await AssertAblyErrorAsync(tooFarBehind, HttpStatusCode.BadRequest, 40003, "more than an hour in the past");
    }

    [Fact]
    public async Task Revoke_Without_Ably_Agent_Or_With_A_Non_Numeric_Version_Is_Refused_With_40003()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var noAgent = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, agent: null), Cancel);
        var badVersion = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, version: "six"), Cancel);

        // Assert
        await AssertAblyErrorAsync(noAgent, HttpStatusCode.BadRequest, 40003, "Ably-Agent");
        await AssertAblyErrorAsync(badVersion, HttpStatusCode.BadRequest, 40003, "X-Ably-Version");
        Assert.Empty(standIn.RevokeCalls);
    }

    [Theory]
    [InlineData("application/x-msgpack", """{"targets":["clientId:alice"]}""", "Content-Type")]
    [InlineData("text/plain", """{"targets":["clientId:alice"]}""", "Content-Type")]
    [InlineData("application/json", """{"targets":["clientId:alice"]""", "not valid JSON")]
    public async Task Revoke_With_A_Body_That_Is_Not_Json_Is_Refused_With_400_40000(string contentType, string body, string reason)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var request = Revoke(body);
        request.Content = new StringContent(body, Encoding.UTF8, contentType);

        // Act
        var response = await client.SendAsync(request, Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.BadRequest, 40000, reason);
    }

    [Fact]
    public async Task Concurrent_Revocations_Are_All_Recorded_And_Can_Be_Awaited()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var waiting = standIn.RevokeCalls.WaitForCountAsync(20, cancellationToken: Cancel);

        // Act
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.SendAsync(Revoke(new { targets = Targets($"clientId:user-{i}") }), Cancel)));
        var calls = await waiting;

        // Assert
        Assert.Equal(20, calls.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"clientId:user-{i}").Order(), calls.Select(c => c.Targets.Single()).Order());
        var timeout = await Assert.ThrowsAsync<TimeoutException>(
            () => standIn.RevokeCalls.WaitForCountAsync(21, TimeSpan.FromMilliseconds(100), Cancel));
        Assert.Contains("saw 20", timeout.Message, StringComparison.Ordinal);
    }

    // ---- POST /keys/{keyName}/requestToken

    [Fact]
    public async Task A_TokenRequest_Signed_By_Hand_Is_Exchanged_For_TokenDetails_On_The_StandIn_Clock()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var capability = """{"chat:*":["publish","subscribe"]}""";
        var tokenRequest = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice", capability, ttl: 600_000);

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var details = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject();
        Assert.Equal(["token", "keyName", "issued", "expires", "capability", "clientId"], details.Select(p => p.Key));
        Assert.StartsWith("standin-", details["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(KeyName, details["keyName"]!.GetValue<string>());
        Assert.Equal(capability, details["capability"]!.GetValue<string>());
        Assert.Equal("alice", details["clientId"]!.GetValue<string>());
        var issued = details["issued"]!.GetValue<long>();
        Assert.InRange(issued, tokenRequest["timestamp"]!.GetValue<long>(), standIn.Now.ToUnixTimeMilliseconds());
        Assert.Equal(issued + 600_000, details["expires"]!.GetValue<long>());
        var call = Assert.Single(standIn.TokenCalls);
        Assert.Equal((KeyName, "alice", capability, 600_000L), (call.KeyName, call.ClientId, call.Capability, call.Ttl));
        Assert.Equal(details["token"]!.GetValue<string>(), call.Details.Token);
    }

    [Fact]
    public async Task Without_Capability_Ttl_And_ClientId_The_Token_Gets_The_Key_Capability_And_One_Hour()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds())), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var details = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject();
        Assert.Equal("""{"[*]*":["*"]}""", details["capability"]!.GetValue<string>());
        Assert.False(details.ContainsKey("clientId"));
        Assert.Equal(3_600_000, details["expires"]!.GetValue<long>() - details["issued"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_AblyJs_Reference_Vector_Is_Accepted_When_The_StandIn_Clock_Reads_Its_Timestamp()
    {
        // Arrange: a MAC that ably-js 2.28 produced, computed by neither this test nor the stand-in.
        await using var standIn = await AblyRestStandIn.StartAsync("appId.keyId:c2VjcmV0LWZvci10ZXN0cw");
        using var client = Client(standIn);
        standIn.ClockOffset = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000) - DateTimeOffset.UtcNow;
        var vector = """
            {"keyName":"appId.keyId","clientId":"alice","capability":"{\"chat:*\":[\"publish\",\"subscribe\"]}","ttl":3600000,
             "timestamp":1700000000000,"nonce":"0123456789abcdef","mac":"T93LegSNPjnuzA7Mr0OLks5NYcgb10mE/8XkyfPMHvc="}
            """;

        // Act
        var response = await client.PostAsync(new Uri("/keys/appId.keyId/requestToken", UriKind.Relative), new StringContent(vector, Encoding.UTF8, "application/json"), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!["clientId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_TokenRequest_From_The_App_Signer_Is_Accepted()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var signer = new TokenRequestSigner(new FakeTimeProvider(standIn.Now));
        Assert.True(Capability.TryParse("""{"chat:*":["subscribe"]}""", out var capability, out var error), error);
        var grant = new TokenGrant("bob", capability!, TimeSpan.FromMinutes(30));
        var signed = signer.Sign(grant, AblyKey.Parse(AblyAuthServerFactory.ApiKey));
        var body = new JsonObject
        {
            ["keyName"] = signed.KeyName,
            ["clientId"] = signed.ClientId,
            ["capability"] = signed.Capability,
            ["ttl"] = signed.Ttl,
            ["timestamp"] = signed.Timestamp,
            ["nonce"] = signed.Nonce,
            ["mac"] = signed.Mac,
        };

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(body), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1_800_000L, Assert.Single(standIn.TokenCalls).Ttl);
    }

    [Theory]
    [InlineData("another clientId")]
    [InlineData("a wider capability")]
    [InlineData("a longer ttl")]
    [InlineData("another nonce")]
    [InlineData("no clientId")]
    [InlineData("a MAC from another secret")]
    public async Task A_TokenRequest_Whose_Mac_Does_Not_Cover_Its_Fields_Is_Refused_With_401_40101(string change)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var timestamp = standIn.Now.ToUnixTimeMilliseconds();
        var tokenRequest = SignedTokenRequest(Secret, timestamp, "alice", ttl: 600_000);
        switch (change)
        {
            case "another clientId":
                tokenRequest["clientId"] = "mallory";
                break;
            case "a wider capability":
                tokenRequest["capability"] = """{"*":["*"]}""";
                break;
            case "a longer ttl":
                tokenRequest["ttl"] = 3_600_000;
                break;
            case "another nonce":
                tokenRequest["nonce"] = "ffffffffffffffff";
                break;
            case "no clientId":
                tokenRequest.Remove("clientId");
                break;
            default:
                tokenRequest["mac"] = SignedTokenRequest(OtherSecret, timestamp, "alice", ttl: 600_000)["mac"]!.GetValue<string>();
                break;
        }

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.Unauthorized, 40101, "Request mac does not match");
        Assert.Empty(standIn.TokenCalls);
    }

    [Fact]
    public async Task A_TokenRequest_For_Another_Or_Unknown_Key_Than_The_Path_Is_Refused_With_401_40101()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync(AblyAuthServerFactory.ApiKey, OtherKey);
        using var client = Client(standIn);
        var forOtherKey = SignedTokenRequest(OtherSecret, standIn.Now.ToUnixTimeMilliseconds(), keyName: OtherKeyName);
        var forUnknownKey = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), keyName: "unknown.key");

        // Act
        var mismatch = await client.PostAsync(TokenPath(), JsonBody(forOtherKey), Cancel);
        var unknown = await client.PostAsync(TokenPath("unknown.key"), JsonBody(forUnknownKey), Cancel);

        // Assert
        await AssertAblyErrorAsync(mismatch, HttpStatusCode.Unauthorized, 40101, "the path names");
        await AssertAblyErrorAsync(unknown, HttpStatusCode.Unauthorized, 40101, "no key unknown.key");
    }

    [Theory]
    [InlineData(-121)]
    [InlineData(121)]
    public async Task A_TokenRequest_More_Than_2_Minutes_From_The_StandIn_Clock_Is_Refused_With_401_40104(int secondsFromNow)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var timestamp = (standIn.Now + TimeSpan.FromSeconds(secondsFromNow)).ToUnixTimeMilliseconds();

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, timestamp)), Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.Unauthorized, 40104, "Timestamp not current");
    }

    [Fact]
    public async Task A_Clock_Offset_Makes_A_TokenRequest_On_The_Caller_Clock_Stale_And_One_On_Ably_Time_Fresh()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.ClockOffset = TimeSpan.FromMinutes(5);
        var ablyTime = JsonNode.Parse(await client.GetStringAsync(new Uri("/time", UriKind.Relative), Cancel))![0]!.GetValue<long>();

        // Act
        var onCallerClock = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())), Cancel);
        var onAblyClock = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, ablyTime)), Cancel);

        // Assert
        await AssertAblyErrorAsync(onCallerClock, HttpStatusCode.Unauthorized, 40104);
        Assert.Equal(HttpStatusCode.OK, onAblyClock.StatusCode);
    }

    [Fact]
    public async Task A_Replayed_Nonce_Is_Refused_With_401_40105_And_A_Short_Nonce_Likewise()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var tokenRequest = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice");

        // Act
        var first = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);
        var replay = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);
        var shortNonce = await client.PostAsync(
            TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), nonce: "0123456789abcde")), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertAblyErrorAsync(replay, HttpStatusCode.Unauthorized, 40105, "Nonce value replayed");
        await AssertAblyErrorAsync(shortNonce, HttpStatusCode.Unauthorized, 40105, "at least 16");
        Assert.Single(standIn.TokenCalls);
    }

    [Theory]
    [InlineData(true, 3_600_000, true)]
    [InlineData(true, 3_600_001, false)]
    [InlineData(false, 7_200_000, true)]
    [InlineData(false, 86_400_000, true)]
    [InlineData(false, 86_400_001, false)]
    [InlineData(false, 0, false)]
    public async Task Ttl_Is_At_Most_24_Hours_And_At_Most_1_Hour_For_A_Key_With_Revocable_Tokens(bool revocable, long ttl, bool accepted)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey, revocable)]);
        using var client = Client(standIn);

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), ttl: ttl)), Cancel);

        // Assert
        if (accepted)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            await AssertAblyErrorAsync(response, HttpStatusCode.BadRequest, 40003, "ttl");
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""["chat:*"]""")]
    [InlineData("""{}""")]
    [InlineData("""{"chat:*":[]}""")]
    [InlineData("""{"chat:*":"publish"}""")]
    [InlineData("""{"chat:*":[1]}""")]
    [InlineData("""{"chat:*":[""]}""")]
    public async Task A_Capability_That_Is_Not_An_Object_Of_Non_Empty_Operation_Arrays_Is_Refused_With_40003(string capability)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var response = await client.PostAsync(
            TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), capability: capability)), Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.BadRequest, 40003, "capability");
        Assert.Empty(standIn.TokenCalls);
    }

    [Fact]
    public async Task A_Capability_Sent_As_An_Object_Rather_Than_A_String_Is_Refused_With_40003()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var tokenRequest = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds());
        tokenRequest["capability"] = new JsonObject { ["chat:*"] = new JsonArray("publish") };

        // Act
        var response = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);

        // Assert
        await AssertAblyErrorAsync(response, HttpStatusCode.BadRequest, 40003, "capability must be a string");
    }

    [Fact]
    public async Task A_Key_With_A_Narrower_Capability_Issues_The_Intersection_And_Its_Own_When_None_Is_Asked()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync(
            [AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey, capability: """{"chat:*":["publish","subscribe"],"news":["subscribe"]}""")]);
        using var client = Client(standIn);
        var requested = """{"*":["subscribe"],"chat:lobby":["*"],"private:alice":["publish"]}""";

        // Act
        var narrowed = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice", requested)), Cancel);
        var unnamed = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice")), Cancel);

        // Assert: "*" meets both key resources, "chat:lobby" falls inside "chat:*", "private:alice" meets nothing.
        Assert.Equal(HttpStatusCode.OK, narrowed.StatusCode);
        Assert.Equal(
            """{"chat:*":["subscribe"],"chat:lobby":["publish","subscribe"],"news":["subscribe"]}""",
            JsonNode.Parse(await narrowed.Content.ReadAsStringAsync(Cancel))!["capability"]!.GetValue<string>());
        Assert.Equal(
            """{"chat:*":["publish","subscribe"],"news":["subscribe"]}""",
            JsonNode.Parse(await unnamed.Content.ReadAsStringAsync(Cancel))!["capability"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_Capability_The_Key_Does_Not_Permit_At_All_Is_Refused_With_401_40160_And_Issues_Nothing()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.SetKeyCapability(KeyName, """{"news:*":["subscribe"]}""");

        // Act
        var outside = await client.PostAsync(
            TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice", """{"chat:*":["publish"]}""")), Cancel);
        var otherOperation = await client.PostAsync(
            TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice", """{"news:today":["publish"]}""")), Cancel);

        // Assert
        await AssertAblyErrorAsync(outside, HttpStatusCode.Unauthorized, 40160, "not permitted by the key");
        await AssertAblyErrorAsync(otherOperation, HttpStatusCode.Unauthorized, 40160);
        Assert.Empty(standIn.TokenCalls);
        Assert.Contains("capability {\"news:*\":[\"subscribe\"]}", Assert.Single(standIn.Keys).ToString(), StringComparison.Ordinal);
    }

    // ---- test controls

    [Fact]
    public async Task FailNext_Answers_The_Next_N_Calls_With_500_50000_Then_The_Endpoint_Recovers()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.FailNext(AblyRestEndpoint.RevokeTokens, count: 2);

        // Act
        var first = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);
        var time = await client.GetAsync(new Uri("/time", UriKind.Relative), Cancel);
        var second = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);
        var third = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);

        // Assert
        await AssertAblyErrorAsync(first, HttpStatusCode.InternalServerError, 50000);
        Assert.Equal(HttpStatusCode.OK, time.StatusCode);
        await AssertAblyErrorAsync(second, HttpStatusCode.InternalServerError, 50000);
        Assert.Equal(HttpStatusCode.Created, third.StatusCode);
        Assert.Single(standIn.RevokeCalls);
        Assert.Equal([true, true], standIn.Rejections.Select(r => r.Injected));
    }

    [Fact]
    public async Task FailNext_With_A_Given_Ably_Error_Answers_With_That_Status_And_Code()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.FailNext(AblyRestEndpoint.RevokeTokens, error: new AblyRestError(HttpStatusCode.Unauthorized, 40133, "Wrong key (injected)"));
        standIn.FailNext(AblyRestEndpoint.RequestToken, error: new AblyRestError(HttpStatusCode.BadRequest, 40163, "Not revocable (injected)"));

        // Act
        var revoke = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);
        var token = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds())), Cancel);

        // Assert
        await AssertAblyErrorAsync(revoke, HttpStatusCode.Unauthorized, 40133, "Wrong key (injected)");
        await AssertAblyErrorAsync(token, HttpStatusCode.BadRequest, 40163, "Not revocable (injected)");
    }

    [Fact]
    public async Task FailNextAfterChecks_Spends_The_Nonce_And_Records_The_Call_But_Answers_The_Error_So_A_Replay_Is_Refused()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.FailNextAfterChecks(AblyRestEndpoint.RequestToken);
        var tokenRequest = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice");

        // Act
        var failed = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);
        var replayed = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);
        var resigned = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice")), Cancel);

        // Assert
        await AssertAblyErrorAsync(failed, HttpStatusCode.InternalServerError, 50000);
        await AssertAblyErrorAsync(replayed, HttpStatusCode.Unauthorized, 40105, "Nonce value replayed");
        Assert.Equal(HttpStatusCode.OK, resigned.StatusCode);
        Assert.Equal([tokenRequest["nonce"]!.GetValue<string>()], standIn.TokenCalls.Take(1).Select(c => c.Nonce));
        Assert.Equal(2, standIn.TokenCalls.Count);
        Assert.Equal([(50000, true), (40105, false)], standIn.Rejections.Select(r => (r.Error.Code, r.Injected)));
    }

    [Fact]
    public async Task AnswerLateNext_Checks_And_Records_The_Call_Then_Holds_Its_Answer_Past_A_Client_Timeout()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var impatient = Client(standIn, TimeSpan.FromMilliseconds(300));
        using var patient = Client(standIn);
        standIn.AnswerLateNext(AblyRestEndpoint.RequestToken, TimeSpan.FromSeconds(5));
        var tokenRequest = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice");

        // Act
        var timedOut = await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel));
        var replayed = await patient.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);
        var stopwatch = Stopwatch.StartNew();
        var resigned = await patient.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice")), Cancel);

        // Assert
        Assert.IsType<TimeoutException>(timedOut.InnerException);
        await AssertAblyErrorAsync(replayed, HttpStatusCode.Unauthorized, 40105);
        Assert.Equal(HttpStatusCode.OK, resigned.StatusCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"the next call waited {stopwatch.Elapsed}");
        Assert.Equal(tokenRequest["nonce"]!.GetValue<string>(), standIn.TokenCalls[0].Nonce);
        Assert.Equal(2, standIn.TokenCalls.Count);
    }

    [Fact]
    public async Task RewriteNextAnswer_Changes_Only_The_Next_Success_Body_After_The_Call_Was_Recorded()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.RewriteNextAnswer(AblyRestEndpoint.RequestToken, body => body.Replace("\"alice\"", "\"mallory\"", StringComparison.Ordinal));

        // Act
        var rewritten = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice")), Cancel);
        var plain = await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds(), "alice")), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, rewritten.StatusCode);
        Assert.Equal("mallory", JsonNode.Parse(await rewritten.Content.ReadAsStringAsync(Cancel))!["clientId"]!.GetValue<string>());
        Assert.Equal("alice", JsonNode.Parse(await plain.Content.ReadAsStringAsync(Cancel))!["clientId"]!.GetValue<string>());
        Assert.Equal(["alice", "alice"], standIn.TokenCalls.Select(c => c.Details.ClientId));
    }

    [Fact]
    public async Task FailUntilReset_Fails_Every_Call_Until_The_Faults_Are_Cleared()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.FailUntilReset(AblyRestEndpoint.Time);

        // Act
        var failures = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            failures.Add(await client.GetAsync(new Uri("/time", UriKind.Relative), Cancel));
        }

        standIn.ClearFaults();
        var recovered = await client.GetAsync(new Uri("/time", UriKind.Relative), Cancel);

        // Assert
        foreach (var failure in failures)
        {
            await AssertAblyErrorAsync(failure, HttpStatusCode.InternalServerError, 50000);
        }

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task Delay_Holds_Responses_For_The_Given_Time()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        standIn.Delay(TimeSpan.FromMilliseconds(400), AblyRestEndpoint.Time);
        var stopwatch = Stopwatch.StartNew();

        // Act
        var response = await client.GetAsync(new Uri("/time", UriKind.Relative), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(390), $"answered after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Hang_Makes_Clients_Time_Out_Until_The_Faults_Are_Cleared_Then_Held_Requests_Complete()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var impatient = Client(standIn, TimeSpan.FromMilliseconds(200));
        using var patient = Client(standIn);
        standIn.Hang(AblyRestEndpoint.RevokeTokens);

        // Act
        var timedOut = await Assert.ThrowsAnyAsync<TaskCanceledException>(
            () => impatient.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel));
        var held = patient.SendAsync(Revoke(new { targets = Targets("clientId:bob") }), Cancel);
        await Task.Delay(100, Cancel);
        var stillHeld = !held.IsCompleted;
        standIn.ClearFaults();
        var released = await held;

        // Assert
        Assert.IsType<TimeoutException>(timedOut.InnerException);
        Assert.True(stillHeld);
        Assert.Equal(HttpStatusCode.Created, released.StatusCode);
        Assert.Equal("clientId:bob", Assert.Single(standIn.RevokeCalls).Targets.Single());
    }

    [Fact]
    public async Task Keys_Can_Be_Added_And_Removed_At_Runtime()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var before = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, key: OtherKey, pathKeyName: OtherKeyName), Cancel);
        standIn.AddKey(OtherKey);
        var added = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, key: OtherKey, pathKeyName: OtherKeyName), Cancel);
        var removed = standIn.RemoveKey(OtherKeyName);
        var after = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, key: OtherKey, pathKeyName: OtherKeyName), Cancel);

        // Assert
        await AssertAblyErrorAsync(before, HttpStatusCode.Unauthorized, 40101);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.True(removed);
        await AssertAblyErrorAsync(after, HttpStatusCode.Unauthorized, 40101);
        Assert.Equal([KeyName], standIn.Keys.Select(k => k.Name));
    }

    [Fact]
    public async Task Reset_Restores_Keys_Clock_And_Faults_And_Forgets_Calls_And_Nonces()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);
        var tokenRequest = SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel)).StatusCode);
        standIn.SetRevocableTokens(KeyName, enabled: false);
        standIn.AddKey(OtherKey);
        standIn.ClockOffset = TimeSpan.FromHours(1);
        standIn.FailUntilReset(AblyRestEndpoint.RevokeTokens);
        standIn.FailNextAfterChecks(AblyRestEndpoint.RequestToken);
        standIn.AnswerLateNext(AblyRestEndpoint.RequestToken, TimeSpan.FromMinutes(1));
        standIn.RewriteNextAnswer(AblyRestEndpoint.RequestToken, _ => "not json");
        standIn.SetKeyCapability(KeyName, """{"news":["subscribe"]}""");

        // Act
        standIn.Reset();
        var revoke = await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel);
        var sameNonceAgain = await client.PostAsync(TokenPath(), JsonBody(tokenRequest), Cancel);

        // Assert
        Assert.Equal(HttpStatusCode.Created, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sameNonceAgain.StatusCode);
        Assert.Equal(TimeSpan.Zero, standIn.ClockOffset);
        Assert.Equal([(KeyName, (string?)null)], standIn.Keys.Select(k => (k.Name, k.Capability)));
        Assert.Single(standIn.RevokeCalls);
        Assert.Single(standIn.TokenCalls);
        Assert.Empty(standIn.Rejections);
    }

    [Theory]
    [InlineData("GET", "/keys/{keyName}/revokeTokens", HttpStatusCode.MethodNotAllowed, 40500)]
    [InlineData("POST", "/time", HttpStatusCode.MethodNotAllowed, 40500)]
    [InlineData("POST", "/keys/{keyName}/stats", HttpStatusCode.NotFound, 40400)]
    [InlineData("GET", "/", HttpStatusCode.NotFound, 40400)]
    public async Task Unknown_Paths_And_Methods_Get_Ably_Errors_Too(string method, string path, HttpStatusCode status, int code)
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync();
        using var client = Client(standIn);

        // Act
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path.Replace("{keyName}", KeyName, StringComparison.Ordinal), UriKind.Relative)), Cancel);

        // Assert
        await AssertAblyErrorAsync(response, status, code);
    }

    [Fact]
    public async Task No_Response_Record_Or_Key_Description_Carries_A_Secret()
    {
        // Arrange
        await using var standIn = await AblyRestStandIn.StartAsync(AblyAuthServerFactory.ApiKey, OtherKey);
        using var client = Client(standIn);
        var responses = new List<HttpResponseMessage>
        {
            await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }), Cancel),
            await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, key: OtherKey), Cancel),
            await client.SendAsync(Revoke(new { targets = Targets("clientId:alice") }, key: KeyName + ":" + OtherSecret), Cancel),
            await client.PostAsync(TokenPath(), JsonBody(SignedTokenRequest(Secret, standIn.Now.ToUnixTimeMilliseconds())), Cancel),
        };

        // Act
        var seen = new StringBuilder();
        foreach (var response in responses)
        {
            seen.AppendLine(response.Headers.ToString()).AppendLine(await response.Content.ReadAsStringAsync(Cancel));
        }

        seen.AppendJoin('\n', standIn.RevokeCalls).AppendJoin('\n', standIn.TokenCalls).AppendJoin('\n', standIn.Rejections).AppendJoin('\n', standIn.Keys);
        seen.AppendJoin('\n', standIn.RevokeCalls.SelectMany(c => c.Headers.Values));

        // Assert
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.OK], responses.Select(r => r.StatusCode));
        Assert.DoesNotContain(Secret, seen.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(OtherSecret, seen.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(AblyAuthServerFactory.ApiKey)), seen.ToString(), StringComparison.Ordinal);
    }

    // ---- helpers

    private static HttpClient Client(AblyRestStandIn standIn, TimeSpan? timeout = null) =>
        new() { BaseAddress = new Uri(standIn.BaseAddress), Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    private static string[] Targets(params string[] targets) => targets;

    private static Uri TokenPath(string? keyName = null) => new($"/keys/{keyName ?? KeyName}/requestToken", UriKind.Relative);

    /// <summary>A revokeTokens request as a well-behaved client sends it, with the test key unless told; null drops a header.</summary>
    private static HttpRequestMessage Revoke(
        object body,
        string? key = null,
        string? pathKeyName = null,
        string? version = "6",
        string? agent = Agent)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/keys/{pathKeyName ?? KeyName}/revokeTokens", UriKind.Relative))
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
            Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key ?? AblyAuthServerFactory.ApiKey))) },
        };

        if (version is not null)
        {
            request.Headers.Add("X-Ably-Version", version);
        }

        if (agent is not null)
        {
            request.Headers.Add("Ably-Agent", agent);
        }

        return request;
    }

    /// <summary>A TokenRequest whose MAC is computed here, from spec RSA9, with .NET's HMACSHA256 directly.</summary>
    private static JsonObject SignedTokenRequest(
        string secret,
        long timestamp,
        string? clientId = null,
        string? capability = null,
        long? ttl = null,
        string? nonce = null,
        string? keyName = null)
    {
        keyName ??= KeyName;
        nonce ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var signText = string.Create(CultureInfo.InvariantCulture, $"{keyName}\n{ttl}\n{capability}\n{clientId}\n{timestamp}\n{nonce}\n");
        var mac = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signText)));
        var request = new JsonObject { ["keyName"] = keyName };
        if (clientId is not null)
        {
            request["clientId"] = clientId;
        }

        if (capability is not null)
        {
            request["capability"] = capability;
        }

        if (ttl is not null)
        {
            request["ttl"] = ttl;
        }

        request["timestamp"] = timestamp;
        request["nonce"] = nonce;
        request["mac"] = mac;
        return request;
    }

    private static StringContent JsonBody(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static string Json(object value) => JsonNode.Parse(JsonSerializer.Serialize(value))!.ToJsonString();

    private static string Normalise(string json) => JsonNode.Parse(json)!.ToJsonString();

    /// <summary>
    /// Ably's error shape, as ably-js reads it: exactly <c>application/json</c>, <c>{"error":{message,code,statusCode,href}}</c>,
    /// and <c>X-Ably-ErrorCode</c>/<c>X-Ably-ErrorMessage</c> headers that agree with the body.
    /// </summary>
    private static async Task<(JsonObject Body, string Raw)> AssertAblyErrorAsync(
        HttpResponseMessage response, HttpStatusCode status, int code, string? messageContains = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var raw = await response.Content.ReadAsStringAsync(Cancel);
        var body = JsonNode.Parse(raw)!.AsObject();
        var error = body["error"]!.AsObject();
        Assert.Equal(["message", "code", "statusCode", "href"], error.Select(p => p.Key));
        Assert.Equal(code, error["code"]!.GetValue<int>());
        Assert.Equal((int)status, error["statusCode"]!.GetValue<int>());
        Assert.Equal($"https://help.ably.io/error/{code}", error["href"]!.GetValue<string>());
        var message = error["message"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(message));
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, message, StringComparison.Ordinal);
        }

        Assert.Equal(code.ToString(CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal(message, Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage")));
        return (body, raw);
    }
}
