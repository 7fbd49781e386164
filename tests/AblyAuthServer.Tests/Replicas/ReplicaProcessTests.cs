using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Authentication;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Replicas;

/// <summary>
/// Two real server processes on one PostgreSQL database and one Redis behave as one server, whichever replica a
/// request lands on: sessions, logout, lockout, login limits, and restarts. User names carry a per-run suffix, since
/// login limits live in the shared Redis for a minute.
/// </summary>
[Collection(ReplicaProcesses.Name)]
public sealed class ReplicaProcessTests : IAsyncLifetime
{
    private const int PerUsernameLimit = 8;
    private const int MaxFailedAccessAttempts = 5;
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private ReplicaPair _pair = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Alice => "alice-" + _suffix;

    private string Bob => "bob-" + _suffix;

    private string Carol => "carol-" + _suffix;

    private string Dave => "dave-" + _suffix;

    private static string ClientIdOf(string userName) => "cid-" + userName;

    public async ValueTask InitializeAsync()
    {
        _pair = await ReplicaPair.StartAsync(new Dictionary<string, string>
        {
            ["Accounts__MaxFailedAccessAttempts"] = MaxFailedAccessAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Accounts__LockoutDuration"] = "00:05:00",
            ["RateLimiting__Login__PerUsername__PermitLimit"] = PerUsernameLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiting__Login__PerUsername__Window"] = "00:01:00",
            // Every test process logs in from 127.0.0.1 and the per-address count lives in the shared Redis: lift it.
            ["RateLimiting__Login__PerIp__PermitLimit"] = "1000000",
            ["RateLimiting__Tokens__PerUser__PermitLimit"] = "1000",
        });
    }

    public async ValueTask DisposeAsync() => await (_pair?.DisposeAsync() ?? ValueTask.CompletedTask);

