using System.Net;
using System.Text.Json;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

/// <summary>
/// Channel claims, publish limits and the server client type come from role policy onto the issued JWT, with every
/// placeholder escaped so no profile value can add structure; forms that cannot carry them are refused.
/// </summary>
public sealed class TokenClaimTests : IAsyncLifetime
{
    private const string ProfileClaim = """{"name":"{displayName}","by":"{clientId}","user":"{userName}","roles":"{roles}"}""";

    private static readonly Dictionary<string, string?> Roles = new()
    {
        ["Policies:Roles:member:Capabilities:0:Channel"] = "chat:*",
        ["Policies:Roles:member:Capabilities:0:Operations:0"] = "publish",
        ["Policies:Roles:member:Capabilities:0:Operations:1"] = "subscribe",
        ["Policies:Roles:member:Capabilities:1:Channel"] = "user:{clientId}",
        ["Policies:Roles:member:Capabilities:1:Operations:0"] = "*",
        ["Policies:Roles:member:ChannelClaims:0:Channel"] = "chat:*",
        ["Policies:Roles:member:ChannelClaims:0:Value"] = ProfileClaim,
        ["Policies:Roles:member:ChannelClaims:1:Channel"] = "user:{clientId}",
        ["Policies:Roles:member:ChannelClaims:1:Value"] = "owner",
        ["Policies:Roles:member:PublishRateLimits:0:Channel"] = "chat:*",
        ["Policies:Roles:member:PublishRateLimits:0:MaxRate"] = "2",
        ["Policies:Roles:muted:Capabilities:0:Channel"] = "chat:*",
        ["Policies:Roles:muted:Capabilities:0:Operations:0"] = "subscribe",
        ["Policies:Roles:muted:ChannelClaims:0:Channel"] = "chat:*",
        ["Policies:Roles:muted:ChannelClaims:0:Value"] = "muted",
        ["Policies:Roles:muted:PublishRateLimits:0:Channel"] = "chat:*",
        ["Policies:Roles:muted:PublishRateLimits:0:MaxRate"] = "0.1",
        ["Policies:Roles:backend:Capabilities:0:Channel"] = "*",
        ["Policies:Roles:backend:Capabilities:0:Operations:0"] = "publish",
        ["Policies:Roles:backend:ClientType"] = "server",
        ["Policies:Roles:plain:Capabilities:0:Channel"] = "news",
        ["Policies:Roles:plain:Capabilities:0:Operations:0"] = "subscribe",
    };

    private readonly AblyAuthServerFactory _factory = new(Roles);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _factory.CreateUserAsync("alice", ["member"], clientId: "alice-1");
        await _factory.CreateUserAsync("mo", ["member", "muted"]);
        await _factory.CreateUserAsync("svc", ["backend"]);
        await _factory.CreateUserAsync("pat", ["plain"]);
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private async Task<HttpResponseMessage> GetAsync(string userName, string path)
    {
        using var client = _factory.CreateBearerClient((await _factory.LoginAsync(userName)).SessionToken);
        return await client.GetAsync(path, Ct);
    }

