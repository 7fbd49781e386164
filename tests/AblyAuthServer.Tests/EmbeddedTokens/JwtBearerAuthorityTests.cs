using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AblyAuthServer.Tests.EmbeddedTokens;

/// <summary>
/// What the feature is for: an app's own API, configured only with <c>Authority</c> = EmbeddedTokens:Issuer and the
/// audience, accepts the embedded token. The server runs on Kestrel at 127.0.0.1, so JwtBearer discovers its
/// configuration and keys over real HTTP, as it would in production.
/// </summary>
public sealed class JwtBearerAuthorityTests : IAsyncLifetime
{
    private readonly int _port = ServerProcess.FreePort();
    private AblyAuthServerFactory _server = null!;
    private WebApplication _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Issuer => $"http://127.0.0.1:{_port}";

    public async ValueTask InitializeAsync()
    {
        _server = new AblyAuthServerFactory(new Dictionary<string, string?>
        {
            ["EmbeddedTokens:Issuer"] = Issuer,
            ["EmbeddedTokens:Audience"] = EmbeddedTokenFixture.Audience,
        });
        // JwtBearer checks lifetimes on the real clock.
        _server.Time.SetUtcNow(DateTimeOffset.UtcNow);
        _server.UseKestrel(_port);
        _server.StartServer();
        await _server.CreateUserAsync("alice", ["member"]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(bearer =>
        {
            bearer.Authority = Issuer;
            bearer.Audience = EmbeddedTokenFixture.Audience;
            // Plain http on loopback only; an API in production keeps the default and an https Issuer.
            bearer.RequireHttpsMetadata = false;
            bearer.MapInboundClaims = false;
        });
        builder.Services.AddAuthorization();
        _api = builder.Build();
        _api.UseAuthentication();
        _api.UseAuthorization();
        _api.MapGet("/me", (ClaimsPrincipal user) => TypedResults.Ok(new Dictionary<string, object?>
        {
            ["sub"] = user.FindFirstValue("sub"),
            ["clientId"] = user.FindFirstValue("ably_client_id"),
            ["roles"] = user.FindAll("roles").Select(c => c.Value).ToArray(),
            ["issuer"] = user.FindFirst("sub")?.Issuer,
        })).RequireAuthorization();
        await _api.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task An_Api_With_Authority_Set_To_The_Issuer_Accepts_The_Embedded_Token_And_Reads_Its_Claims()
    {
        var token = await TokenAsync("/ably/embedded-token");
        using var api = ApiClient(token);

        var response = await api.GetAsync("/me", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = (await response.Content.ReadFromJsonAsync<Dictionary<string, System.Text.Json.JsonElement>>(Ct))!;
        Assert.Equal("alice", me["sub"].GetString());
        Assert.Equal("alice", me["clientId"].GetString());
        Assert.Equal(["member"], me["roles"].EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(Issuer, me["issuer"].GetString());
    }

    [Fact]
    public async Task The_Api_Refuses_The_Plain_Ably_Jwt_And_A_Tampered_Embedded_Token()
    {
        var plain = await TokenAsync("/ably/token");
        var embedded = await TokenAsync("/ably/embedded-token");
        var parts = embedded.Split('.');
        var tampered = parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            Jwt.Parse(embedded).PayloadJson.Replace("\"member\"", "\"admin\"", StringComparison.Ordinal))) + "." + parts[2];

        using var withPlain = ApiClient(plain);
        using var withTampered = ApiClient(tampered);

        Assert.Equal(HttpStatusCode.Unauthorized, (await withPlain.GetAsync("/me", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withTampered.GetAsync("/me", Ct)).StatusCode);
    }

    private HttpClient ApiClient(string token)
    {
        var client = _api.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> TokenAsync(string path)
    {
        // Real HTTP to the server on Kestrel, as the browser or app would call it.
        using var client = new HttpClient { BaseAddress = new Uri(Issuer) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AblyAuthServerFactory.Password}")));
        var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
