using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using AblyAuthServer.Tests.Infrastructure;
using CsCheck;

namespace AblyAuthServer.Tests.Hostile;

/// <summary>
/// Generated hostile requests against the real server process on Kestrel (TestServer would accept responses Kestrel
/// refuses to send, such as non-ASCII header values). Each property sends a few hundred requests, one per
/// connection, checking every response against <see cref="ResponseInvariants"/>, and then that the server still
/// serves. The seed is fixed (HOSTILE_SEED overrides it, HOSTILE_ITERATIONS the count); a failure lists every distinct
/// defect met, each with its smallest request, the response, the server's error log, and the command that replays it.
/// </summary>
public sealed partial class HostileRequestTests(HostileServer server) : IClassFixture<HostileServer>
{
    private const string SeedVariable = "HOSTILE_SEED";
    private const string IterationsVariable = "HOSTILE_ITERATIONS";
    private const ulong DefaultSeed = 20261123;
    private const int MaxTimeouts = 3;
    private static readonly TimeSpan TimeBudget = TimeSpan.FromSeconds(40);

    private string _exampleTraceId = string.Empty;

    private HostileGenerators Generators => new(server.AliceClientId, HostileServer.MalloryUser, HostileServer.MalloryPassword);

    [Fact]
    public Task Generated_Login_And_Logout_Requests_Never_Get_A_5xx_Or_A_Non_Problem_Refusal_Or_An_Echoed_Secret() =>
        RunAsync(nameof(Generated_Login_And_Logout_Requests_Never_Get_A_5xx_Or_A_Non_Problem_Refusal_Or_An_Echoed_Secret), Generators.Sessions, 250);

    [Fact]
    public Task Generated_Token_Requests_Never_Get_A_5xx_Or_A_Non_Problem_Refusal_Or_An_Echoed_Secret() =>
        RunAsync(nameof(Generated_Token_Requests_Never_Get_A_5xx_Or_A_Non_Problem_Refusal_Or_An_Echoed_Secret), Generators.Tokens, 400);

    [Fact]
    public Task Generated_Hostile_Requests_Never_Get_A_5xx_Or_A_Non_Problem_Refusal() =>
        RunAsync(nameof(Generated_Hostile_Requests_Never_Get_A_5xx_Or_A_Non_Problem_Refusal), Generators.Anything, 400);

    // ---- the known crashes and the other defects the properties found, as named examples ----

