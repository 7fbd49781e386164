using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class ForwardedHeadersTests : IAsyncLifetime
{
    private const string Proxy = "10.0.0.2";
    private readonly AblyAuthServerFactory _factory = new(new Dictionary<string, string?>
    {
        ["ForwardedHeaders:KnownProxies:0"] = Proxy,
        ["ForwardedHeaders:KnownNetworks:0"] = "10.8.0.0/16",
        ["Sessions:CookieSecurePolicy"] = "SameAsRequest",
        ["RateLimiting:Login:PerIp:PermitLimit"] = "1",
        ["RateLimiting:Login:PerIp:Window"] = "00:10:00",
    });

    public async ValueTask InitializeAsync() => await _factory.CreateUserAsync("alice", ["member"]);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Proxy)]
    [InlineData("10.8.3.4")]
    public async Task Behind_A_Trusted_Proxy_The_Forwarded_Client_And_Https_Are_Honoured(string proxy)
    {
        using var client = _factory.CreateClientFrom(proxy, "http://auth.example.com");

        var first = await LoginAsync(client, forwardedFor: "203.0.113.7", proto: "https");
        var otherClient = await LoginAsync(client, forwardedFor: "203.0.113.8", proto: "https");
        var sameClientAgain = await LoginAsync(client, forwardedFor: "198.51.100.1, 203.0.113.7", proto: "https");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("secure", Assert.Single(first.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("max-age=31536000", SecurityHeadersTests.Header(first, "Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.OK, otherClient.StatusCode);
        // Only the address the trusted proxy saw counts; what the client put in front of it does not.
        Assert.Equal(HttpStatusCode.TooManyRequests, sameClientAgain.StatusCode);
        Assert.Contains(_factory.Logs.GetSnapshot(), e => e.Message.Contains("from 203.0.113.7 to /auth/login", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("192.0.2.50")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task From_An_Untrusted_Peer_Including_Loopback_Forwarded_Headers_Are_Ignored(string peer)
    {
        using var client = _factory.CreateClientFrom(peer, "http://auth.example.com");

        var first = await LoginAsync(client, forwardedFor: "203.0.113.7", proto: "https");
        var second = await LoginAsync(client, forwardedFor: "203.0.113.8", proto: "https");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.DoesNotContain("secure", Assert.Single(first.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        Assert.False(first.Headers.Contains("Strict-Transport-Security"));
        // Both count against the peer itself, whatever X-Forwarded-For claims.
        await Problems.AssertProblemAsync(second, HttpStatusCode.TooManyRequests, "from this address");
        Assert.Contains(_factory.Logs.GetSnapshot(), e => e.Message.Contains($"from {peer} to /auth/login", StringComparison.Ordinal));
        Assert.DoesNotContain(_factory.Logs.GetSnapshot(), e => e.Message.Contains("203.0.113.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task X_Forwarded_For_From_An_Untrusted_Peer_Is_Reported_Once_Naming_The_Peer()
    {
        await using var factory = new AblyAuthServerFactory();
        await factory.CreateUserAsync("alice", ["member"]);
        using var proxied = factory.CreateClientFrom("192.0.2.77");
        using var direct = factory.CreateClientFrom("192.0.2.78");

        var plain = await LoginAsync(direct);
        var warningsBefore = factory.Logs.GetSnapshot().Count(e => e.Id.Id == 5000);
        await LoginAsync(proxied, forwardedFor: "203.0.113.9");
        await LoginAsync(proxied, forwardedFor: "203.0.113.10");

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(0, warningsBefore);
        var warning = Assert.Single(factory.Logs.GetSnapshot(), e => e.Id.Id == 5000);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("192.0.2.77", warning.Message, StringComparison.Ordinal);
        Assert.Contains("ForwardedHeaders:KnownProxies", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_No_Proxy_Configured_No_Client_Can_Choose_Its_Own_Address_Or_Scheme()
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["Sessions:CookieSecurePolicy"] = "SameAsRequest",
            ["RateLimiting:Login:PerIp:PermitLimit"] = "1",
            ["RateLimiting:Login:PerIp:Window"] = "00:10:00",
        });
        await factory.CreateUserAsync("alice", ["member"]);
        using var client = factory.CreateClientFrom("192.0.2.60", "http://auth.example.com");

        var first = await LoginAsync(client, forwardedFor: "203.0.113.7", proto: "https");
        var second = await LoginAsync(client, forwardedFor: "203.0.113.8", proto: "https");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.DoesNotContain("secure", Assert.Single(first.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        await Problems.AssertProblemAsync(second, HttpStatusCode.TooManyRequests, "from this address");
        Assert.Contains(factory.Logs.GetSnapshot(), e => e.Message.Contains("from 192.0.2.60 to /auth/login", StringComparison.Ordinal));
    }

    [Fact]
    public async Task X_Forwarded_For_From_A_Trusted_Proxy_Is_Not_Reported()
    {
        using var client = _factory.CreateClientFrom(Proxy);

        var response = await LoginAsync(client, forwardedFor: "198.51.100.1, 203.0.113.7");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(_factory.Logs.GetSnapshot(), e => e.Id.Id == 5000);
    }

    [Fact]
    public async Task Ipv6_Clients_Share_One_Login_Budget_Per_64_Block()
    {
        using var first = _factory.CreateClientFrom("2001:db8:1:2::10");
        using var sameBlock = _factory.CreateClientFrom("2001:db8:1:2:ffff::20");
        using var otherBlock = _factory.CreateClientFrom("2001:db8:1:3::10");

        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await LoginAsync(sameBlock)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(otherBlock)).StatusCode);
    }

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string? forwardedFor = null, string? proto = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login")
        {
            Content = JsonContent.Create(new { username = "alice", password = AblyAuthServerFactory.Password }),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (proto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", proto);
        }

        return await client.SendAsync(request, Ct);
    }
}
