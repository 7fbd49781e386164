using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Replicas;

/// <summary>
/// A bounded concurrent load of logins and token requests over two replica processes while one of them is
/// restarted: the only failures allowed are refused connections to the replica that is down, and no token may ever
/// go to the wrong user or carry a bad signature. Limits are lifted: this measures correctness, not rate limiting.
/// </summary>
[Collection(ReplicaProcesses.Name)]
public sealed class ReplicaSoakTests
{
    private const int Users = 4;
    private const int Workers = 8;
    private const int RequestBudget = 2500;
    private const int HardCap = 4000;
    private const int MinimumOnRestartedA = 50;
    private const int LoginEvery = 25;
    private static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(25);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logins_And_Tokens_Over_Two_Replicas_Stay_Correct_While_One_Restarts()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await using var pair = await ReplicaPair.StartAsync(new Dictionary<string, string>
        {
            ["RateLimiting__Login__PerIp__PermitLimit"] = "1000000",
            ["RateLimiting__Login__PerUsername__PermitLimit"] = "1000000",
            ["RateLimiting__Tokens__PerUser__PermitLimit"] = "1000000",
        });
        var users = Enumerable.Range(0, Users).Select(i => (Name: $"soak{i}-{suffix}", ClientId: $"soak-client-{i}-{suffix}")).ToArray();
        foreach (var (name, clientId) in users)
        {
            await pair.AddUserAsync(name, clientId);
        }

        var stats = new Stats();
        using var a = ReplicaPair.Client(pair.AddressA);
        using var b = ReplicaPair.Client(pair.AddressB);
        var replicas = new[] { (Name: "A", Client: a), (Name: "B", Client: b) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeCap);
        var clock = Stopwatch.StartNew();

        var workers = Enumerable.Range(0, Workers)
            .Select(w => Task.Run(() => WorkAsync(w, users[w % Users], replicas, stats, stop.Token)))
            .ToList();
        var restart = Task.Run(async () =>
        {
            // Restart A once the load is under way, early: under load on 2 cores it takes several seconds to be ready again.
            while (Volatile.Read(ref stats.Requests) < RequestBudget / 5 && clock.Elapsed < TimeCap / 5)
            {
                await Task.Delay(20, Ct);
            }

            stats.ADown = true;
            stats.ADownAt = clock.Elapsed;
            try
            {
                var (stopping, starting) = await pair.RestartAAsync();
                stats.Restart = (stopping, starting);
                stats.ARestarted = true;
            }
            finally
            {
                stats.AUpAt = clock.Elapsed;
                stats.RequestsAtRestart = Volatile.Read(ref stats.Requests);
                stats.ADown = false;
            }
        }, Ct);

        try
        {
            await Task.WhenAll([.. workers, restart]);
        }
        finally
        {
            await stop.CancelAsync();
        }

        var duration = clock.Elapsed;
        var output = TestContext.Current.TestOutputHelper;
        var summary =
            $"soak: {stats.Requests} requests in {duration.TotalSeconds:F1} s by {Workers} workers for {Users} users; " +
            $"logins ok {stats.Logins}, /ably/token ok {stats.Jwts}, /ably/token-request ok {stats.TokenRequests}; " +
            $"connection failures to A while down {stats.ConnectionFailuresWhileDown}; " +
            $"after the restart A answered {stats.SuccessesOnAAfterRestart} ok; " +
            $"A down from {stats.ADownAt.TotalSeconds:F1} s to {stats.AUpAt.TotalSeconds:F1} s " +
            $"(stop {stats.Restart.Stopping.TotalMilliseconds:F0} ms, start to ready {stats.Restart.Starting.TotalMilliseconds:F0} ms); " +
            $"unexpected {stats.Unexpected.Count}";
        output?.WriteLine(summary);
        Console.WriteLine(summary);
        foreach (var problem in stats.Unexpected.Take(20))
        {
            output?.WriteLine(problem);
        }

