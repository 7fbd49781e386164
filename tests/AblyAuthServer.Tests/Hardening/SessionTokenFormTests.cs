using System.Net;
using AblyAuthServer.Sessions;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Hardening;

/// <summary>A session token is accepted only as the one spelling the server issued, so it cannot be re-spelt into new cache keys.</summary>
public sealed class SessionTokenFormTests : IAsyncLifetime
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

    public static TheoryData<string> Respellings => new()
    {
        "space in the middle",
        "tab in the middle",
        "padding",
        "standard base64 alphabet",
        "non-zero trailing bits",
        "truncated",
        "over the length bound",
    };

    [Theory]
    [MemberData(nameof(Respellings))]
    public async Task A_Respelt_Session_Token_Gets_401_As_Bearer_And_As_Cookie(string respelling)
    {
        var token = Respell(_session, respelling);
        Assert.NotEqual(_session, token);
        using var bearer = _factory.CreateClient();
        bearer.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var cookieClient = _factory.CreateClient();
        using var cookie = new HttpRequestMessage(HttpMethod.Get, "/ably/token");
        cookie.Headers.TryAddWithoutValidation("Cookie", "ably_session=" + token);

        var byBearer = await bearer.GetAsync("/ably/token", Ct);
        var byCookie = await cookieClient.SendAsync(cookie, Ct);

        await Problems.AssertProblemAsync(byBearer, HttpStatusCode.Unauthorized, "log in at /auth/login");
        await Problems.AssertProblemAsync(byCookie, HttpStatusCode.Unauthorized, "log in at /auth/login");
    }

    [Fact]
    public async Task The_Issued_Spelling_Still_Works_And_Is_Canonical()
    {
        using var client = _factory.CreateBearerClient(_session);

        var response = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", Jwt.Parse(await response.Content.ReadAsStringAsync(Ct)).ClientId);
        Assert.True(SessionTokens.IsCanonical(_session));
    }

    [Theory]
    [InlineData("QQ", true)]
    [InlineData("QR", false)]
    [InlineData("QUE", true)]
    [InlineData("QUF", false)]
    [InlineData("QUFB", true)]
    [InlineData("Q", false)]
    [InlineData("", false)]
    [InlineData("QUF=", false)]
    [InlineData("QU+B", false)]
    [InlineData("QU B", false)]
    public void Only_Unpadded_Base64url_With_Zero_Trailing_Bits_Is_Canonical(string token, bool canonical) =>
        Assert.Equal(canonical, SessionTokens.IsCanonical(token));

    [Fact]
    public void The_Verified_Ticket_Cache_Is_Bounded_By_Bytes() =>
        Assert.InRange(SessionTokens.CacheBytesLimit, 1024 * 1024, 256L * 1024 * 1024);

    private static string Respell(string token, string how) => how switch
    {
        "space in the middle" => token[..10] + " " + token[10..],
        "tab in the middle" => token[..10] + "\t" + token[10..],
        "padding" => token + "=",
        "standard base64 alphabet" => token.Contains('-') || token.Contains('_') ? token.Replace('-', '+').Replace('_', '/') : token[..^1] + "+",
        "non-zero trailing bits" => WithTrailingBits(token),
        "truncated" => token[..^4],
        "over the length bound" => token + new string('A', SessionTokens.MaxTokenLength),
        _ => throw new ArgumentOutOfRangeException(nameof(how)),
    };

    // The same bytes, spelt with the unused low bits of the last character set (or, with none unused, a changed byte).
    private static string WithTrailingBits(string token)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var last = alphabet.IndexOf(token[^1], StringComparison.Ordinal);
        var spare = (token.Length % 4) switch { 2 => 0b1111, 3 => 0b11, _ => 0 };
        return spare == 0 ? token[..^1] + alphabet[(last + 1) % 64] : token[..^1] + alphabet[last | 1];
    }
}
