using System.Net;
using AblyAuthServer.Demo;
using AblyAuthServer.Hosting;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class SecurityHeadersTests : IClassFixture<SecurityHeadersTests.Server>
{
    private readonly Server _server;

    public SecurityHeadersTests(Server server) => _server = server;

    public sealed class Server : IAsyncLifetime
    {
        public AblyAuthServerFactory Factory { get; } = new();

        public ValueTask InitializeAsync() => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => Factory.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/healthz", HttpStatusCode.OK)]
    [InlineData("/ably/token", HttpStatusCode.Unauthorized)]
    [InlineData("/no/such/path", HttpStatusCode.NotFound)]
    [InlineData("/swagger/v1/swagger.json", HttpStatusCode.OK)]
    public async Task Every_Api_Response_Has_Nosniff_No_Referrer_Deny_Framing_And_A_Deny_All_Csp(string path, HttpStatusCode status)
    {
        using var client = _server.Factory.CreateClient();

        var response = await client.GetAsync(path, Ct);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
    }

    [Theory]
    [InlineData("/demo")]
    [InlineData("/demo/demo.js")]
    [InlineData("/demo/no-such-file.js")]
    public async Task The_Demo_Declares_Its_Own_Page_Policy_And_No_Store(string path)
    {
        await using var factory = new AblyAuthServerFactory(new Dictionary<string, string?> { ["Demo:Enabled"] = "true" });
        using var client = factory.CreateClient();

        var response = await client.GetAsync(path, Ct);

        Assert.Equal(DemoEndpoints.ContentSecurityPolicy, Header(response, "Content-Security-Policy"));
        Assert.StartsWith("default-src 'none'; script-src 'self'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
        Assert.Equal("no-store", Header(response, "Cache-Control"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
    }

    [Fact]
    public async Task With_The_Demo_Off_Its_Paths_Are_Plain_404s_With_The_Api_Policy()
    {
        using var client = _server.Factory.CreateClient();

        var response = await client.GetAsync("/demo", Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(SecurityHeadersSetup.ApiContentSecurityPolicy, Header(response, "Content-Security-Policy"));
    }

    [Fact]
    public async Task Hsts_Is_Sent_Over_Https_And_Never_Over_Plain_Http()
    {
        using var https = _server.Factory.CreateClient(new() { BaseAddress = new Uri("https://auth.example.com") });
        using var http = _server.Factory.CreateClient(new() { BaseAddress = new Uri("http://auth.example.com") });

        var secure = await https.GetAsync("/healthz", Ct);
        var plain = await http.GetAsync("/healthz", Ct);

        Assert.Equal("max-age=31536000", Header(secure, "Strict-Transport-Security"));
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : null;
}