    [Fact]
    public async Task A_User_Added_By_The_Cli_Logs_In_On_A_And_Gets_A_Signed_Jwt_And_TokenRequest_On_B()
    {
        await _pair.AddUserAsync(Alice, ClientIdOf(Alice));
        var list = await ServerProcess.RunAsync(["users", "list"], _pair.Environment(_pair.PortB));
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(Alice, list.Output, StringComparison.Ordinal);

        var session = await LoginAsync(_pair.AddressA, Alice);
        using var onB = ReplicaPair.Client(_pair.AddressB, session.SessionToken);
        var jwtResponse = await onB.GetAsync("/ably/token", Ct);
        var requestResponse = await onB.GetAsync("/ably/token-request", Ct);

        Assert.Equal(ClientIdOf(Alice), session.ClientId);
        Assert.Equal(HttpStatusCode.OK, jwtResponse.StatusCode);
        Assert.Equal("application/jwt", jwtResponse.Content.Headers.ContentType?.MediaType);
        var token = await jwtResponse.Content.ReadAsStringAsync(Ct);
        var jwt = Jwt.Parse(token);
        Assert.Equal(ClientIdOf(Alice), jwt.ClientId);
        Assert.Equal("HS256", jwt.Header.GetProperty("alg").GetString());
        Assert.Equal(AblyAuthServerFactory.KeyName, jwt.Header.GetProperty("kid").GetString());
        Assert.Contains("chat:*", jwt.Capability, StringComparison.Ordinal);
        Assert.Contains("private:" + ClientIdOf(Alice), jwt.Capability, StringComparison.Ordinal);
        Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret), "the JWT issued by B does not verify with the key secret");

        Assert.Equal(HttpStatusCode.OK, requestResponse.StatusCode);
        var tokenRequest = (await requestResponse.Content.ReadFromJsonAsync<AblyAuthServer.Ably.TokenRequest>(Ct))!;
        Assert.Equal(ClientIdOf(Alice), tokenRequest.ClientId);
        Assert.Equal(AblyAuthServerFactory.KeyName, tokenRequest.KeyName);
        Assert.True(ReplicaPair.HasValidMac(tokenRequest, AblyAuthServerFactory.Secret), "the TokenRequest mac does not verify");
    }

    [Fact]
    public async Task Logout_On_B_Ends_The_Session_On_A_Within_Two_Seconds()
    {
        await _pair.AddUserAsync(Alice, ClientIdOf(Alice));
        var session = (await LoginAsync(_pair.AddressA, Alice)).SessionToken;
        using var onA = ReplicaPair.Client(_pair.AddressA, session);
        using var onB = ReplicaPair.Client(_pair.AddressB, session);
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/ably/token", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/ably/token", Ct)).StatusCode);

        var logout = await onB.PostAsync("/auth/logout", null, Ct);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Empty(await logout.Content.ReadAsByteArrayAsync(Ct));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = await Polling.UntilStatusAsync(() => onA.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(2));
        TestContext.Current.TestOutputHelper?.WriteLine($"A refused the logged-out session after {clock.ElapsedMilliseconds} ms");
        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, AuthProblems.SessionRequired);
        Assert.Equal("40100", Assert.Single(refused.Headers.GetValues("X-Ably-ErrorCode")));
        await Problems.AssertProblemAsync(await onB.GetAsync("/ably/token-request", Ct), HttpStatusCode.Unauthorized);
        await Problems.AssertProblemAsync(await onA.PostAsync("/auth/logout", null, Ct), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Wrong_Passwords_Spread_Over_A_And_B_Lock_The_Account_On_Both()
    {
        await _pair.AddUserAsync(Bob, ClientIdOf(Bob));
        using var a = ReplicaPair.Client(_pair.AddressA);
        using var b = ReplicaPair.Client(_pair.AddressB);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < MaxFailedAccessAttempts; i++)
        {
            var client = i < 3 ? a : b; // 3 on A, 2 on B
            var response = await client.PostAsJsonAsync("/auth/login", new { username = Bob, password = "wrong password " + i }, Ct);
            statuses.Add(response.StatusCode);
            if (i < MaxFailedAccessAttempts - 1)
            {
                await Problems.AssertProblemAsync(response, HttpStatusCode.Unauthorized, AuthProblems.InvalidCredentials);
            }
        }

        var rightOnA = await a.PostAsJsonAsync("/auth/login", new { username = Bob, password = AblyAuthServerFactory.Password }, Ct);
        var rightOnB = await b.PostAsJsonAsync("/auth/login", new { username = Bob, password = AblyAuthServerFactory.Password }, Ct);

        // The attempt that reaches the limit is itself refused as a lockout, as on one server.
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized,
            HttpStatusCode.TooManyRequests], statuses);
        foreach (var response in new[] { rightOnA, rightOnB })
        {
            await Problems.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, AuthProblems.LockedOut);
            Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 280, 300);
            Assert.DoesNotContain("sessionToken", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }
    }

    [Fact]
    public async Task The_Per_User_Name_Login_Limit_Is_Reached_By_A_And_B_Together()
    {
        await _pair.AddUserAsync(Carol, ClientIdOf(Carol));
        using var a = ReplicaPair.Client(_pair.AddressA);
        using var b = ReplicaPair.Client(_pair.AddressB);
        HttpResponseMessage? limited = null;
        var attempts = 0;
        while (limited is null && attempts < 3 * PerUsernameLimit)
        {
            attempts++;
            var response = await (attempts % 2 == 1 ? a : b).PostAsJsonAsync(
                "/auth/login", new { username = Carol, password = AblyAuthServerFactory.Password }, Ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(ClientIdOf(Carol), (await response.Content.ReadFromJsonAsync<LoginResponse>(Ct))!.ClientId);
            }
        }

        // Counted once for both replicas: each alone has seen only about half the attempts.
        Assert.Equal(PerUsernameLimit + 1, attempts);
        Assert.NotNull(limited);
        await Problems.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "this user name");
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        var onTheOther = await (attempts % 2 == 1 ? b : a).PostAsJsonAsync(
            "/auth/login", new { username = Carol, password = AblyAuthServerFactory.Password }, Ct);
        await Problems.AssertProblemAsync(onTheOther, HttpStatusCode.TooManyRequests, "this user name");
        Assert.NotNull(onTheOther.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_Session_From_Before_A_Restart_Of_A_Still_Works_On_A()
    {
        await _pair.AddUserAsync(Dave, ClientIdOf(Dave));
        var session = (await LoginAsync(_pair.AddressA, Dave)).SessionToken;
        using (var before = ReplicaPair.Client(_pair.AddressA, session))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/ably/token", Ct)).StatusCode);
        }

        var (stopping, starting) = await _pair.RestartAAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"A stopped in {stopping.TotalMilliseconds:F0} ms and was ready again in {starting.TotalMilliseconds:F0} ms");

        // /readyz said 200, so a load balancer sends traffic now: the first request must succeed, no retry.
        using var after = ReplicaPair.Client(_pair.AddressA, session);
        var response = await after.GetAsync("/ably/token", Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"A answered {(int)response.StatusCode} after its restart: {await response.Content.ReadAsStringAsync(Ct)}");
        var token = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(ClientIdOf(Dave), Jwt.Parse(token).ClientId);
        Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret));
        var request = await after.GetFromJsonAsync<AblyAuthServer.Ably.TokenRequest>("/ably/token-request", Ct);
        Assert.Equal(ClientIdOf(Dave), request!.ClientId);
        Assert.True(ReplicaPair.HasValidMac(request, AblyAuthServerFactory.Secret));
    }

    private static async Task<LoginResponse> LoginAsync(Uri replica, string userName)
    {
        using var client = ReplicaPair.Client(replica);
        var response = await client.PostAsJsonAsync("/auth/login", new { username = userName, password = AblyAuthServerFactory.Password }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"login as {userName} on {replica}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        var login = (await response.Content.ReadFromJsonAsync<LoginResponse>(Ct))!;
        Assert.False(string.IsNullOrEmpty(login.SessionToken));
        Assert.Equal(ClientIdOf(userName), login.ClientId);
        return login;
    }
}

/// <summary>Tests that run replica processes run one class at a time: each pair takes most of a 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaProcesses
{
    public const string Name = "Replica processes";
}