        Assert.True(stats.Unexpected.IsEmpty, $"{stats.Unexpected.Count} unexpected results, e.g.:\n{string.Join('\n', stats.Unexpected.Take(10))}\n{summary}");
        Assert.InRange(stats.Requests, RequestBudget / 2, HardCap);
        Assert.True(stats.Logins >= Workers, summary);
        Assert.True(stats.Jwts > 0 && stats.TokenRequests > 0, summary);
        Assert.True(stats.SuccessesOnAAfterRestart >= MinimumOnRestartedA, $"the restarted A served too little: {summary}");
        Assert.True(stats.RequestsAtRestart < stats.Requests, summary);
    }

    private static async Task WorkAsync(
        int worker, (string Name, string ClientId) user, (string Name, HttpClient Client)[] replicas, Stats stats, CancellationToken stop)
    {
        string? session = null;
        var sinceLogin = 0;
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            // The budget is spent once the restarted A has served its share; the hard cap and the time cap bound everything.
            if (Volatile.Read(ref stats.Requests) >= RequestBudget && stats.ARestarted
                && Volatile.Read(ref stats.SuccessesOnAAfterRestart) >= MinimumOnRestartedA)
            {
                return;
            }

            if (Interlocked.Increment(ref stats.Requests) > HardCap)
            {
                Interlocked.Decrement(ref stats.Requests);
                return;
            }

            var (replica, client) = replicas[(i + worker) % 2];
            var login = session is null || sinceLogin >= LoginEvery;
            var endpoint = login ? "/auth/login" : i % 2 == 0 ? "/ably/token" : "/ably/token-request";
            var wasDown = replica == "A" && stats.ADown;
            HttpResponseMessage response;
            try
            {
                if (login)
                {
                    response = await client.PostAsJsonAsync("/auth/login", new { username = user.Name, password = AblyAuthServerFactory.Password }, stop);
                }
                else
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
                    request.Headers.Authorization = new("Bearer", session);
                    response = await client.SendAsync(request, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Interlocked.Decrement(ref stats.Requests);
                return;
            }
            catch (HttpRequestException e)
            {
                if (replica == "A" && (wasDown || stats.ADown))
                {
                    Interlocked.Increment(ref stats.ConnectionFailuresWhileDown);
                    await Task.Delay(100, CancellationToken.None); // do not spin on a refused port
                }
                else
                {
                    stats.Unexpected.Add($"worker {worker} {replica} {endpoint}: {e.GetType().Name} {e.HttpRequestError} {e.Message}");
                }

                continue;
            }
            catch (Exception e)
            {
                stats.Unexpected.Add($"worker {worker} {replica} {endpoint}: {e.GetType().Name} {e.Message}");
                continue;
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    stats.Unexpected.Add($"worker {worker} {replica} {endpoint}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
                    continue;
                }

                var problem = Check(endpoint, body, user.ClientId, out var newSession);
                if (problem is not null)
                {
                    stats.Unexpected.Add($"worker {worker} {replica} {endpoint}: {problem}");
                    continue;
                }

                if (login)
                {
                    session = newSession;
                    sinceLogin = 0;
                    Interlocked.Increment(ref stats.Logins);
                }
                else
                {
                    sinceLogin++;
                    Interlocked.Increment(ref endpoint == "/ably/token" ? ref stats.Jwts : ref stats.TokenRequests);
                }

                if (replica == "A" && stats.ARestarted && !wasDown)
                {
                    Interlocked.Increment(ref stats.SuccessesOnAAfterRestart);
                }
            }
        }
    }

    /// <summary>Null when the 200 body is right for this user; otherwise what is wrong with it.</summary>
    private static string? Check(string endpoint, string body, string clientId, out string? session)
    {
        session = null;
        try
        {
            switch (endpoint)
            {
                case "/auth/login":
                    var login = System.Text.Json.JsonSerializer.Deserialize<LoginResponse>(body, System.Text.Json.JsonSerializerOptions.Web)!;
                    session = login.SessionToken;
                    return login.ClientId != clientId ? $"login returned clientId {login.ClientId}, expected {clientId}"
                        : string.IsNullOrEmpty(session) ? "login returned no session token" : null;
                case "/ably/token":
                    var jwt = Jwt.Parse(body);
                    return jwt.ClientId != clientId ? $"JWT for clientId {jwt.ClientId}, expected {clientId}"
                        : !Jwt.HasValidSignature(body, AblyAuthServerFactory.Secret) ? "JWT signature does not verify"
                        : jwt.Header.GetProperty("kid").GetString() != AblyAuthServerFactory.KeyName ? "JWT kid is not the key name"
                        : null;
                default:
                    var request = System.Text.Json.JsonSerializer.Deserialize<AblyAuthServer.Ably.TokenRequest>(body, System.Text.Json.JsonSerializerOptions.Web)!;
                    return request.ClientId != clientId ? $"TokenRequest for clientId {request.ClientId}, expected {clientId}"
                        : request.KeyName != AblyAuthServerFactory.KeyName ? $"TokenRequest keyName {request.KeyName}"
                        : !ReplicaPair.HasValidMac(request, AblyAuthServerFactory.Secret) ? "TokenRequest mac does not verify"
                        : null;
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException or KeyNotFoundException
            or Xunit.Sdk.XunitException)
        {
            return $"unreadable body ({e.GetType().Name}): {body[..Math.Min(body.Length, 200)]}";
        }
    }

    private sealed class Stats
    {
        public int Requests;
        public int Logins;
        public int Jwts;
        public int TokenRequests;
        public int ConnectionFailuresWhileDown;
        public int SuccessesOnAAfterRestart;
        public int RequestsAtRestart;
        public volatile bool ADown;
        public volatile bool ARestarted;
        public TimeSpan ADownAt;
        public TimeSpan AUpAt;
        public (TimeSpan Stopping, TimeSpan Starting) Restart;
        public readonly ConcurrentBag<string> Unexpected = [];
    }
}
