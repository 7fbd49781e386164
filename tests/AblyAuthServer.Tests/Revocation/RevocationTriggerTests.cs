using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Revocation;

/// <summary>
/// Each cause sends Ably the targets that reach exactly the tokens it should end, dated at the cause, on the key that
/// signed them; and the SDK's next request to authUrl (after Ably disconnects it with 40141) gets the answer that makes
/// it stop (403) or log in again (401).
/// </summary>
public sealed class RevocationTriggerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logout_Revokes_The_Sessions_Key_Issued_Before_The_Logout_And_The_Session_Then_Gets_401()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var client = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        var key = RevocationKey(await client.GetStringAsync("/ably/token", Ct));
        var loggedOutAt = server.Time.GetUtcNow().ToUnixTimeMilliseconds();

        var logout = await client.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal(AblyAuthServerFactory.KeyName, call.KeyName);
        Assert.Equal([$"revocationKey:{key}"], call.Targets);
        Assert.Equal(loggedOutAt, call.IssuedBeforeSent);
        Assert.False(call.AllowReauthMargin);
        Assert.Equal("6", call.AblyVersion);
        Assert.StartsWith("ably-auth-server/", call.AblyAgent, StringComparison.Ordinal);
        Assert.StartsWith("application/json", call.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("\"successCount\":1", call.ResponseBody, StringComparison.Ordinal);
        var row = Assert.Single(await server.WaitForOutboxAsync(rows => rows.All(r => r.State == RevocationState.Delivered)));
        Assert.Equal(("logout", "alice", 1, (string?)null), (row.Reason, row.UserName, row.Attempts, row.LastError));

        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logging_Out_One_Session_Leaves_The_Other_Sessions_Tokens_Alone()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var phone = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        using var laptop = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        var phoneKey = RevocationKey(await phone.GetStringAsync("/ably/token", Ct));
        var laptopKey = RevocationKey(await laptop.GetStringAsync("/ably/token", Ct));

        await phone.PostAsync("/auth/logout", null, Ct);

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal([$"revocationKey:{phoneKey}"], call.Targets);
        Assert.DoesNotContain(call.Targets, t => t.Contains(laptopKey, StringComparison.Ordinal) || t.StartsWith("clientId:", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task Setting_A_Password_Revokes_Every_Token_Of_The_Account_By_ClientId_And_Account_Key()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"], clientId: "alice-7");
        using var session = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        using var basic = BasicClient(server.App, "alice");
        var sessionKey = RevocationKey(await session.GetStringAsync("/ably/token", Ct));
        var basicKey = RevocationKey(await basic.GetStringAsync("/ably/token", Ct));
        var changedAt = server.Time.GetUtcNow().ToUnixTimeMilliseconds();

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.SetPasswordAsync("alice", "a-brand-new-password")));

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal(["clientId:alice-7", $"revocationKey:{basicKey}"], call.Targets);
        Assert.NotEqual(sessionKey, basicKey);
        Assert.Equal(changedAt, call.IssuedBeforeSent);
        Assert.Equal("set-password", Assert.Single(await server.WaitForOutboxAsync(Delivered(1))).Reason);
        await Problems.AssertProblemAsync(await session.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
        await Problems.AssertProblemAsync(await basic.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Disabling_An_Account_Revokes_Its_Tokens_And_The_SDKs_Next_Request_Gets_403()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var session = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        using var basic = BasicClient(server.App, "alice");
        await session.GetStringAsync("/ably/token", Ct);
        var accountKey = RevocationKey(await basic.GetStringAsync("/ably/token", Ct));

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: true)));

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal(["clientId:alice", $"revocationKey:{accountKey}"], call.Targets);
        Assert.Equal("disable", Assert.Single(await server.WaitForOutboxAsync(Delivered(1))).Reason);
        var refused = await session.GetAsync("/ably/token", Ct);
        await Problems.AssertProblemAsync(refused, HttpStatusCode.Forbidden, AuthenticatedCaller.AccountDisabled);
        Assert.Equal("40300", refused.Headers.GetValues("X-Ably-ErrorCode").Single());

        // Enabling revokes nothing: there is nothing new to end.
        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: false)));
        await Task.Delay(500, Ct);
        Assert.Single(server.Ably.RevokeCalls);
        Assert.Single(await server.OutboxAsync());
    }

    [Fact]
    public async Task Removing_An_Account_Revokes_Its_Tokens_And_The_Session_Then_Gets_401()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var session = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        using var basic = BasicClient(server.App, "alice");
        var accountKey = RevocationKey(await basic.GetStringAsync("/ably/token", Ct));

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.RemoveAsync("alice")));

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal(["clientId:alice", $"revocationKey:{accountKey}"], call.Targets);
        Assert.Equal("remove", Assert.Single(await server.WaitForOutboxAsync(Delivered(1))).Reason);
        await Problems.AssertProblemAsync(await session.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Revoke_Tokens_Revokes_The_Accounts_Tokens_And_Keeps_Its_Sessions_So_Clients_Get_New_Ones()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        using var session = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        using var basic = BasicClient(server.App, "alice");
        var accountKey = RevocationKey(await basic.GetStringAsync("/ably/token", Ct));

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.RevokeTokensAsync("alice")));

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal(["clientId:alice", $"revocationKey:{accountKey}"], call.Targets);
        Assert.Equal("revoke-tokens", Assert.Single(await server.WaitForOutboxAsync(Delivered(1))).Reason);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task Tokens_For_Another_ClientId_Carry_The_Account_Key_So_Account_Changes_And_Logout_Reach_Them()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("svc", ["service"]);
        using var session = server.App.CreateBearerClient((await server.App.LoginAsync("svc")).SessionToken);
        using var basic = BasicClient(server.App, "svc");
        var ownKey = RevocationKey(await session.GetStringAsync("/ably/token", Ct));
        var forBob = Jwt.Parse(await session.GetStringAsync("/ably/token?clientId=bob", Ct));
        var wildcard = Jwt.Parse(await session.GetStringAsync("/ably/token?clientId=*", Ct));
        var accountKey = RevocationKey(await basic.GetStringAsync("/ably/token", Ct));

        Assert.Equal("bob", forBob.ClientId);
        Assert.Equal(accountKey, forBob.Payload.GetProperty("x-ably-revocation-key").GetString());
        Assert.Equal(accountKey, wildcard.Payload.GetProperty("x-ably-revocation-key").GetString());
        Assert.NotEqual(ownKey, accountKey);

        await session.PostAsync("/auth/logout", null, Ct);

        var call = Assert.Single(await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct));
        Assert.Equal([$"revocationKey:{ownKey}", $"revocationKey:{accountKey}"], call.Targets);
    }

    [Fact]
    public async Task Only_Revocable_Mode_Puts_A_Revocation_Key_In_Jwts_And_It_Is_Neither_ClientId_Nor_User_Name_And_Differs_Per_Session()
    {
        await using var plain = new AblyAuthServerFactory();
        await plain.CreateUserAsync("alice", ["member"]);
        using var plainClient = plain.CreateBearerClient((await plain.LoginAsync("alice")).SessionToken);
        var plainJwt = Jwt.Parse(await plainClient.GetStringAsync("/ably/token", Ct));
        Assert.Equal(["iat", "exp", "x-ably-capability", "x-ably-clientId"], plainJwt.ClaimNames);

        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        var first = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        var second = server.App.CreateBearerClient((await server.App.LoginAsync("alice")).SessionToken);
        var token = await first.GetStringAsync("/ably/token", Ct);
        var jwt = Jwt.Parse(token);
        var firstKey = RevocationKey(token);
        var firstAgain = RevocationKey(await first.GetStringAsync("/ably/token", Ct));
        var secondKey = RevocationKey(await second.GetStringAsync("/ably/token", Ct));

        Assert.Equal(["iat", "exp", "x-ably-capability", "x-ably-clientId", "x-ably-revocation-key"], jwt.ClaimNames);
        Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret));
        Assert.Matches("^[A-Za-z0-9_-]{22}$", firstKey);
        Assert.Equal(firstKey, firstAgain);
        Assert.NotEqual(firstKey, secondKey);
        Assert.DoesNotContain("alice", firstKey, StringComparison.OrdinalIgnoreCase);
        var request = await first.GetStringAsync("/ably/token-request", Ct);
        Assert.DoesNotContain("revocation", request, StringComparison.OrdinalIgnoreCase);
        first.Dispose();
        second.Dispose();
    }

    [Fact]
    public async Task A_Logout_That_Races_Another_Logout_Of_The_Same_Session_Revokes_Once()
    {
        await using var server = await RevocableServer.StartAsync();
        await server.App.CreateUserAsync("alice", ["member"]);
        var token = (await server.App.LoginAsync("alice")).SessionToken;
        using var one = server.App.CreateBearerClient(token);
        using var two = server.App.CreateBearerClient(token);

        await Task.WhenAll(one.PostAsync("/auth/logout", null, Ct), two.PostAsync("/auth/logout", null, Ct));

        await server.Ably.RevokeCalls.WaitForCountAsync(1, cancellationToken: Ct);
        await Task.Delay(500, Ct);
        Assert.Single(server.Ably.RevokeCalls);
        Assert.Single(await server.OutboxAsync());
    }

    internal static string RevocationKey(string jwt) => Jwt.Parse(jwt).Payload.GetProperty("x-ably-revocation-key").GetString()!;

    internal static HttpClient BasicClient(AblyAuthServerFactory app, string userName, string password = AblyAuthServerFactory.Password)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}")));
        return client;
    }

    internal static Func<List<RevocationEntry>, bool> Delivered(int count) =>
        rows => rows.Count == count && rows.All(r => r.State == RevocationState.Delivered);
}