    [Fact]
    public async Task A_Lone_Surrogate_Escape_In_The_Login_User_Name_Gets_A_400_Problem()
    {
        var response = await SendAsync("POST", "/auth/login", [("Content-Type", "application/json")], """{"username":"\ud800","password":"x"}""");

        await AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task A_Lone_Surrogate_Escape_In_The_Requested_ClientId_Gets_A_400_Problem()
    {
        var response = await SendAsync("POST", "/ably/token", [("Content-Type", "application/json"), AliceBearer], """{"clientId":"\udfff"}""");

        await AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task A_Capability_With_A_Non_Ascii_Resource_And_An_Unknown_Operation_Gets_A_400_Problem()
    {
        var capability = Uri.EscapeDataString("""{"élève":["nope"]}""");

        var response = await SendAsync("GET", $"/ably/token?capability={capability}", [AliceBearer]);

        await AssertProblemAsync(response, 400);
    }

    [Theory]
    [InlineData("\\u007f")] // DEL: Kestrel refuses to send it, so setting the header throws
    [InlineData("\\t")] // TAB: Kestrel sends it, in a header that is then not printable ASCII
    public async Task A_Capability_Resource_With_A_Control_Character_Gets_A_400_Problem_With_A_Printable_X_Ably_ErrorMessage(string jsonEscape)
    {
        var capability = Uri.EscapeDataString($"{{\"x{jsonEscape}y\":[\"nope\"]}}");

        var response = await SendAsync("GET", $"/ably/token-request?capability={capability}", [AliceBearer]);

        await AssertProblemAsync(response, 400);
    }

    [Theory]
    [InlineData("a byte that never occurs in UTF-8 in a value", new byte[] { (byte)'{', (byte)'"', (byte)'u', (byte)'s', (byte)'e', (byte)'r', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xFF, (byte)'"', (byte)'}' })]
    [InlineData("a lone surrogate escape in a member name", new byte[] { (byte)'{', (byte)'"', (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0', (byte)'"', (byte)':', (byte)'1', (byte)'}' })]
    public async Task A_Login_Body_Whose_Json_Text_Is_Not_Valid_Unicode_Gets_A_400_Problem(string what, byte[] body)
    {
        var response = await SendAsync("POST", "/auth/login", [("Content-Type", "application/json")], body);

        await AssertProblemAsync(response, 400, what);
    }

    [Fact]
    public async Task A_Malformed_Chunked_Body_Gets_A_400_Problem()
    {
        var response = await SendAsync("POST", "/auth/login", [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")], "zz\r\n{}\r\n0\r\n\r\n", contentLength: false);

        await AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task A_Refusal_For_A_Client_That_Accepts_Only_Plain_Text_Is_A_401_Problem_Not_A_500()
    {
        var response = await SendAsync("GET", "/ably/token", [("Accept", "text/plain")]);

        await AssertProblemAsync(response, 401);
    }

    [Fact]
    public async Task An_Unknown_Path_For_A_Client_That_Accepts_Only_Html_Gets_A_404_Problem()
    {
        var response = await SendAsync("GET", "/no-such-page", [("Accept", "text/html")]);

        await AssertProblemAsync(response, 404);
    }

    [Fact]
    public async Task A_Huge_Capability_Resource_Does_Not_Become_A_Huge_X_Ably_ErrorMessage()
    {
        var body = $$"""{"capability":"{\"{{new string('a', 12_000)}}\":[\"nope\"]}"}""";

        var response = await SendAsync("POST", "/ably/token", [("Content-Type", "application/json"), AliceBearer], body);

        await AssertProblemAsync(response, 400);
    }

    // ---- the run ----

    private (string, string) AliceBearer => ("Authorization", "Bearer " + server.AliceSession);

    private async Task RunAsync(string name, Gen<HostileRequest> gen, int iterations)
    {
        var property = new SeededProperty(name, SeedVariable, DefaultSeed, IterationsVariable, iterations);
        var failures = new PropertyFailures(property);
        var clock = Stopwatch.StartNew();
        var cases = 0;
        var statuses = new SortedDictionary<int, int>();
        var verbose = Environment.GetEnvironmentVariable("HOSTILE_VERBOSE") == "1";
        var timeouts = 0;
        string? stopped = null;
        foreach (var (seed, request) in property.Cases(gen))
        {
            // A server that hangs would otherwise cost the response timeout on every remaining case.
            if (timeouts >= MaxTimeouts || clock.Elapsed > TimeBudget)
            {
                stopped = $"stopped early after {cases} cases ({timeouts} timeouts, {clock.Elapsed.TotalSeconds:0} s)";
                break;
            }

            cases++;
            var rendered = request.Render(server.Port, await server.SessionsForAsync(request), seed);
            RawResponse? response = null;
            IReadOnlyList<Violation> violations;
            try
            {
                response = await server.SendAsync(rendered.Bytes, rendered.IsHead);
                violations = ResponseInvariants.Check(rendered, response, server.StandingSecrets);
            }
            catch (TimeoutException e)
            {
                timeouts++;
                violations = [new Violation("every request gets a response", e.Message.Split(';')[0])];
            }

            statuses[response?.Status ?? 0] = statuses.GetValueOrDefault(response?.Status ?? 0) + 1;
            if (verbose)
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"case {seed}: {response?.StatusLine ?? "(no response)"} <- {rendered.Describe(400)}");
            }

            foreach (var violation in violations)
            {
                var log = response is null || response.Status >= 500 ? await server.ErrorLogAsync(HostileRequest.TraceId(seed)) : [];
                var group = $"{violation.Invariant} | {violation.Fact}" + (log.Count > 0 ? " | " + Cause(log[0]) : string.Empty) + $" | {request.Route}";
                failures.Add(group, seed, rendered.Bytes.Length, () => Example(rendered, response, log));
            }
        }

        var stillServes = await server.StillServesAsync();
        var summary = $"{name}: {cases} cases in {clock.Elapsed.TotalSeconds:0.0} s (seed {property.Seed}{(stopped is null ? string.Empty : "; " + stopped)}); statuses: " +
            string.Join(", ", statuses.Select(s => $"{(s.Key == 0 ? "none" : s.Key)}×{s.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        if (!failures.IsEmpty)
        {
            Assert.Fail(failures.Report(cases, summary + "\n" + (stillServes is null ? "5. Afterwards the server still serves." : "5. Afterwards: " + stillServes)));
        }

        Assert.True(stillServes is null, $"5. After {cases} generated requests: {stillServes}");
        Assert.True(stopped is null, summary);
    }

    private static string Example(RenderedRequest request, RawResponse? response, IReadOnlyList<string> log)
    {
        var text = new StringBuilder();
        text.Append("   request (").Append(request.Bytes.Length).Append(" bytes; body: ").Append(request.Request.Body?.Kind ?? "none").Append(", ")
            .Append(request.Request.Body?.Framing.ToString() ?? "-").Append("; credentials: ")
            .Append(string.Join(", ", request.Request.Credentials.Select(Describe))).Append("):\n      ")
            .Append(request.Describe()).Append('\n');
        text.Append("   response: ").Append(response?.Describe().Replace("\n", "\n      ", StringComparison.Ordinal) ?? "(none)").Append('\n');
        if (log.Count > 0)
        {
            text.Append("   server log:\n      ").Append(string.Join("\n      ", log)).Append('\n');
        }

        return text.ToString();
    }

    private static string Describe(Credential credential) => credential switch
    {
        BearerCredential b => $"{b.Scheme} {b.Source} session, {b.Mutation}",
        CookieCredential c => $"cookie {c.Name} {c.Source} session, {c.Mutation}",
        BasicCredential b => $"{b.Scheme} credentials",
        RawAuthorization => "raw Authorization",
        _ => credential.ToString()!,
    };

    /// <summary>The exception's type and message with the input-dependent parts blanked, to group equal crashes.</summary>
    private static string Cause(string log)
    {
        var lines = log.Split('\n');
        var exception = lines.Length > 1 ? lines[1].Trim() : lines[0];
        exception = HexCode().Replace(exception, "0x…");
        return Quoted().Replace(exception, "'…'");
    }

    [GeneratedRegex("0x[0-9A-Fa-f]+")]
    private static partial Regex HexCode();

    [GeneratedRegex("'[^']*'")]
    private static partial Regex Quoted();

    // ---- example helpers ----

    private Task<RawResponse?> SendAsync(string method, string target, (string Name, string Value)[] headers, string? body = null, bool contentLength = true) =>
        SendAsync(method, target, headers, body is null ? null : Encoding.UTF8.GetBytes(body), contentLength);

    private async Task<RawResponse?> SendAsync(string method, string target, (string Name, string Value)[] headers, byte[]? body, bool contentLength = true)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (body is not null && contentLength)
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }

        // Our own trace id, so a failure can quote the server's log lines for this request.
        _exampleTraceId = HostileRequest.TraceId((ulong)Random.Shared.NextInt64());
        head.Append("traceparent: 00-").Append(_exampleTraceId).Append("-0000000000000001-01\r\n");
        byte[] request = [.. Encoding.UTF8.GetBytes(head.Append("\r\n").ToString()), .. body ?? []];
        return await server.SendAsync(request, method == "HEAD");
    }

    private async Task AssertProblemAsync(RawResponse? response, int status, string? what = null)
    {
        Assert.NotNull(response);
        var log = response.Status >= 500 ? await server.ErrorLogAsync(_exampleTraceId) : [];
        var described = (what is null ? string.Empty : what + ": ") + response.Describe(2000) +
            (log.Count > 0 ? "\n   server log:\n      " + string.Join("\n      ", log) : string.Empty);
        Assert.True(response.Status == status, $"expected {status}, got:\n{described}");
        Assert.False(response.IsKestrelRejection, $"Kestrel refused the request before the app saw it:\n{described}");
        Assert.True(ResponseInvariants.ProblemDefect(response, isHead: false) is null,
            $"not a complete problem ({ResponseInvariants.ProblemDefect(response, isHead: false)}):\n{described}");
        foreach (var message in response.HeaderValues("X-Ably-ErrorMessage"))
        {
            Assert.True(message.All(c => c is >= ' ' and <= '~'), $"X-Ably-ErrorMessage is not printable ASCII: {RawHttp.Printable(Encoding.Latin1.GetBytes(message), 300)}");
            Assert.True(message.Length <= ResponseInvariants.MaxErrorMessageLength, $"X-Ably-ErrorMessage has {message.Length} characters: {message[..Math.Min(200, message.Length)]}…");
        }

        Assert.DoesNotContain(AblyAuthServerFactory.Secret, response.Everything, StringComparison.Ordinal);
        Assert.DoesNotContain(server.AliceSession, response.Everything, StringComparison.Ordinal);
        Assert.Null(await server.StillServesAsync());
    }
}
