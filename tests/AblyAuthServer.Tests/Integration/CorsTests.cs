using System.Net;
using System.Net.Http.Json;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Integration;

public sealed class CorsTests : IAsyncLifetime
{
    private const string AllowedOrigin = "https://app.example.com";
    private readonly AblyAuthServerFactory _factory = new(new Dictionary<string, string?>
    {
        ["Cors:AllowedOrigins:0"] = AllowedOrigin,
        ["Cors:AllowedOrigins:1"] = "http://localhost:3000",
    });

    private string _session = string.Empty;

    public async ValueTask InitializeAsync()
    {
        await _factory.CreateUserAsync("alice", ["member"]);
        _session = (await _factory.LoginAsync("alice")).SessionToken;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_Allowed_Origin_Gets_Its_Own_Origin_Back_With_Credentials_And_The_Ably_Error_Headers_Exposed()
    {
        using var client = _factory.CreateBearerClient(_session);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        request.Headers.Add("Origin", AllowedOrigin);

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal(["Retry-After", "X-Ably-ErrorCode", "X-Ably-ErrorMessage"],
            Header(response, "Access-Control-Expose-Headers")!.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task A_Refusal_To_An_Allowed_Origin_Is_Readable_So_AblyJs_Sees_Why()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        request.Headers.Add("Origin", AllowedOrigin);

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("40100", Header(response, "X-Ably-ErrorCode"));
        Assert.Contains("X-Ably-ErrorCode", Header(response, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Credentialed_Login_From_An_Allowed_Origin_Is_Shared_With_That_Origin()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login")
        {
            Content = JsonContent.Create(new { username = "alice", password = AblyAuthServerFactory.Password }),
        };
        request.Headers.Add("Origin", "http://localhost:3000");

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("http://localhost:3000", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.True(response.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("https://evil.example.com")]
    [InlineData("https://app.example.com.evil.example")]
    [InlineData("http://app.example.com")]
    [InlineData("null")]
    public async Task Another_Origin_Gets_No_Cors_Headers(string origin)
    {
        using var client = _factory.CreateBearerClient(_session);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        request.Headers.Add("Origin", origin);

        var response = await client.SendAsync(request, Ct);

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.Null(Header(response, "Access-Control-Expose-Headers"));
    }

    [Theory]
    [InlineData("/ably/token", "POST")]
    [InlineData("/ably/token-request", "GET")]
    [InlineData("/ably/token-details", "POST")]
    [InlineData("/auth/login", "POST")]
    [InlineData("/auth/logout", "POST")]
    public async Task A_Preflight_From_An_Allowed_Origin_Is_Answered_Without_Credentials(string path, string method)
    {
        using var client = _factory.CreateClient();

        var response = await client.SendAsync(Preflight(path, method, AllowedOrigin), Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal(["GET", "POST"], Header(response, "Access-Control-Allow-Methods")!.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Equal(["accept", "authorization", "content-type"],
            Header(response, "Access-Control-Allow-Headers")!.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        Assert.Equal("600", Header(response, "Access-Control-Max-Age"));
    }

    [Fact]
    public async Task A_Preflight_From_Another_Origin_Or_For_An_Unlisted_Header_Is_Not_Approved()
    {
        using var client = _factory.CreateClient();
        var strangeHeader = Preflight("/ably/token", "GET", AllowedOrigin);
        strangeHeader.Headers.Remove("Access-Control-Request-Headers");
        strangeHeader.Headers.Add("Access-Control-Request-Headers", "x-custom");

        var otherOrigin = await client.SendAsync(Preflight("/ably/token", "POST", "https://evil.example.com"), Ct);
        var otherHeader = await client.SendAsync(strangeHeader, Ct);

        Assert.Null(Header(otherOrigin, "Access-Control-Allow-Origin"));
        // The browser refuses a preflight whose answer does not list every header it asked for.
        Assert.DoesNotContain("x-custom", Header(otherHeader, "Access-Control-Allow-Headers") ?? string.Empty, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_Configured_Origins_No_Origin_Is_Allowed()
    {
        await using var factory = new AblyAuthServerFactory();
        using var client = factory.CreateClient();

        var response = await client.SendAsync(Preflight("/ably/token", "GET", AllowedOrigin), Ct);

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
    }

    private static HttpRequestMessage Preflight(string path, string method, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,accept");
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) => SecurityHeadersTests.Header(response, name);
}
