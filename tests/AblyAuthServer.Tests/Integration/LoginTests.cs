using System.Net;
using System.Net.Http.Json;
using System.Text;
using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

/// <summary>Runs on both account stores; each test gets its own database.</summary>
public sealed class LoginTestsOnSqlite() : LoginTests(AccountStoreProvider.Sqlite);

/// <inheritdoc cref="LoginTestsOnSqlite"/>
public sealed class LoginTestsOnPostgres() : LoginTests(AccountStoreProvider.Postgres);

public abstract class LoginTests(AccountStoreProvider provider) : IAsyncLifetime
{
    private AblyAuthServerFactory _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _factory = await AblyAuthServerFactory.CreateAsync(provider);
        await _factory.CreateUserAsync("alice", ["member"]);
        await _factory.CreateUserAsync("bob", ["member"], clientId: "bob-client");
    }

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task Json_Login_Returns_Session_Token_Expiry_ClientId_And_An_HttpOnly_Lax_Secure_Cookie()
    {
        using var client = _factory.CreateClient();

        var response = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var login = (await response.Content.ReadFromJsonAsync<LoginResponse>(TestContext.Current.CancellationToken))!;
        Assert.Equal("alice", login.ClientId);
        Assert.Equal(_factory.Time.GetUtcNow().AddHours(8), login.ExpiresAt);
        Assert.True(login.SessionToken.Length > 40);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"ably_session={login.SessionToken};", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Form_Encoded_Login_Works_And_Returns_The_Fixed_ClientId()
    {
        using var client = _factory.CreateClient();

        var response = await client.PostAsync("/auth/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "bob",
            ["password"] = AblyAuthServerFactory.Password,
        }), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var login = (await response.Content.ReadFromJsonAsync<LoginResponse>(TestContext.Current.CancellationToken))!;
        Assert.Equal("bob-client", login.ClientId);
    }

    [Fact]
    public async Task Wrong_Password_And_Unknown_User_Get_The_Same_401()
    {
        using var client = _factory.CreateClient();

        var wrongPassword = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "not the password" }, TestContext.Current.CancellationToken);
        var unknownUser = await client.PostAsJsonAsync("/auth/login", new { username = "mallory", password = "not the password" }, TestContext.Current.CancellationToken);

        var first = await Problems.AssertProblemAsync(wrongPassword, HttpStatusCode.Unauthorized, AuthProblems.InvalidCredentials);
        var second = await Problems.AssertProblemAsync(unknownUser, HttpStatusCode.Unauthorized, AuthProblems.InvalidCredentials);
        Assert.Equal(Problems.WithoutTraceId(first), Problems.WithoutTraceId(second));
        Assert.False(wrongPassword.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Disabled_User_With_The_Right_Password_Gets_The_Same_401()
    {
        await _factory.WithAccountsAsync(accounts => accounts.SetDisabledAsync("alice", disabled: true));
        using var client = _factory.CreateClient();

        var disabled = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, TestContext.Current.CancellationToken);
        var unknown = await client.PostAsJsonAsync("/auth/login", new { username = "nobody", password = AblyAuthServerFactory.Password }, TestContext.Current.CancellationToken);

        Assert.Equal(
            Problems.WithoutTraceId(await Problems.AssertProblemAsync(unknown, HttpStatusCode.Unauthorized)),
            Problems.WithoutTraceId(await Problems.AssertProblemAsync(disabled, HttpStatusCode.Unauthorized)));
    }

    [Fact]
    public async Task Five_Failures_Lock_The_Account_With_429_And_Retry_After_Even_For_The_Right_Password()
    {
        using var client = _factory.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            var failure = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "guess" + i }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        }

        var fifth = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "guess5" }, TestContext.Current.CancellationToken);
        var rightPassword = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, TestContext.Current.CancellationToken);

        await Problems.AssertProblemAsync(fifth, HttpStatusCode.TooManyRequests, "locked");
        await Problems.AssertProblemAsync(rightPassword, HttpStatusCode.TooManyRequests, "locked");
        var retryAfter = rightPassword.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 290, 300);
        var locked = await _factory.WithAccountsAsync(async accounts => (await accounts.ListAsync()).Single(a => a.UserName == "alice").IsLockedOut);
        Assert.True(locked);
    }

    [Fact]
    public async Task Unknown_User_Names_Lock_Out_Like_Real_Ones_So_429_Does_Not_Reveal_Existence()
    {
        using var client = _factory.CreateClient();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 5; i++)
        {
            last = await client.PostAsJsonAsync("/auth/login", new { username = "ghost", password = "guess" + i }, TestContext.Current.CancellationToken);
        }

        await Problems.AssertProblemAsync(last, HttpStatusCode.TooManyRequests, "locked");
        Assert.InRange(last.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 290, 300);
    }

    [Fact]
    public async Task A_Successful_Login_Resets_The_Failure_Count()
    {
        using var client = _factory.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "guess" + i }, TestContext.Current.CancellationToken);
        }

        await _factory.LoginAsync("alice");
        for (var i = 0; i < 4; i++)
        {
            var failure = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "again" + i }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        }
    }

    [Theory]
    [InlineData("{\"username\":\"alice\"}", "application/json", HttpStatusCode.BadRequest, "'username' and 'password' are required")]
    [InlineData("{\"username\":", "application/json", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("[1,2]", "application/json", HttpStatusCode.BadRequest, "must be an object")]
    [InlineData("username=alice&password=x", "text/plain", HttpStatusCode.UnsupportedMediaType, "application/json or application/x-www-form-urlencoded")]
    public async Task Malformed_Login_Requests_Get_A_Clear_Problem(string body, string mediaType, HttpStatusCode status, string detail)
    {
        using var client = _factory.CreateClient();

        var response = await client.PostAsync("/auth/login", new StringContent(body, Encoding.UTF8, mediaType), TestContext.Current.CancellationToken);

        await Problems.AssertProblemAsync(response, status, detail);
    }

    [Fact]
    public async Task Login_Body_Over_16_KiB_Gets_413()
    {
        using var client = _factory.CreateClient();
        var body = "{\"username\":\"alice\",\"password\":\"" + new string('x', 17 * 1024) + "\"}";

        var response = await client.PostAsync("/auth/login", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        await Problems.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "16384 bytes");
    }

    [Fact]
    public async Task Login_Does_Not_Echo_The_Password()
    {
        using var client = _factory.CreateClient();

        var response = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = "Sup3r-Secret-Guess" }, TestContext.Current.CancellationToken);

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("Sup3r-Secret-Guess", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Sup3r-Secret-Guess", string.Join(" ", response.Headers.SelectMany(h => h.Value)), StringComparison.Ordinal);
    }
}
