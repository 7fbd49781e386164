using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// The app in memory with Ably Tokens on (<c>Ably:AblyTokens</c>), pointed at an <see cref="AblyRestStandIn"/> that
/// shares its fake clock, with timeouts short enough for tests: one second per attempt, three in all.
/// </summary>
public sealed class AblyTokensServer : IAsyncDisposable
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(3);

    private AblyTokensServer(AblyRestStandIn ably, AblyAuthServerFactory app)
    {
        Ably = ably;
        App = app;
    }

    public AblyRestStandIn Ably { get; }

    public AblyAuthServerFactory App { get; }

    public FakeTimeProvider Time => App.Time;

    /// <summary>
    /// A new stand-in (the test key, revocable tokens off, every capability unless <paramref name="keyCapability"/>
    /// narrows it) and a new app on it, with <paramref name="settings"/> on top.
    /// </summary>
    public static async Task<AblyTokensServer> StartAsync(IDictionary<string, string?>? settings = null, string? keyCapability = null)
    {
        var time = AblyAuthServerFactory.NewTime();
        var ably = await AblyRestStandIn.StartAsync([AblyRestStandInKey.Parse(AblyAuthServerFactory.ApiKey, revocableTokens: false, keyCapability)], time);
        var all = new Dictionary<string, string?>
        {
            ["Ably:AblyTokens"] = "true",
            ["Ably:RestHost"] = ably.BaseAddress,
            ["Ably:RestTimeout"] = AttemptTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Ably:AblyTokenTimeout"] = TokenTimeout.ToString("c", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = new AblyAuthServerFactory(all) { Time = time };
        _ = app.Server;
        return new AblyTokensServer(ably, app);
    }

    /// <summary>A client logged in as <paramref name="userName"/> with a session Bearer token.</summary>
    public async Task<HttpClient> SessionClientAsync(string userName) => App.CreateBearerClient((await App.LoginAsync(userName)).SessionToken);

    /// <summary>A client sending <c>Authorization: Basic</c> for <paramref name="userName"/>.</summary>
    public HttpClient BasicClient(string userName)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{AblyAuthServerFactory.Password}")));
        return client;
    }

    /// <summary>The MAC of a recorded TokenRequest, recomputed by hand from spec RSA9 with the test key's secret.</summary>
    public static string ExpectedMac(AblyRestTokenCall call)
    {
        var signText = string.Create(CultureInfo.InvariantCulture, $"{call.KeyName}\n{call.Ttl}\n{call.Capability}\n{call.ClientId}\n{call.Timestamp}\n{call.Nonce}\n");
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AblyAuthServerFactory.Secret), Encoding.UTF8.GetBytes(signText)));
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Ably.DisposeAsync();
    }
}
