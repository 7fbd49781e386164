using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Revocation;

/// <summary>Only a token's own key can revoke it: with several keys, each hears about the tokens it signed.</summary>
public sealed class SeveralKeysRevocationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Logout_Revokes_The_Sessions_Tokens_Of_Each_Key_With_That_Key()
    {
        await using var store = TestAccountStore.CreateSqlite();
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync(
            [AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey), AblyRestStandInKey.Parse(AblyAuthServerFactory.SecondApiKey)], time);
        var keys = new Dictionary<string, string?>
        {
            ["Ably:Keys:0"] = AblyAuthServerFactory.ApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.SecondApiKey,
        };
        // Mid-rotation: one replica still signs with the old key, the other already with the new one.
        await using var old = await RevocableServer.StartAsync(keys, store, ably, time);
        await using var renewed = await RevocableServer.StartAsync(
            new Dictionary<string, string?>(keys) { ["Ably:SigningKeyName"] = AblyAuthServerFactory.SecondKeyName }, store, ably, time);
        await old.App.CreateUserAsync("alice", ["member"]);
        var session = (await old.App.LoginAsync("alice")).SessionToken;
        using var oldClient = old.App.CreateBearerClient(session);
        using var renewedClient = renewed.App.CreateBearerClient(session);
        var oldJwt = await oldClient.GetStringAsync("/ably/token", Ct);
        var renewedJwt = await renewedClient.GetStringAsync("/ably/token", Ct);

        await oldClient.PostAsync("/auth/logout", null, Ct);

        var calls = await ably.RevokeCalls.WaitForCountAsync(2, cancellationToken: Ct);
        await old.WaitForOutboxAsync(rows => rows.All(r => r.State == RevocationState.Delivered));
        Assert.Equal(AblyAuthServerFactory.KeyName, Jwt.Parse(oldJwt).Header.GetProperty("kid").GetString());
        Assert.Equal(AblyAuthServerFactory.SecondKeyName, Jwt.Parse(renewedJwt).Header.GetProperty("kid").GetString());
        var oldKeyCall = Assert.Single(calls, c => c.KeyName == AblyAuthServerFactory.KeyName);
        var newKeyCall = Assert.Single(calls, c => c.KeyName == AblyAuthServerFactory.SecondKeyName);
        Assert.Equal([$"revocationKey:{RevocationTriggerTests.RevocationKey(oldJwt)}"], oldKeyCall.Targets);
        Assert.Equal([$"revocationKey:{RevocationTriggerTests.RevocationKey(renewedJwt)}"], newKeyCall.Targets);
        Assert.NotEqual(RevocationTriggerTests.RevocationKey(oldJwt), RevocationTriggerTests.RevocationKey(renewedJwt));
        Assert.Empty(ably.Rejections);
    }

    [Fact]
    public async Task An_Account_Change_Sends_Each_Key_Its_ClientId_Target_And_Its_Own_Account_Key()
    {
        var time = AblyAuthServerFactory.NewTime();
        await using var ably = await AblyRestStandIn.StartAsync(
            [AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey), AblyRestStandInKey.Parse(AblyAuthServerFactory.SecondApiKey)], time);
        await using var server = await RevocableServer.StartAsync(new Dictionary<string, string?>
        {
            ["Ably:Keys:0"] = AblyAuthServerFactory.SecondApiKey,
            ["Ably:Keys:1"] = AblyAuthServerFactory.ApiKey,
        }, ably: ably, time: time);
        await server.App.CreateUserAsync("alice", ["member"]);
        using var basic = RevocationTriggerTests.BasicClient(server.App, "alice");
        var basicJwt = await basic.GetStringAsync("/ably/token", Ct);

        Assert.Null(await server.App.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", true)));

        var calls = await ably.RevokeCalls.WaitForCountAsync(2, cancellationToken: Ct);
        var signerCall = Assert.Single(calls, c => c.KeyName == AblyAuthServerFactory.SecondKeyName);
        var otherCall = Assert.Single(calls, c => c.KeyName == AblyAuthServerFactory.KeyName);
        Assert.Equal(["clientId:alice", $"revocationKey:{RevocationTriggerTests.RevocationKey(basicJwt)}"], signerCall.Targets);
        Assert.Equal("clientId:alice", otherCall.Targets[0]);
        Assert.StartsWith("revocationKey:", otherCall.Targets[1], StringComparison.Ordinal);
        Assert.NotEqual(signerCall.Targets[1], otherCall.Targets[1]);
        Assert.Empty(ably.Rejections);
    }
}
