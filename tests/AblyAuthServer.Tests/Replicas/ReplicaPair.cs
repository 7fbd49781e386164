using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AblyAuthServer.Accounts;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Replicas;

/// <summary>
/// Two server processes, A and B, deployed as the README's "Scaling out" describes: Production, one PostgreSQL
/// database (a fresh one per pair), one Redis, one Ably key, each on its own 127.0.0.1 port. Disposing stops both
/// (killing them if still running) and drops the database, also when starting failed half-way.
/// </summary>
public sealed class ReplicaPair : IAsyncDisposable
{
    private readonly Dictionary<string, string> _settings;
    private RunningServer? _a;
    private RunningServer? _b;

    private ReplicaPair(TestAccountStore store, Dictionary<string, string> settings, int portA, int portB)
    {
        Store = store;
        _settings = settings;
        PortA = portA;
        PortB = portB;
    }

    public TestAccountStore Store { get; }

    public int PortA { get; }

    public int PortB { get; }

    public RunningServer A => _a ?? throw new InvalidOperationException("replica A is not running");

    public RunningServer B => _b ?? throw new InvalidOperationException("replica B is not running");

    public Uri AddressA => new($"http://127.0.0.1:{PortA}");

    public Uri AddressB => new($"http://127.0.0.1:{PortB}");

    /// <summary>
    /// Starts A, then B (each migrates the schema; starting one after the other keeps a 2-core machine responsive).
    /// <paramref name="settings"/> are added to, or override, the common environment.
    /// </summary>
    public static async Task<ReplicaPair> StartAsync(IDictionary<string, string> settings)
    {
        var redis = TestRedis.Configuration;
        var store = await TestAccountStore.CreateAsync(AccountStoreProvider.Postgres);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
            ["Accounts__Provider"] = "Postgres",
            ["Accounts__ConnectionString"] = store.ConnectionString,
            ["Accounts__PasswordHashIterations"] = "10000",
            ["Redis__Configuration"] = redis,
            ["Sessions__CookieSecurePolicy"] = "SameAsRequest",
            ["Hosting__ShutdownTimeout"] = "00:00:10",
            ["OpenApi__Enabled"] = "false",
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        var portA = ServerProcess.FreePort();
        var portB = ServerProcess.FreePort();
        while (portB == portA)
        {
            portB = ServerProcess.FreePort();
        }

        var pair = new ReplicaPair(store, environment, portA, portB);
        try
        {
            pair._a = await ServerProcess.StartAsync(portA, pair.Environment(portA));
            pair._b = await ServerProcess.StartAsync(portB, pair.Environment(portB));
            await WaitUntilReadyAsync(pair.AddressA);
            await WaitUntilReadyAsync(pair.AddressB);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>The environment a replica listening on <paramref name="port"/> runs with (the CLI gets the same).</summary>
    public Dictionary<string, string> Environment(int port) => new(_settings)
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
    };

    /// <summary>Creates a user with the <c>users</c> CLI as its own process on the shared database; password on stdin.</summary>
    public async Task AddUserAsync(string userName, string clientId, string role = "member")
    {
        var result = await ServerProcess.RunAsync(
            ["users", "add", userName, "--role", role, "--client-id", clientId],
            Environment(PortA),
            AblyAuthServerFactory.Password + "\n");
        Assert.True(result.ExitCode == 0, $"users add {userName} exited {result.ExitCode}: {result.Output} {result.Error}");
    }

    /// <summary>
    /// Stops A with SIGTERM (asserting a clean exit 0), then starts it again on the same port and waits for
    /// <c>/readyz</c>. <paramref name="stopped"/> runs between the two, while A is down.
    /// </summary>
    public async Task<(TimeSpan Stopping, TimeSpan Starting)> RestartAAsync(Action? stopped = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var old = A;
        await old.TerminateAsync();
        var exitCode = await old.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await old.DisposeAsync();
        _a = null;
        Assert.Equal(0, exitCode);
        var stopping = clock.Elapsed;
        stopped?.Invoke();
        clock.Restart();
        _a = await StartWithRetryAsync(PortA);
        await WaitUntilReadyAsync(AddressA);
        return (stopping, clock.Elapsed);
    }

    /// <summary>Polls <c>/readyz</c> until 200 (at most 30 s), as a load balancer does before sending traffic.</summary>
    public static async Task WaitUntilReadyAsync(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("/readyz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"{address} was not ready within 30 s");
            await Task.Delay(100);
        }
    }

    public static HttpClient Client(Uri address, string? sessionToken = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(15),
        };
        if (sessionToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sessionToken);
        }

        return client;
    }

    /// <summary>Recomputes a TokenRequest's MAC (HMAC-SHA256 over its sign text, keyed with the secret) and compares.</summary>
    public static bool HasValidMac(AblyAuthServer.Ably.TokenRequest request, string secret)
    {
        var signText = string.Create(CultureInfo.InvariantCulture,
            $"{request.KeyName}\n{request.Ttl}\n{request.Capability}\n{request.ClientId}\n{request.Timestamp}\n{request.Nonce}\n");
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signText));
        byte[] actual;
        try
        {
            actual = Convert.FromBase64String(request.Mac);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>Writes the replicas' warnings and errors to the test output, for diagnosing a failure.</summary>
    public void WriteProblemsToOutput()
    {
        var output = TestContext.Current.TestOutputHelper;
        if (output is null)
        {
            return;
        }

        foreach (var (name, server) in new[] { ("A", _a), ("B", _b) })
        {
            if (server is null)
            {
                continue;
            }

            foreach (var line in server.Output.Where(line =>
                line.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal)
                || line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal)
                || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal)).TakeLast(30))
            {
                output.WriteLine($"[{name}] {line}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            WriteProblemsToOutput();
        }
        catch (InvalidOperationException)
        {
            // No current test output (e.g. disposed from a fixture); the logs are only diagnostics.
        }

        try
        {
            if (_a is not null)
            {
                await _a.DisposeAsync();
            }
        }
        finally
        {
            try
            {
                if (_b is not null)
                {
                    await _b.DisposeAsync();
                }
            }
            finally
            {
                _a = _b = null;
                await Store.DisposeAsync();
            }
        }
    }

    /// <summary>The old process's port may linger for a moment; try a few times (bounded) before giving up.</summary>
    private async Task<RunningServer> StartWithRetryAsync(int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ServerProcess.StartAsync(port, Environment(port));
            }
            catch (TimeoutException) when (attempt < 3)
            {
                await Task.Delay(500);
            }
        }
    }
}