    private async Task<Jwt> JwtFor(string userName)
    {
        var response = await GetAsync(userName, "/ably/token");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret));
        return Jwt.Parse(token);
    }

    [Fact]
    public async Task A_Channel_Claim_Fills_Every_Placeholder_And_Expands_The_Channel_Template()
    {
        Assert.Null(await _factory.WithAccountsAsync(accounts => accounts.SetDisplayNameAsync("alice", "Alice A.")));

        var jwt = await JwtFor("alice");

        Assert.Equal(JsonValueKind.String, jwt.Payload.GetProperty("ably.channel.chat:*").ValueKind);
        Assert.Equal(
            """{"name":"Alice A.","by":"alice-1","user":"alice","roles":"member"}""",
            jwt.Payload.GetProperty("ably.channel.chat:*").GetString());
        Assert.Equal("owner", jwt.Payload.GetProperty("ably.channel.user:alice-1").GetString());
        Assert.Equal(2, jwt.Payload.GetProperty("ably.limits.publish.perAttachment.maxRate.chat:*").GetDouble());
        Assert.Equal(
            ["iat", "exp", "x-ably-capability", "x-ably-clientId", "ably.channel.chat:*", "ably.channel.user:alice-1", "ably.limits.publish.perAttachment.maxRate.chat:*"],
            jwt.ClaimNames);
    }

    [Theory]
    [InlineData("Eve\",\"admin\":true,\"x\":\"")]
    [InlineData("\\\"}{\"roles\":\"admin")]
    [InlineData("{roles} {clientId}")]
    [InlineData("Zoë 🎉 <script>")]
    public async Task A_Display_Name_Cannot_Add_Structure_To_A_Claim(string displayName)
    {
        Assert.Null(await _factory.WithAccountsAsync(accounts => accounts.SetDisplayNameAsync("alice", displayName)));

        var claim = (await JwtFor("alice")).Payload.GetProperty("ably.channel.chat:*").GetString()!;

        using var parsed = JsonDocument.Parse(claim);
        Assert.Equal(["name", "by", "user", "roles"], parsed.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(displayName, parsed.RootElement.GetProperty("name").GetString());
        Assert.Equal("member", parsed.RootElement.GetProperty("roles").GetString());
    }

    [Fact]
    public async Task Without_A_Display_Name_The_Placeholder_Is_Empty()
    {
        var claim = (await JwtFor("alice")).Payload.GetProperty("ably.channel.chat:*").GetString()!;

        Assert.Equal("""{"name":"","by":"alice-1","user":"alice","roles":"member"}""", claim);
    }

    [Fact]
    public async Task With_Several_Roles_The_First_Role_In_Name_Order_Gives_The_Claim_And_The_Lowest_Limit_Applies()
    {
        var jwt = await JwtFor("mo");

        Assert.Equal(
            """{"name":"","by":"mo","user":"mo","roles":"member,muted"}""",
            jwt.Payload.GetProperty("ably.channel.chat:*").GetString());
        Assert.Equal(0.1, jwt.Payload.GetProperty("ably.limits.publish.perAttachment.maxRate.chat:*").GetDouble());
        Assert.Contains("\"ably.limits.publish.perAttachment.maxRate.chat:*\":0.1", jwt.PayloadJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Server_Role_Declares_Its_Tokens_Server_Clients()
    {
        var jwt = await JwtFor("svc");

        Assert.Equal("server", jwt.Payload.GetProperty("x-ably-clientType").GetString());
        Assert.Equal(["iat", "exp", "x-ably-capability", "x-ably-clientId", "x-ably-clientType"], jwt.ClaimNames);
    }

    [Fact]
    public async Task A_Role_Without_Claims_Gets_Only_The_Standard_Claims()
    {
        var jwt = await JwtFor("pat");

        Assert.Equal(["iat", "exp", "x-ably-capability", "x-ably-clientId"], jwt.ClaimNames);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("svc")]
    public async Task A_TokenRequest_Is_Refused_When_Policy_Gives_Claims_It_Could_Not_Carry(string userName)
    {
        var response = await GetAsync(userName, "/ably/token-request");

        await Problems.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "which only JWTs carry. Use /ably/token instead.");
        Assert.Equal("40000", response.Headers.GetValues("X-Ably-ErrorCode").Single());
    }

    [Fact]
    public async Task A_TokenRequest_For_A_Role_Without_Claims_Is_Still_Issued()
    {
        var response = await GetAsync("pat", "/ably/token-request");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"mac\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claims_Count_Towards_The_Jwt_Size_Limit()
    {
        await using var small = new AblyAuthServerFactory(new Dictionary<string, string?>(Roles) { ["Ably:MaxJwtBytes"] = "1024" });
        await small.CreateUserAsync("alice", ["member"]);
        using var client = small.CreateBearerClient((await small.LoginAsync("alice")).SessionToken);
        var withoutName = await client.GetAsync("/ably/token", Ct);
        Assert.Null(await small.WithAccountsAsync(accounts => accounts.SetDisplayNameAsync("alice", new string('"', 200))));

        var withName = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, withoutName.StatusCode);
        await Problems.AssertProblemAsync(withName, HttpStatusCode.UnprocessableEntity, "over the 1024-byte limit");
        await Problems.AssertProblemAsync(withName, HttpStatusCode.UnprocessableEntity, "shorten the role's channel claims");
    }
}
