using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Revocation;

public sealed class NoOutboundCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_Default_Configuration_Never_Calls_The_Ably_Rest_Host()
    {
        await using var ably = await AblyRestStandIn.StartAsync();
        await using var app = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Ably:RestHost"] = ably.BaseAddress });
        await app.CreateUserAsync("alice", ["member"]);
        await app.CreateUserAsync("bob", ["member"]);
        await app.CreateUserAsync("carol", ["member"]);

        using (var session = app.CreateBearerClient((await app.LoginAsync("alice")).SessionToken))
        {
            Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/ably/token", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/ably/token-request", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await session.GetAsync("/ably/token-details", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await session.PostAsync("/ably/token-details", null, Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await session.PostAsync("/auth/logout", null, Ct)).StatusCode);
        }

        using (var basic = RevocationTriggerTests.BasicClient(app, "bob"))
        {
            Assert.Equal(HttpStatusCode.OK, (await basic.GetAsync("/ably/token", Ct)).StatusCode);
        }

        Assert.Equal(UsersCommand.Success, await Users(app, "bob", "set-password", "another-password"));
        Assert.Equal(UsersCommand.Success, await Users(app, "bob", "disable"));
        Assert.Equal(UsersCommand.Success, await Users(app, "carol", "remove"));
        Assert.Equal(UsersCommand.Failure, await Users(app, "alice", "revoke-tokens"));
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        Assert.Empty(ably.RevokeCalls);
        Assert.Empty(ably.TimeCalls);
        Assert.Empty(ably.TokenCalls);
        Assert.Empty(ably.Rejections);
        Assert.Empty(await RevocableServer.OutboxAsync(app));
    }

    private static async Task<int> Users(AblyAuthServerFactory app, string name, string verb, string? password = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        return await UsersCommand.RunAsync(app.Services, ["users", verb, name], new StringReader(password is null ? string.Empty : password + "\n"), output, error);
    }
}
