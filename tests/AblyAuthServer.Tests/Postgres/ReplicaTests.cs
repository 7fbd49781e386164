using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Postgres;

/// <summary>
/// Several app instances on one PostgreSQL database behave as one server: session tokens (data protection keys),
/// lockout counters, security stamps, roles and the disabled flag are all read from the shared database.
/// </summary>
public sealed class ReplicaTests : IAsyncLifetime
{
    private const string ViewerCapability = """{"chat:*":["history","subscribe"]}""";
    private TestAccountStore _store = null!;
    private AblyAuthServerFactory _first = null!;
    private AblyAuthServerFactory _second = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        _first = new AblyAuthServerFactory(_store);
        await _first.CreateUserAsync("alice", ["member"]);
        _second = new AblyAuthServerFactory(_store);
        _ = _second.Server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        if (_first is not null)
        {
            await _first.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_Session_From_One_Replica_Is_Accepted_By_Another()
    {
        var session = (await _first.LoginAsync("alice")).SessionToken;
        using var other = _second.CreateBearerClient(session);

        var response = await other.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).ClientId);
    }

    [Fact]
    public async Task A_Session_Survives_Every_Replica_Restarting()
    {
        var session = (await _first.LoginAsync("alice")).SessionToken;
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        _first = _second = null!;

        await using var restarted = new AblyAuthServerFactory(_store);
        using var client = restarted.CreateBearerClient(session);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_Key_Ring_Lives_In_The_Database_And_Not_On_Disk()
    {
        await _first.LoginAsync("alice");

        var keys = await _store.QueryAsync("""SELECT "Xml" FROM "DataProtectionKeys" """);

        var key = Assert.Single(keys);
        Assert.StartsWith("<key id=", key, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_store.Directory));
    }

    [Fact]
    public async Task Failed_Logins_On_Different_Replicas_Add_Up_To_One_Lockout()
    {
        using var first = _first.CreateClient();
        using var second = _second.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            var client = i % 2 == 0 ? first : second;
            var failure = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "guess" + i }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        }

        var fifth = await first.PostAsJsonAsync("/auth/login", new { username = "alice", password = "guess4" }, Ct);
        var rightPasswordElsewhere = await second.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, Ct);

        await Problems.AssertProblemAsync(fifth, HttpStatusCode.TooManyRequests, "locked");
        await Problems.AssertProblemAsync(rightPasswordElsewhere, HttpStatusCode.TooManyRequests, "locked");
        Assert.InRange(rightPasswordElsewhere.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 290, 300);
    }

    [Fact]
    public async Task A_Password_Change_On_One_Replica_Ends_Sessions_On_Another()
    {
        var session = (await _second.LoginAsync("alice")).SessionToken;
        using var client = _second.CreateBearerClient(session);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);

        Assert.Null(await _first.WithAccountsAsync(accounts => accounts.SetPasswordAsync("alice", "a brand new password")));

        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal("alice", (await _second.LoginAsync("alice", "a brand new password")).ClientId);
    }

    [Fact]
    public async Task Roles_And_Disabling_Set_On_One_Replica_Apply_On_Another()
    {
        await _first.CreateUserAsync("victor", ["viewer"], clientId: "victor-9");
        var session = (await _second.LoginAsync("victor")).SessionToken;
        using var client = _second.CreateBearerClient(session);

        var token = Jwt.Parse(await (await client.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct));
        await _first.WithAccountsAsync(accounts => accounts.SetDisabledAsync("victor", disabled: true));
        var whileDisabled = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(ViewerCapability, token.Capability);
        Assert.Equal("victor-9", token.ClientId);
        await Problems.AssertProblemAsync(whileDisabled, HttpStatusCode.Forbidden, AuthProblems.AccountDisabled);
    }
}
