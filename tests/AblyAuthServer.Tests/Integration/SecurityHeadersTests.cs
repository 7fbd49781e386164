using System.Net;
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
    [InlineData("/demo/app.js")]
    public async Task Responses_Under_Demo_Get_The_Strict_Page_Policy(string path)
    {
        using var client = _server.Factory.CreateClient();

        var response = await client.GetAsync(path, Ct);

        Assert.Equal(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            Header(response, "Content-Security-Policy"));
        Assert.Equal(SecurityHeaders.DemoContentSecurityPolicy, Header(response, "Content-Security-Policy"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
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
