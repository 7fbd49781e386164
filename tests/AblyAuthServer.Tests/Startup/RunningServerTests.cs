using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Authentication;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Startup;

/// <summary>The built server as a real process on Kestrel, in Production, as a container would run it.</summary>
public sealed class RunningServerTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("ably-auth-running");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Delete(recursive: true);
    }

    [Fact]
    public async Task On_Sigterm_It_Stops_Accepting_Finishes_The_Request_In_Flight_And_Exits_0()
    {
        var port = ServerProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(port, Production(port));
        using var connection = new TcpClient();
        await connection.ConnectAsync(IPAddress.Loopback, port, Ct);
        var stream = connection.GetStream();
        var body = Encoding.UTF8.GetBytes("""{"username":"nobody","password":"not-the-password"}""");
        var head = Encoding.ASCII.GetBytes(
            $"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        await stream.WriteAsync(head, Ct);
        await stream.WriteAsync(body.AsMemory(0, 10), Ct);
        await Task.Delay(500, Ct); // the login handler is now waiting for the rest of the body

        await server.TerminateAsync();
        await server.WaitForOutputAsync("Application is shutting down", TimeSpan.FromSeconds(10));
        await AssertRefusesConnectionsAsync(port);
        await stream.WriteAsync(body.AsMemory(10), Ct);
        var response = await ReadResponseAsync(stream);
        var clock = Stopwatch.StartNew();
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.StartsWith("HTTP/1.1 401 Unauthorized", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
        Assert.Contains(AuthProblems.InvalidCredentials, response, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"exit took {clock.Elapsed} after the last request");
    }

    [Fact]
    public async Task In_Production_Logs_Are_Json_Metrics_Are_Only_On_The_Metrics_Port_And_Kestrel_Limits_Apply()
    {
        var port = ServerProcess.FreePort();
        var metricsPort = ServerProcess.FreePort();
        var environment = Production(port);
        environment["Metrics__Port"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Metrics__Host"] = "127.0.0.1";
        var (started, session) = await StartAndLogInAsync(port, environment);
        await using var server = started;
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };

        using var token = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        token.Headers.Authorization = new("Bearer", session);
        var issued = await client.SendAsync(token, Ct);
        var metrics = await scraper.GetAsync("/metrics", Ct);
        var metricsText = await metrics.Content.ReadAsStringAsync(Ct);
        var publicMetrics = await client.GetAsync("/metrics", Ct);
        using var spoofedHost = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        spoofedHost.Headers.Host = $"127.0.0.1:{metricsPort}";
        var spoofed = await client.SendAsync(spoofedHost, Ct);
        var loginOnMetricsPort = await scraper.PostAsJsonAsync("/auth/login", new { username = "alice", password = "x" }, Ct);
        using var manyHeaders = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        for (var i = 0; i < 60; i++)
        {
            manyHeaders.Headers.Add($"X-Filler-{i}", "x");
        }

        var tooManyHeaders = await client.SendAsync(manyHeaders, Ct);

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.False(issued.Headers.Contains("Server"));
        Assert.Equal("nosniff", Assert.Single(issued.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Matches("""ably_auth_tokens_issued_total\{[^}]*kind="jwt"[^}]*\} 1""", metricsText);
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, spoofed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, loginOnMetricsPort.StatusCode);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooManyHeaders.StatusCode);

        await server.TerminateAsync();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var lines = server.Output.Where(line => line.Length > 0).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var issuance = Assert.Single(lines, line => line.GetProperty("EventId").GetInt32() == 1000);
        Assert.Equal("Information", issuance.GetProperty("LogLevel").GetString());
        Assert.Contains(issuance.GetProperty("Scopes").EnumerateArray(), scope => scope.ValueKind == JsonValueKind.Object
            && scope.TryGetProperty("TraceId", out var traceId) && traceId.GetString()!.Length == 32 && scope.TryGetProperty("SpanId", out _));
        Assert.DoesNotContain(server.Output, line => line.Contains(session, StringComparison.Ordinal) || line.Contains(AblyAuthServerFactory.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_Lines_Written_By_Concurrent_Requests_Stay_Whole_And_All_Reach_Stdout_By_Exit()
    {
        const int Tokens = 400;
        var port = ServerProcess.FreePort();
        var environment = Production(port);
        environment["RateLimiting__Tokens__PerUser__PermitLimit"] = "100000";
        var (started, session) = await StartAndLogInAsync(port, environment);
        await using var server = started;
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var ok = 0;
            for (var i = 0; i < Tokens / 8; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
                request.Headers.Authorization = new("Bearer", session);
                using var response = await client.SendAsync(request, Ct);
                ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            return ok;
        }));
        await server.TerminateAsync();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal(Tokens, statuses.Sum());
        var lines = server.Output.Where(line => line.Length > 0).ToList();
        var parsed = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList(); // throws on a torn or merged line
        Assert.Equal(Tokens, parsed.Count(line => line.GetProperty("EventId").GetInt32() == 1000));
        Assert.Equal("Application is shutting down...", parsed[^1].GetProperty("Message").GetString());
    }

    [Fact]
    public async Task The_Logging_Console_Settings_Choose_The_Format_And_Filter_Categories()
    {
        var port = ServerProcess.FreePort();
        var environment = Production(port);
        environment["Logging__Console__FormatterName"] = "simple";
        environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        environment["Logging__Console__LogLevel__AblyAuthServer.Tokens.TokenAudit"] = "Warning";
        var (started, session) = await StartAndLogInAsync(port, environment);
        await using var server = started;
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var token = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        token.Headers.Authorization = new("Bearer", session);
        var issued = await client.SendAsync(token, Ct);
        await server.TerminateAsync();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.Contains(server.Output, line => line.Contains("info: Microsoft.Hosting.Lifetime[14] Now listening on: ", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Output, line => line.StartsWith('{'));
        // The audit category is filtered out, while other categories of the app still log at Information.
        Assert.DoesNotContain(server.Output, line => line.Contains("AblyAuthServer.Tokens.TokenAudit", StringComparison.Ordinal));
        Assert.Contains(server.Output, line => line.Contains("info: AblyAuthServer.", StringComparison.Ordinal));
    }

    /// <summary>Adds alice with the CLI, starts the server and logs her in: the session the test's token requests use.</summary>
    private static async Task<(RunningServer Server, string Session)> StartAndLogInAsync(int port, Dictionary<string, string> environment)
    {
        var add = await ServerProcess.RunAsync(["users", "add", "alice", "--role", "member"], environment, AblyAuthServerFactory.Password + "\n");
        Assert.Equal(0, add.ExitCode);
        var server = await ServerProcess.StartAsync(port, environment);
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var login = await client.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, Ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        return (server, (await login.Content.ReadFromJsonAsync<LoginResponse>(Ct))!.SessionToken);
    }

    private Dictionary<string, string> Production(int port) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["ABLY_API_KEY"] = AblyAuthServerFactory.ApiKey,
        ["Accounts__ConnectionString"] = $"Data Source={Path.Combine(_data.FullName, "accounts.db")}",
        ["Accounts__PasswordHashIterations"] = "10000",
        ["Hosting__ShutdownTimeout"] = "00:00:30",
    };

    private static async Task AssertRefusesConnectionsAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port, Ct);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return;
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail("the server still accepted connections after SIGTERM");
    }

    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
