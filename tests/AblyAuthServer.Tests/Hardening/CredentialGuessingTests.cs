using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Throttling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AblyAuthServer.Tests.Hardening;

/// <summary>Every path that checks a password is inside the same credential-guessing limits, and only where asked.</summary>
public sealed class CredentialGuessingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Basic_Credentials_Sent_Where_No_Endpoint_Asks_For_A_Caller_Are_Never_Checked()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Accounts:MaxFailedAccessAttempts"] = "2" });
        await factory.CreateUserAsync("alice", ["member"]);
        using var failed = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.logins.failed");
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("alice", "wrong password");

        var statuses = new List<HttpStatusCode>();
        foreach (var path in new[] { "/healthz", "/readyz", "/swagger/v1/swagger.json", "/no-such-path", "/healthz", "/readyz" })
        {
            statuses.Add((await client.GetAsync(path, Ct)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK, HttpStatusCode.OK], statuses);
        Assert.Empty(failed.GetMeasurementSnapshot());
        Assert.Equal("alice", (await factory.LoginAsync("alice")).ClientId);
    }

    [Fact]
    public async Task Failed_Basic_Checks_Count_Against_The_User_Name_And_Then_Basic_And_Login_Get_429_Without_A_Hash()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["RateLimiting:Login:PerUsername:PermitLimit"] = "3" });
        await factory.CreateUserAsync("alice", ["member"]);
        await factory.CreateUserAsync("bob", ["member"]);
        using var failed = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.logins.failed");
        using var wrong = factory.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = Basic("alice", "wrong password");
        using var right = factory.CreateClient();
        right.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);
        using var otherName = factory.CreateClient();
        otherName.DefaultRequestHeaders.Authorization = Basic("bob", AblyAuthServerFactory.Password);

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            guesses.Add((await wrong.GetAsync("/ably/token", Ct)).StatusCode);
        }

        var refusedBasic = await right.GetAsync("/ably/token", Ct);
        var refusedLogin = await factory.CreateClient().PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, Ct);
        var bob = await otherName.GetAsync("/ably/token", Ct);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], guesses);
        await Problems.AssertProblemAsync(refusedBasic, HttpStatusCode.TooManyRequests, "this user name");
        Assert.NotNull(refusedBasic.Headers.RetryAfter);
        Assert.Equal("42910", Assert.Single(refusedBasic.Headers.GetValues("X-Ably-ErrorCode")));
        await Problems.AssertProblemAsync(refusedLogin, HttpStatusCode.TooManyRequests, "this user name");
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        // Three checks failed and were counted; the refused requests never reached the hasher.
        Assert.Equal(3, failed.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task Failed_Basic_Checks_Count_Against_The_Address_Whatever_The_Name()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["RateLimiting:Login:PerIp:PermitLimit"] = "2" });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClientFrom("192.0.2.10");
        using var elsewhere = factory.CreateClientFrom("192.0.2.11");

        client.DefaultRequestHeaders.Authorization = Basic("nobody-1", "x");
        var first = await client.GetAsync("/ably/token", Ct);
        client.DefaultRequestHeaders.Authorization = Basic("nobody-2", "x");
        var second = await client.GetAsync("/ably/token", Ct);
        client.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);
        var third = await client.GetAsync("/ably/token", Ct);
        elsewhere.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);
        var fromElsewhere = await elsewhere.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        await Problems.AssertProblemAsync(third, HttpStatusCode.TooManyRequests, "from this address");
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);
    }

    [Fact]
    public async Task Successful_Basic_Requests_Are_Not_Counted_As_Guesses()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["RateLimiting:Login:PerUsername:PermitLimit"] = "2",
            ["RateLimiting:Login:PerIp:PermitLimit"] = "2",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await client.GetAsync("/ably/token", Ct)).StatusCode);
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    [Fact]
    public async Task Over_Long_Basic_Credentials_Get_400_Without_A_Hash()
    {
        await using var factory = new AblyAuthServerFactory();
        using var failed = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), AuthMetrics.MeterName, "ably_auth.logins.failed");
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic(new string('a', 300), "x");

        var response = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest, "limited to 256 characters");
        Assert.Empty(failed.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task A_Basic_Request_Waiting_For_A_Password_Check_Ends_At_The_Request_Timeout()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Hosting:RequestTimeout"] = "00:00:01",
            ["Accounts:MaxConcurrentPasswordChecks"] = "1",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("alice", AblyAuthServerFactory.Password);
        var gate = factory.Services.GetRequiredService<PasswordCheckGate>();

        Stopwatch clock;
        HttpResponseMessage response;
        using (var held = await gate.EnterAsync(Ct))
        {
            Assert.True(held.IsAcquired);
            clock = Stopwatch.StartNew();
            response = await client.GetAsync("/ably/token", Ct);
            clock.Stop();
        }

        await Problems.AssertProblemAsync(response, HttpStatusCode.GatewayTimeout, "limit");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}

