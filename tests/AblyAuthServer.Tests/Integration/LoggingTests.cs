using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Accounts;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class LoggingTests
{
    private const string WrongPassword = "wrong-password-that-must-not-be-logged";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_Log_Event_At_Any_Level_Contains_The_Key_Secret_A_Password_A_Session_Token_Or_An_Issued_Token()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace",
            ["Cors:AllowedOrigins:0"] = "https://app.example.com",
            ["RateLimiting:Tokens:PerUser:PermitLimit"] = "5",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var anonymous = factory.CreateClient();

        var login = await anonymous.PostAsJsonAsync("/auth/login", new { username = "alice", password = AblyAuthServerFactory.Password }, Ct);
        var session = (await login.Content.ReadFromJsonAsync<LoginResponse>(Ct))!.SessionToken;
        var failedLogin = await anonymous.PostAsJsonAsync("/auth/login", new { username = "alice", password = WrongPassword }, Ct);
        using var bearer = factory.CreateBearerClient(session);
        bearer.DefaultRequestHeaders.Add("Origin", "https://app.example.com");
        var jwt = await (await bearer.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct);
        var tokenRequest = await bearer.PostAsync("/ably/token-request", new FormUrlEncodedContent(new Dictionary<string, string> { ["ttl"] = "60000" }), Ct);
        var mac = JsonDocument.Parse(await tokenRequest.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("mac").GetString()!;
        var forbidden = await bearer.GetAsync("/ably/token?clientId=someone-else", Ct);
        using var cookie = new HttpRequestMessage(HttpMethod.Get, "/ably/token-request");
        cookie.Headers.Add("Cookie", $"ably_session={session}");
        await anonymous.SendAsync(cookie, Ct);
        var basicCredentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{WrongPassword}"));
        using var basic = factory.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", basicCredentials);
        await basic.GetAsync("/ably/token", Ct);
        for (var i = 0; i < 3; i++)
        {
            await bearer.GetAsync("/ably/token", Ct); // the last ones are rate limited
        }

        await bearer.PostAsync("/auth/logout", null, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, failedLogin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var entries = factory.Logs.GetSnapshot();
        Assert.True(entries.Count > 50, $"only {entries.Count} events were recorded");
        Assert.Contains(entries, e => e.Id.Id == 1000 && e.Message.StartsWith("Issued jwt to alice", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Message.Contains("Rate limit tokens-per-user refused", StringComparison.Ordinal));
        // Request events carry the trace ids that the JSON console formatter writes from the scopes.
        Assert.Contains(entries, e => e.Id.Id == 1000 && e.HasScopeValue("TraceId") && e.HasScopeValue("SpanId"));
        string[] secrets =
        [
            AblyAuthServerFactory.Secret, AblyAuthServerFactory.Password, WrongPassword, basicCredentials, session,
            jwt, jwt[(jwt.LastIndexOf('.') + 1)..], mac,
        ];
        foreach (var entry in entries)
        {
            foreach (var secret in secrets)
            {
                Assert.False(entry.AllText().Contains(secret, StringComparison.Ordinal),
                    $"[{entry.Category}/{entry.Id}] logs a secret: {entry.Message}");
            }
        }
    }

    [Fact]
    public async Task On_Every_Path_To_Ably_No_Log_Event_At_Any_Level_Contains_The_Key_Secret_Its_Basic_Credentials_Or_A_Token()
    {
        await using var server = await RevocableServer.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
            ["Logging:LogLevel:Polly"] = "Trace",
            ["Ably:ClockCheck"] = "true",
            ["Ably:ClockCheckInterval"] = "00:00:01",
        });
        var app = server.App;
        await app.CreateUserAsync("alice", ["member"]);
        await app.CreateUserAsync("bob", ["member"]);
        await app.CreateUserAsync("carol", ["member"]);
        var session = (await app.LoginAsync("alice")).SessionToken;
        using var bearer = app.CreateBearerClient(session);
        var jwt = await bearer.GetStringAsync("/ably/token", Ct);

        // A retried failure, a success, a permanent refusal, a failed clock reading: every logging path to Ably.
        server.Ably.FailNext(AblyRestEndpoint.RevokeTokens, count: 3);
        server.Ably.FailNext(AblyRestEndpoint.Time, count: 3);
        await bearer.PostAsync("/auth/logout", null, Ct);
        await server.WaitForOutboxAsync(rows => rows is [{ State: RevocationState.Delivered }]);
        server.Ably.FailNext(AblyRestEndpoint.RevokeTokens, error: new AblyRestError(HttpStatusCode.Unauthorized, 40101, "Invalid credentials"));
        Assert.Null(await app.WithAccountsAsync(accounts => accounts.SetPasswordAsync("bob", "another-password")));
        await server.WaitForOutboxAsync(rows => rows.Count == 2 && rows[1].State == RevocationState.Failed);
        Assert.Null(await app.WithAccountsAsync(accounts => accounts.SetDisabledAsync("carol", disabled: true)));
        await server.WaitForOutboxAsync(rows => rows.Count == 3 && rows[2].State == RevocationState.Delivered);
        await server.Ably.Rejections.WaitForCountAsync(5, cancellationToken: Ct);

        var entries = app.Logs.GetSnapshot();
        Assert.Contains(entries, e => e.Id.Id == 1300);
        Assert.Contains(entries, e => e.Id.Id == 1301);
        Assert.Contains(entries, e => e.Id.Id == 1302);
        Assert.Contains(entries, e => e.Id.Id == 1402);
        Assert.Contains(entries, e => e.Category == "Polly" && e.Message.Contains("AblyRestClient", StringComparison.Ordinal));
        var basicCredentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(AblyAuthServerFactory.ApiKey));
        string[] secrets = [AblyAuthServerFactory.Secret, basicCredentials, session, jwt, jwt[(jwt.LastIndexOf('.') + 1)..]];
        foreach (var entry in entries)
        {
            foreach (var secret in secrets)
            {
                Assert.False(entry.AllText().Contains(secret, StringComparison.Ordinal), $"[{entry.Category}/{entry.Id}] logs a secret: {entry.Message}");
            }
        }

        var failed = (await server.OutboxAsync())[1];
        Assert.DoesNotContain(AblyAuthServerFactory.Secret, failed.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_The_Ably_Token_Path_No_Log_Event_At_Any_Level_Contains_The_Key_Secret_A_Mac_Or_An_Ably_Token()
    {
        await using var server = await AblyTokensServer.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
            ["Logging:LogLevel:Polly"] = "Trace",
        });
        var app = server.App;
        await app.CreateUserAsync("alice", ["member"]);
        var session = (await app.LoginAsync("alice")).SessionToken;
        using var bearer = app.CreateBearerClient(session);

        // A success, a retry after a spent nonce, a lost answer, a refusal, an unusable answer: every logging path.
        var answers = new List<string> { await bearer.GetStringAsync("/ably/token-details", Ct) };
        server.Ably.FailNextAfterChecks(AblyRestEndpoint.RequestToken);
        answers.Add(await bearer.GetStringAsync("/ably/token-details", Ct));
        server.Ably.AnswerLateNext(AblyRestEndpoint.RequestToken, TimeSpan.FromSeconds(5));
        answers.Add(await bearer.GetStringAsync("/ably/token-details", Ct));
        server.Ably.RewriteNextAnswer(AblyRestEndpoint.RequestToken, body => body.Replace("\"keyName\"", "\"keyname\"", StringComparison.Ordinal));
        answers.Add(await (await bearer.GetAsync("/ably/token-details", Ct)).Content.ReadAsStringAsync(Ct));
        server.Ably.SetKeyCapability(AblyAuthServerFactory.KeyName, """{"news":["subscribe"]}""");
        answers.Add(await (await bearer.GetAsync("/ably/token-details", Ct)).Content.ReadAsStringAsync(Ct));

        var entries = app.Logs.GetSnapshot();
        Assert.Contains(entries, e => e.Id.Id == 1000 && e.Message.StartsWith("Issued token-details to alice", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Id.Id == 1500);
        Assert.Contains(entries, e => e.Id.Id == 1503);
        Assert.Contains(entries, e => e.Category == "Polly" && e.Message.Contains("ably-request-token", StringComparison.Ordinal));
        var calls = server.Ably.TokenCalls.Snapshot();
        Assert.Equal(6, calls.Count);
        var basicCredentials = Convert.ToBase64String(Encoding.UTF8.GetBytes(AblyAuthServerFactory.ApiKey));
        string[] secrets = [AblyAuthServerFactory.Secret, basicCredentials, session, .. calls.Select(c => c.Mac), .. calls.Select(c => c.Details.Token)];
        foreach (var entry in entries)
        {
            foreach (var secret in secrets)
            {
                Assert.False(entry.AllText().Contains(secret, StringComparison.Ordinal), $"[{entry.Category}/{entry.Id}] logs a secret: {entry.Message}");
            }
        }

        Assert.All(answers, answer => Assert.DoesNotContain(AblyAuthServerFactory.Secret, answer, StringComparison.Ordinal));
        Assert.All(calls, call => Assert.DoesNotContain(answers, answer => answer.Contains(call.Mac, StringComparison.Ordinal)));
    }
}
