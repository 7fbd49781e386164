using System.Net;
using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

/// <summary>Runs on both account stores; each test gets its own database.</summary>
public sealed class SessionLifecycleTestsOnSqlite() : SessionLifecycleTests(AccountStoreProvider.Sqlite);

/// <inheritdoc cref="SessionLifecycleTestsOnSqlite"/>
public sealed class SessionLifecycleTestsOnPostgres() : SessionLifecycleTests(AccountStoreProvider.Postgres);

public abstract class SessionLifecycleTests(AccountStoreProvider provider) : IAsyncLifetime
{
    private AblyAuthServerFactory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = await AblyAuthServerFactory.CreateAsync(provider);
        await _factory.CreateUserAsync("alice", ["member"]);
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logout_Ends_The_Session_For_Bearer_And_Cookie_And_Clears_The_Cookie()
    {
        var session = (await _factory.LoginAsync("alice")).SessionToken;
        using var bearer = _factory.CreateBearerClient(session);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/ably/token", Ct)).StatusCode);

        var logout = await bearer.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        var cleared = Assert.Single(logout.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("ably_session=;", cleared, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.Ordinal);
        await Problems.AssertProblemAsync(await bearer.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
        using var cookieClient = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token-request");
        request.Headers.Add("Cookie", $"ably_session={session}");
        await Problems.AssertProblemAsync(await cookieClient.SendAsync(request, Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_Without_A_Session_Gets_401()
    {
        using var client = _factory.CreateClient();

        await Problems.AssertProblemAsync(await client.PostAsync("/auth/logout", null, Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Other_Sessions_Of_The_Same_User_Survive_A_Logout()
    {
        var first = (await _factory.LoginAsync("alice")).SessionToken;
        var second = (await _factory.LoginAsync("alice")).SessionToken;
        using var firstClient = _factory.CreateBearerClient(first);
        using var secondClient = _factory.CreateBearerClient(second);

        await firstClient.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.OK, (await secondClient.GetAsync("/ably/token", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_Session_Expires_After_Its_Lifetime()
    {
        var session = (await _factory.LoginAsync("alice")).SessionToken;
        using var client = _factory.CreateBearerClient(session);

        _factory.Time.Advance(TimeSpan.FromHours(8) - TimeSpan.FromSeconds(1));
        var justBefore = await client.GetAsync("/ably/token", Ct);
        _factory.Time.Advance(TimeSpan.FromSeconds(1));
        var atExpiry = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, justBefore.StatusCode);
        await Problems.AssertProblemAsync(atExpiry, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Changing_The_Password_Invalidates_Existing_Sessions()
    {
        var session = (await _factory.LoginAsync("alice")).SessionToken;
        using var client = _factory.CreateBearerClient(session);

        Assert.Null(await _factory.WithAccountsAsync(accounts => accounts.SetPasswordAsync("alice", "a brand new password")));

        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
        Assert.Equal("alice", (await _factory.LoginAsync("alice", "a brand new password")).ClientId);
    }

    [Fact]
    public async Task Removing_The_User_Invalidates_Existing_Sessions()
    {
        var session = (await _factory.LoginAsync("alice")).SessionToken;
        using var client = _factory.CreateBearerClient(session);

        Assert.Null(await _factory.WithAccountsAsync(accounts => accounts.RemoveAsync("alice")));

        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Disabling_Ends_Sessions_With_403_While_Disabled_And_401_After_Enabling_Until_A_New_Login()
    {
        var session = (await _factory.LoginAsync("alice")).SessionToken;
        using var client = _factory.CreateBearerClient(session);

        await _factory.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: true));
        var whileDisabled = await client.GetAsync("/ably/token", Ct);
        var tokenRequestWhileDisabled = await client.GetAsync("/ably/token-request", Ct);
        await _factory.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: false));
        var afterEnabling = await client.GetAsync("/ably/token", Ct);
        using var newSession = _factory.CreateBearerClient((await _factory.LoginAsync("alice")).SessionToken);
        var afterNewLogin = await newSession.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(whileDisabled, HttpStatusCode.Forbidden, AuthProblems.AccountDisabled);
        Assert.Equal("40300", Assert.Single(whileDisabled.Headers.GetValues("X-Ably-ErrorCode")));
        await Problems.AssertProblemAsync(tokenRequestWhileDisabled, HttpStatusCode.Forbidden, AuthProblems.AccountDisabled);
        // Enabling does not revive the sessions disabling ended: the SDK is told to log in again.
        await Problems.AssertProblemAsync(afterEnabling, HttpStatusCode.Unauthorized, "log in at /auth/login");
        Assert.Equal("40100", Assert.Single(afterEnabling.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal(HttpStatusCode.OK, afterNewLogin.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await afterNewLogin.Content.ReadAsStringAsync(Ct)).ClientId);
    }

    [Fact]
    public async Task Account_Changes_Reach_Sessions_Within_The_Check_Interval_Not_Before()
    {
        await using var factory = await AblyAuthServerFactory.CreateAsync(provider, new Dictionary<string, string?> { ["Sessions:AccountCheckInterval"] = "00:00:02" });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateBearerClient((await factory.LoginAsync("alice")).SessionToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);

        await factory.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: true));
        var withinInterval = await client.GetAsync("/ably/token", Ct);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        var afterInterval = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, withinInterval.StatusCode);
        await Problems.AssertProblemAsync(afterInterval, HttpStatusCode.Forbidden, AuthProblems.AccountDisabled);
    }

    [Fact]
    public async Task A_Session_From_Another_Server_Key_Ring_Is_Not_Accepted()
    {
        await using var other = await AblyAuthServerFactory.CreateAsync(provider);
        await other.CreateUserAsync("alice", ["member"]);
        var foreign = (await other.LoginAsync("alice")).SessionToken;
        using var client = _factory.CreateBearerClient(foreign);

        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized);
    }
}
