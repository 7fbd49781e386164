using System.Net;
using System.Net.Http.Headers;
using AblyAuthServer.Accounts;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AblyAuthServer.Tests.Redis;

/// <summary>
/// Replicas sharing Redis share the logout list, yet check it in memory: a logout on one replica ends the session on
/// every other within a second, and the token path sends Redis nothing. While a replica cannot hear the list it
/// refuses sessions (503), never accepts them. A replica that starts later loads the list before serving.
/// </summary>
public sealed class SharedLogoutTests : IAsyncLifetime
{
    private TestAccountStore _store = null!;
    private TcpForwarder _forwarder = null!;
    private AblyAuthServerFactory _first = null!;
    private AblyAuthServerFactory _second = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var (host, port) = TestRedis.Endpoint;
        _store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        _forwarder = new TcpForwarder(host, port);
        _forwarder.Start();
        _first = new AblyAuthServerFactory(_store, TestRedis.Settings());
        await _first.CreateUserAsync("alice", ["member"]);
        // The second replica reaches Redis through a relay the outage test cuts.
        _second = new AblyAuthServerFactory(_store, TestRedis.Settings($"127.0.0.1:{_forwarder.Port},connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000"));
        _ = _second.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await (_second?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_first?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_forwarder?.DisposeAsync() ?? ValueTask.CompletedTask);
        await (_store?.DisposeAsync() ?? ValueTask.CompletedTask);
    }

    [Fact]
    public async Task A_Replica_Whose_Redis_Answers_But_Refuses_The_Logout_Reload_Is_Not_Ready_And_Refuses_Sessions()
    {
        // A Redis user without SCAN: PING, pub/sub and counters work, loading the logout list does not (as a Cluster's
        // cross-slot MGET does not). Such a replica must not look ready while it refuses every session.
        var (host, port) = TestRedis.Endpoint;
        var user = "no-scan-" + Guid.NewGuid().ToString("N")[..8];
        const string Password = "acl-password-for-the-no-scan-user";
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestRedis.Configuration);
        await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">" + Password, "~*", "&*", "+@all", "-scan");
        try
        {
            await using var limited = new AblyAuthServerFactory(_store, TestRedis.Settings($"{host}:{port},user={user},password={Password}"));
            using var probe = limited.CreateClient();
            var session = (await _first.LoginAsync("alice")).SessionToken;
            using var onLimited = limited.CreateBearerClient(session);

            await using var asLimitedUser = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{host}:{port},user={user},password={Password}");
            var ping = await asLimitedUser.GetDatabase().PingAsync(); // what the Redis readiness check does: it answers
            var ready = await probe.GetAsync("/readyz", Ct);
            var token = await onLimited.GetAsync("/ably/token", Ct);
            var readyOnFirst = await _first.CreateClient().GetAsync("/readyz", Ct);

            Assert.True(ping < TimeSpan.FromSeconds(5));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync(Ct));
            await Problems.AssertProblemAsync(token, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(token.Headers.RetryAfter);
            Assert.Equal(HttpStatusCode.OK, readyOnFirst.StatusCode);
        }
        finally
        {
            await admin.GetDatabase().ExecuteAsync("ACL", "DELUSER", user);
        }
    }

    [Fact]
    public async Task Logout_On_One_Replica_Ends_The_Session_On_Another_Within_A_Second_Without_Redis_On_The_Token_Path()
    {
        var session = (await _first.LoginAsync("alice")).SessionToken;
        using var onSecond = _second.CreateBearerClient(session);
        Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/ably/token", Ct)).StatusCode);

        // The second replica reaches Redis only through the forwarder, which counts what it sends.
        var before = _forwarder.BytesToTarget;
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/ably/token", Ct)).StatusCode);
        }

        // Only the token limits' batched flush (one short script call per 250 ms) may reach Redis, not a call per request.
        // A per-request command (even a GET of a revocation key) would be over 40 bytes each.
        var sent = _forwarder.BytesToTarget - before;
        Assert.True(sent < 50 * 40, $"the replica sent Redis {sent} bytes during 50 token requests in {started.Elapsed}");

        using var onFirst = _first.CreateBearerClient(session);
        Assert.Equal(HttpStatusCode.NoContent, (await onFirst.PostAsync("/auth/logout", null, Ct)).StatusCode);

        var refused = await Polling.UntilStatusAsync(() => onSecond.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(1));
        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_Replica_That_Cannot_Hear_Logouts_Refuses_Sessions_And_Basic_With_503_And_Catches_Up()
    {
        var loggedOutDuringOutage = (await _first.LoginAsync("alice")).SessionToken;
        var loggedOutElsewhere = (await _first.LoginAsync("alice")).SessionToken;
        var kept = (await _first.LoginAsync("alice")).SessionToken;
        using var keptOnSecond = _second.CreateBearerClient(kept);
        Assert.Equal(HttpStatusCode.OK, (await keptOnSecond.GetAsync("/ably/token", Ct)).StatusCode);

        await _forwarder.StopAsync();
        // A logout on the healthy replica that the cut-off one cannot hear about.
        using (var first = _first.CreateBearerClient(loggedOutElsewhere))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await first.PostAsync("/auth/logout", null, Ct)).StatusCode);
        }

        var refused = await Polling.UntilStatusAsync(() => keptOnSecond.GetAsync("/ably/token", Ct), HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal("50300", refused.Headers.GetValues("X-Ably-ErrorCode").Single());
        await Problems.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "shared logout list");
        using (var elsewhere = _second.CreateBearerClient(loggedOutElsewhere))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await elsewhere.GetAsync("/ably/token", Ct)).StatusCode);
        }

        // Basic checks a password, so it is under the shared credential-guessing limits, which fail closed like login.
        using (var basic = _second.CreateClient())
        {
            basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("alice:" + AblyAuthServerFactory.Password)));
            var refusedBasic = await basic.GetAsync("/ably/token", Ct);
            await Problems.AssertProblemAsync(refusedBasic, HttpStatusCode.ServiceUnavailable, "rate-limit store");
            Assert.NotNull(refusedBasic.Headers.RetryAfter);
        }

        // Logout still ends the session here, and says it has not reached the other replicas.
        using var duringOutage = _second.CreateBearerClient(loggedOutDuringOutage);
        var logout = await duringOutage.PostAsync("/auth/logout", null, Ct);
        await Problems.AssertProblemAsync(logout, HttpStatusCode.ServiceUnavailable, "could not yet be shared");
        Assert.Equal(HttpStatusCode.Unauthorized, (await duringOutage.GetAsync("/ably/token", Ct)).StatusCode);

        _forwarder.Start();
        await Polling.UntilStatusAsync(() => keptOnSecond.GetAsync("/ably/token", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(15));
        using (var elsewhere = _second.CreateBearerClient(loggedOutElsewhere))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.GetAsync("/ably/token", Ct)).StatusCode);
        }

        using var onFirst = _first.CreateBearerClient(loggedOutDuringOutage);
        await Polling.UntilStatusAsync(() => onFirst.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_Replica_Started_After_A_Logout_Refuses_That_Session_On_Its_First_Request_And_Accepts_Others()
    {
        string loggedOut;
        LoginResponse kept;
        await using (var earlier = new AblyAuthServerFactory(_store, TestRedis.Settings()))
        {
            loggedOut = (await earlier.LoginAsync("alice")).SessionToken;
            kept = await earlier.LoginAsync("alice");
            using var client = earlier.CreateBearerClient(loggedOut);
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/logout", null, Ct)).StatusCode);
        }

        // The new replica was not subscribed when the logout was published: only its load at startup can know it.
        await using var later = new AblyAuthServerFactory(_store, TestRedis.Settings());
        using var loggedOutOnLater = later.CreateBearerClient(loggedOut);
        using var keptOnLater = later.CreateBearerClient(kept.SessionToken);
        var refused = await loggedOutOnLater.GetAsync("/ably/token", Ct);
        var issued = await keptOnLater.GetAsync("/ably/token", Ct);

        // 401, not 503: the list was loaded before the first request was served.
        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Equal("40100", Assert.Single(refused.Headers.GetValues("X-Ably-ErrorCode")));
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var token = await issued.Content.ReadAsStringAsync(Ct);
        Assert.True(Jwt.HasValidSignature(token, AblyAuthServerFactory.Secret), "the JWT does not verify with the key secret");
        Assert.Equal(kept.ClientId, Jwt.Parse(token).ClientId);
        var load = Assert.Single(later.Logs.GetSnapshot(), e => e.Category == typeof(RedisRevokedSessions).FullName && e.Id.Id == 3002);
        Assert.True(int.Parse(load.StructuredState!.Single(v => v.Key == "Count").Value!, System.Globalization.CultureInfo.InvariantCulture) >= 1, load.Message);
    }

    [Fact]
    public async Task The_Logout_Reload_Skips_Values_It_Did_Not_Write_And_Still_Loads_Every_Other_Logout()
    {
        var loggedOut = await _first.LoginAsync("alice");
        var sessionId = _first.Services.GetRequiredService<SessionTokens>().Unprotect(loggedOut.SessionToken)!.SessionId;

        // A logout known only to Redis (so only the reload can find it), beside values no replica writes: text, numbers
        // past DateTimeOffset's range or negative, and a key that is not a string.
        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestRedis.Configuration);
        await using (redis)
        {
            var db = redis.GetDatabase();
            var prefix = RedisRevokedSessions.KeyPrefix + Guid.NewGuid().ToString("N");
            await db.StringSetAsync(RedisRevokedSessions.KeyPrefix + sessionId,
                loggedOut.ExpiresAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(5));
            await db.StringSetAsync(prefix + "-text", "not a time", TimeSpan.FromMinutes(5));
            await db.StringSetAsync(prefix + "-huge", "99999999999999999999", TimeSpan.FromMinutes(5));
            await db.StringSetAsync(prefix + "-beyond", "253402300800000", TimeSpan.FromMinutes(5));
            await db.StringSetAsync(prefix + "-negative", "-5", TimeSpan.FromMinutes(5));
            await db.ListRightPushAsync(prefix + "-list", "1");
            await db.KeyExpireAsync(prefix + "-list", TimeSpan.FromMinutes(5));
            await redis.GetSubscriber().PublishAsync(RedisRevokedSessions.Channel, "someone 253402300800000");
        }

        await using var later = new AblyAuthServerFactory(_store, TestRedis.Settings());
        using var loggedOutOnLater = later.CreateBearerClient(loggedOut.SessionToken);
        var refused = await loggedOutOnLater.GetAsync("/ably/token", Ct);
        var ready = await later.CreateClient().GetAsync("/readyz", Ct);

        await Problems.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Single(later.Logs.GetSnapshot(), e => e.Category == typeof(RedisRevokedSessions).FullName && e.Id.Id == 3002);
    }
}

/// <summary>Replicas on SQLite (one file each) that share Redis share the key ring: a session from one works on another.</summary>
public sealed class SharedKeyRingTests
{
    [Fact]
    public async Task Sqlite_Replicas_Sharing_Redis_Accept_Each_Others_Sessions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = new AblyAuthServerFactory(TestRedis.Settings());
        await using var second = new AblyAuthServerFactory(TestRedis.Settings());
        await first.CreateUserAsync("alice", ["member"]);
        await second.CreateUserAsync("alice", ["member"]);
        var session = (await first.LoginAsync("alice")).SessionToken;

        // Different databases, so the account check fails (401) unless the token decrypts; decrypting is what is shared.
        using var other = second.CreateBearerClient(session);
        var response = await other.GetAsync("/ably/token", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(first.Store.Directory, "keys")));
        Assert.NotNull(second.Services.GetRequiredService<SessionTokens>().Unprotect(session));
    }
}