/// <summary>Runs on both account stores: failure counts are one atomic update, shared by every replica of the store.</summary>
public sealed class AccountLockoutTestsOnSqlite() : AccountLockoutTests(AccountStoreProvider.Sqlite);

/// <inheritdoc cref="AccountLockoutTestsOnSqlite"/>
public sealed class AccountLockoutTestsOnPostgres() : AccountLockoutTests(AccountStoreProvider.Postgres);

public abstract class AccountLockoutTests(AccountStoreProvider provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Failure_Counts_Of_Real_And_Unknown_Names_Are_Stored_And_Forgotten_Alike()
    {
        await using var factory = await AblyAuthServerFactory.CreateAsync(provider);
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClient();

        foreach (var name in new[] { "alice", "ghost" })
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await Login(client, name, "guess" + i)).StatusCode);
            }
        }

        var before = await FailuresAsync(factory);
        factory.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var afterQuiet = new[] { await Login(client, "alice", "late guess"), await Login(client, "ghost", "late guess") };
        var after = await FailuresAsync(factory);

        Assert.Equal(new Dictionary<string, int> { ["ALICE"] = 4, ["GHOST"] = 4 }, before);
        // "4 failures, wait, 1 more" no longer tells a real name from an unknown one: both start counting again.
        Assert.All(afterQuiet, response => Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode));
        Assert.Equal(new Dictionary<string, int> { ["ALICE"] = 1, ["GHOST"] = 1 }, after);
    }

    [Fact]
    public async Task Concurrent_Wrong_Passwords_Each_Count_And_Lock_The_Name()
    {
        await using var factory = await AblyAuthServerFactory.CreateAsync(provider, new Dictionary<string, string?>
        {
            ["Accounts:MaxConcurrentPasswordChecks"] = "4",
            ["Accounts:MaxFailedAccessAttempts"] = "16",
        });
        await factory.CreateUserAsync("alice", ["member"]);

        var firstBatch = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Login(factory.CreateClient(), "alice", "wrong" + i)));
        var counted = await FailuresAsync(factory);
        var secondBatch = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Login(factory.CreateClient(), "alice", "again" + i)));
        var rightPassword = await Login(factory.CreateClient(), "alice", AblyAuthServerFactory.Password);

        Assert.All(firstBatch, response => Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode));
        Assert.Equal(12, counted["ALICE"]);
        Assert.Contains(secondBatch, response => response.StatusCode == HttpStatusCode.TooManyRequests);
        await Problems.AssertProblemAsync(rightPassword, HttpStatusCode.TooManyRequests, "locked");
    }

    private static Task<HttpResponseMessage> Login(HttpClient client, string name, string password) =>
        client.PostAsJsonAsync("/auth/login", new { username = name, password }, Ct);

    private static async Task<Dictionary<string, int>> FailuresAsync(AblyAuthServerFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        return await db.LoginFailures.AsNoTracking().ToDictionaryAsync(f => f.NormalizedUserName, f => f.Failures, Ct);
    }
}

[CollectionDefinition(nameof(TimingTests), DisableParallelization = true)]
public sealed class TimingTestsRunAlone;

/// <summary>Alone, not beside other tests: it compares durations.</summary>
[Collection(nameof(TimingTests))]
public sealed class TimingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_Wrong_Password_For_A_Real_Name_Takes_As_Long_As_Any_Password_For_An_Unknown_Name()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Accounts:MaxFailedAccessAttempts"] = "100" });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClient();
        await client.PostAsJsonAsync("/auth/login", new { username = "warm-up", password = "x" }, Ct);

        var real = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            real.Add(await TimeAsync(client, "alice"));
            unknown.Add(await TimeAsync(client, "ghost-" + (i % 3)));
        }

        var (realMedian, unknownMedian) = (Percentile(real, 0.5), Percentile(unknown, 0.5));
        var (realP90, unknownP90) = (Percentile(real, 0.9), Percentile(unknown, 0.9));
        Assert.True(Math.Abs(realMedian - unknownMedian) <= Math.Max(3, 0.35 * unknownMedian),
            $"medians differ: real {realMedian:0.0} ms, unknown {unknownMedian:0.0} ms");
        Assert.True(Math.Abs(realP90 - unknownP90) <= Math.Max(8, 0.6 * unknownP90),
            $"p90s differ: real {realP90:0.0} ms, unknown {unknownP90:0.0} ms");
    }

    private static async Task<double> TimeAsync(HttpClient client, string name)
    {
        var clock = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync("/auth/login", new { username = name, password = "not the password" }, Ct);
        clock.Stop();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
    }
}
