using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>
/// The built server as a real Kestrel process in Production (temp SQLite, the test key, the demo on, rate limits lifted
/// so generated traffic is not throttled), with three accounts added through the CLI and two live sessions.
/// One per test class; the process is killed on dispose, whatever happened before.
/// </summary>
public sealed class HostileServer : IAsyncLifetime
{
    // Not the password the OpenAPI document shows as its example, which a GET of the document would "echo".
    public const string AlicePassword = "alice-password-for-hostile-tests";
    public const string ServicePassword = "service-password-for-hostile-tests";

    /// <summary>The account generated Basic credentials and throwaway sessions use; alice's never sees a wrong password.</summary>
    public const string MalloryUser = "mallory";
    public const string MalloryPassword = "mallory-password-for-hostile-tests";

    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("ably-auth-hostile");
    private RunningServer? _server;
    private HttpClient? _client;

    public RunningServer Server => _server ?? throw new InvalidOperationException("the server did not start");

    public int Port => Server.Port;

    public string AliceSession { get; private set; } = string.Empty;

    public string AliceClientId { get; private set; } = string.Empty;

    public string ServiceSession { get; private set; } = string.Empty;

    /// <summary>What no response may ever contain, whatever was asked.</summary>
    public IReadOnlyList<string> StandingSecrets =>
        [AblyAuthServerFactory.Secret, AliceSession, ServiceSession, AlicePassword, ServicePassword, MalloryPassword];

    public async ValueTask InitializeAsync()
    {
        var port = ServerProcess.FreePort();
        var environment = Environment(port);
        foreach (var (user, role, password) in new[]
        {
            ("alice", "member", AlicePassword),
            ("svc", "service", ServicePassword),
            (MalloryUser, "viewer", MalloryPassword),
        })
        {
            var add = await ServerProcess.RunAsync(["users", "add", user, "--role", role], environment, password + "\n");
            Assert.True(add.ExitCode == 0, $"users add {user} failed: {add.Error}");
        }

        _server = await ServerProcess.StartAsync(port, environment);
        try
        {
            _client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var alice = await LogInAsync("alice", AlicePassword);
            AliceSession = alice.SessionToken;
            AliceClientId = alice.ClientId;
            ServiceSession = (await LogInAsync("svc", ServicePassword)).SessionToken;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }

        try
        {
            _data.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless; a failed dispose would hide the test's own result.
        }
    }

    /// <summary>The sessions a request refers to; a throwaway one is a fresh login of mallory.</summary>
    public async Task<Dictionary<SessionSource, string>> SessionsForAsync(HostileRequest request)
    {
        var sessions = new Dictionary<SessionSource, string>
        {
            [SessionSource.Alice] = AliceSession,
            [SessionSource.Service] = ServiceSession,
        };
        if (request.SessionsUsed.Contains(SessionSource.Throwaway))
        {
            sessions[SessionSource.Throwaway] = (await LogInAsync(MalloryUser, MalloryPassword)).SessionToken;
        }

        return sessions;
    }

    public async Task<RawResponse?> SendAsync(byte[] request, bool isHead) =>
        await RawHttp.SendAsync(Port, request, isHead, TestContext.Current.CancellationToken);

    /// <summary>The error log lines of the request sent with <paramref name="traceId"/> (the server logs it in its scopes).</summary>
    public async Task<IReadOnlyList<string>> ErrorLogAsync(string traceId)
    {
        // Log lines reach stdout shortly after the response; wait briefly for them.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var lines = Server.Output.Where(line => line.Contains(traceId, StringComparison.Ordinal)).ToList();
            if (lines.Count > 0)
            {
                return [.. lines.Where(line => line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal))
                    .Select(Summarize)];
            }

