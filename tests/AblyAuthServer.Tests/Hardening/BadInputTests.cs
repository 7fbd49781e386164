using System.Net;
using System.Text;
using AblyAuthServer.Tests.Infrastructure;
using AblyAuthServer.Tokens;

namespace AblyAuthServer.Tests.Hardening;

/// <summary>Input that once reached a 500: each is refused with a 400 problem, and the Ably headers stay printable ASCII.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly AblyAuthServerFactory _factory = new();
    private string _session = string.Empty;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _factory.CreateUserAsync("alice", ["member"]);
        _session = (await _factory.LoginAsync("alice")).SessionToken;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Theory]
    [InlineData("""{"username":"\ud800","password":"x"}""")]
    [InlineData("""{"username":"alice","password":"\udfff"}""")]
    [InlineData("""{"\ud800":"alice","password":"x"}""")]
    public async Task A_Lone_Surrogate_Escape_In_A_Login_Body_Gets_400_Naming_The_Problem(string body)
    {
        using var client = _factory.CreateClient();

        var response = await client.PostAsync("/auth/login", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest, "not valid Unicode");
    }

    [Theory]
    [InlineData("""{"clientId":"\udfff"}""")]
    [InlineData("""{"capability":"{\"\\ud800\":[\"subscribe\"]}"}""")]
    [InlineData("""{"ttl":"1000","clientId":"a\ud800b"}""")]
    public async Task A_Lone_Surrogate_Escape_In_A_Token_Body_Gets_400_With_Ably_Headers(string body)
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.PostAsync("/ably/token", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest, "surrogate");
        Assert.Equal("40000", Assert.Single(response.Headers.GetValues("X-Ably-ErrorCode")));
        AssertPrintableAscii(Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage")));
    }

    [Fact]
    public async Task A_Capability_With_Non_Ascii_Resource_And_Unknown_Operation_Gets_400_With_An_Ascii_Header_Summary()
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync("/ably/token?capability=" + Uri.EscapeDataString("""{"élève\u0007":["nope"]}"""), Ct);

        var problem = await Problems.AssertProblemAsync(response, HttpStatusCode.BadRequest, "unknown operation 'nope'");
        Assert.Contains("élève", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var header = Assert.Single(response.Headers.GetValues("X-Ably-ErrorMessage"));
        AssertPrintableAscii(header);
        Assert.Contains("unknown operation 'nope'", header, StringComparison.Ordinal);
        Assert.DoesNotContain("élève", header, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Header_Summary_Keeps_Printable_Ascii_Replaces_The_Rest_And_Cuts_Long_Details()
    {
        Assert.Equal("plain detail", AblyErrorContract.HeaderSummary("plain detail"));
        Assert.Equal("caf? ?? line?break", AblyErrorContract.HeaderSummary("café 🎉 line\nbreak"));
        var summary = AblyErrorContract.HeaderSummary(new string('x', 5000));
        Assert.Equal(AblyErrorContract.MaxHeaderMessageLength + 3, summary.Length);
        Assert.EndsWith("...", summary, StringComparison.Ordinal);
    }

    private static void AssertPrintableAscii(string value)
    {
        Assert.InRange(value.Length, 1, AblyErrorContract.MaxHeaderMessageLength + 3);
        Assert.All(value, c => Assert.InRange(c, ' ', '~'));
    }
}
