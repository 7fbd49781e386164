using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AblyAuthServer.Tests.Hardening;

/// <summary>Runs on both account stores: a logout is kept in the store, so a restart does not revive the session.</summary>
public sealed class DurableLogoutTestsOnSqlite() : DurableLogoutTests(AccountStoreProvider.Sqlite);

/// <inheritdoc cref="DurableLogoutTestsOnSqlite"/>
public sealed class DurableLogoutTestsOnPostgres() : DurableLogoutTests(AccountStoreProvider.Postgres);

public abstract class DurableLogoutTests(AccountStoreProvider provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Logged_Out_Session_Stays_Refused_After_The_Server_Restarts_While_Others_Still_Work()
    {
        await using var store = await TestAccountStore.CreateAsync(provider);
        string loggedOut, kept;
        await using (var before = new AblyAuthServerFactory(store))
        {
            await before.CreateUserAsync("alice", ["member"]);
            loggedOut = (await before.LoginAsync("alice")).SessionToken;
            kept = (await before.LoginAsync("alice")).SessionToken;
            using var client = before.CreateBearerClient(loggedOut);
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/logout", null, Ct)).StatusCode);
        }

        await using var after = new AblyAuthServerFactory(store);
        using var loggedOutClient = after.CreateBearerClient(loggedOut);
        using var keptClient = after.CreateBearerClient(kept);
        var refused = await loggedOutClient.GetAsync("/ably/token", Ct);
        var accepted = await keptClient.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "log in at /auth/login");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await accepted.Content.ReadAsStringAsync(Ct)).ClientId);
    }

    [Fact]
    public async Task Ended_Sessions_Are_Deleted_From_The_Store_Once_They_Would_Have_Expired()
    {
        await using var factory = await AblyAuthServerFactory.CreateAsync(provider, new Dictionary<string, string?> { ["Sessions:Lifetime"] = "00:10:00" });
        await factory.CreateUserAsync("alice", ["member"]);
        using (var client = factory.CreateBearerClient((await factory.LoginAsync("alice")).SessionToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/logout", null, Ct)).StatusCode);
        }

        var store = factory.Services.GetRequiredService<AblyAuthServer.Sessions.EndedSessionStore>();
        Assert.Single(await store.LoadAsync(Ct));
        Assert.Equal(0, await store.PruneAsync(Ct));
        factory.Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(1, await store.PruneAsync(Ct));
        Assert.Empty(await store.LoadAsync(Ct));
    }
}