            await Task.Delay(50);
        }

        return [];
    }

    /// <summary>Null when the server still serves: the process runs, /healthz is 200 and alice's session still gets a signed JWT.</summary>
    public async Task<string?> StillServesAsync()
    {
        if (!IsListening())
        {
            return "the server no longer accepts connections (has the process exited?); its last output:\n" + string.Join('\n', Server.Output.TakeLast(20));
        }

        try
        {
            var health = await _client!.GetAsync("/healthz");
            var healthBody = await health.Content.ReadAsStringAsync();
            if (health.StatusCode != HttpStatusCode.OK || healthBody != "Healthy")
            {
                return $"GET /healthz answered {(int)health.StatusCode}: {healthBody}";
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
            request.Headers.Authorization = new("Bearer", AliceSession);
            var token = await _client.SendAsync(request);
            var jwt = await token.Content.ReadAsStringAsync();
            if (token.StatusCode != HttpStatusCode.OK || token.Content.Headers.ContentType?.MediaType != "application/jwt" || !IsSignedWithTheKey(jwt))
            {
                return $"a token request with alice's real session answered {(int)token.StatusCode} {token.Content.Headers.ContentType}: {jwt}";
            }

            return null;
        }
        catch (HttpRequestException e)
        {
            return $"the server no longer answers: {e.Message}";
        }
    }

    /// <summary>True when <paramref name="jwt"/> is a JWT whose HS256 signature was made with the Ably key's secret.</summary>
    public static bool IsSignedWithTheKey(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(AblyAuthServerFactory.Secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        return Convert.ToBase64String(expected).TrimEnd('=').Replace('+', '-').Replace('/', '_') == parts[2];
    }

    private bool IsListening()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            probe.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private async Task<LoginResponse> LogInAsync(string user, string password)
    {
        var login = await _client!.PostAsJsonAsync("/auth/login", new { username = user, password });
        Assert.True(login.StatusCode == HttpStatusCode.OK, $"logging in {user} answered {(int)login.StatusCode}: {await login.Content.ReadAsStringAsync()}");
        return (await login.Content.ReadFromJsonAsync<LoginResponse>())!;
    }

    private static string Summarize(string line)
    {
        try
        {
            var log = JsonDocument.Parse(line).RootElement;
            var text = log.GetProperty("Category").GetString() + ": " + log.GetProperty("Message").GetString();
            if (log.TryGetProperty("Exception", out var exception))
            {
                var lines = exception.GetString()!.Split('\n');
                text += "\n      " + lines[0] + "\n      " + string.Join("\n      ",
                    lines.Where(l => l.Contains("AblyAuthServer", StringComparison.Ordinal)).Take(3).Select(l => l.Trim()));
            }

            return text;
        }
        catch (JsonException)
        {
            return line;
        }
    }

    private Dictionary<string, string> Environment(int port) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
        ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(_data.FullName, "accounts.db")}",
        ["Accounts__PasswordHashIterations"] = "10000",
        // Generated wrong passwords for mallory must not lock out the account the throwaway sessions log in to.
        ["Accounts__MaxFailedAccessAttempts"] = "100",
        ["Accounts__MaxConcurrentPasswordChecks"] = "4",
        ["Hosting__ShutdownTimeout"] = "00:00:05",
        ["RateLimiting__Login__PerIp__PermitLimit"] = "1000000",
        ["RateLimiting__Login__PerUsername__PermitLimit"] = "1000000",
        ["RateLimiting__Tokens__PerUser__PermitLimit"] = "1000000",
        ["Demo__Enabled"] = "true",
        // The roles the accounts use, configured as an operator would: a wildcard role is never a shipped default.
        ["Policies__Roles__member__Capabilities__0__Channel"] = "chat:*",
        ["Policies__Roles__member__Capabilities__0__Operations__0"] = "publish",
        ["Policies__Roles__member__Capabilities__0__Operations__1"] = "subscribe",
        ["Policies__Roles__member__Capabilities__1__Channel"] = "private:{clientId}",
        ["Policies__Roles__member__Capabilities__1__Operations__0"] = "*",
        ["Policies__Roles__viewer__Capabilities__0__Channel"] = "chat:*",
        ["Policies__Roles__viewer__Capabilities__0__Operations__0"] = "subscribe",
        ["Policies__Roles__service__AllowAnyClientId"] = "true",
        ["Policies__Roles__service__Capabilities__0__Channel"] = "*",
        ["Policies__Roles__service__Capabilities__0__Operations__0"] = "*",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__AblyAuthServer"] = "Warning",
    };
}
