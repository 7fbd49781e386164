using System.Net;
using AblyAuthServer.Authentication.IdentityProviders;
using AblyAuthServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.IdentityProviders;

/// <summary>
/// A provider token is verified once per replica and remembered: never past its exp, never once its key leaves the
/// provider's published keys, and only in its one canonical spelling.
/// </summary>
public sealed class VerifiedIssuerTokenTests : IAsyncLifetime
{
    private TestIssuer _issuer = null!;
    private AblyAuthServerFactory _factory = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync(cancellationToken: Ct);
        _factory = IssuerFixture.Factory(IssuerFixture.Settings(_issuer));
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task A_Provider_Token_Asked_With_Again_Is_Remembered_And_Gives_The_Same_Caller_Without_Asking_The_Provider()
    {
        var token = _issuer.Mint(b => b.Subject("user-5").Roles("viewer"));
        using var client = IssuerFixture.Bearer(_factory, token);
        var first = Jwt.Parse(await (await client.GetAsync("/ably/token", Ct)).Content.ReadAsStringAsync(Ct));
        _issuer.ResetCounts();

        var again = await client.GetAsync("/ably/token", Ct);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var second = Jwt.Parse(await again.Content.ReadAsStringAsync(Ct));
        Assert.Equal("user-5", second.ClientId);
        Assert.Equal(first.Capability, second.Capability);
        var entry = _factory.Services.GetRequiredService<VerifiedIssuerTokens>().Find(IdentityProviderSetup.SchemeName(0), token);
        Assert.NotNull(entry);
        Assert.Equal("user-5", entry.Caller.Account.ClientId);
        Assert.Equal(_issuer.CurrentKey().KeyId, entry.KeyId);
        Assert.Equal(0, _issuer.DiscoveryRequests + _issuer.JwksRequests);
    }

    [Fact]
    public async Task A_Remembered_Provider_Token_Is_Forgotten_And_Refused_Once_Its_Exp_Has_Passed_On_The_Servers_Clock()
    {
        var token = _issuer.Mint(b => b.Roles("viewer").Lifetime(TimeSpan.FromMinutes(2)));
        using var client = IssuerFixture.Bearer(_factory, token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ably/token", Ct)).StatusCode);
        var verified = _factory.Services.GetRequiredService<VerifiedIssuerTokens>();
        Assert.NotNull(verified.Find(IdentityProviderSetup.SchemeName(0), token));

        _factory.Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));

        Assert.Null(verified.Find(IdentityProviderSetup.SchemeName(0), token));
        // The signature check runs on the real clock (the token is still valid there); the caller's expiry is then
        // checked on the server's clock, which has passed it.
        await Problems.AssertProblemAsync(await client.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, "The credential ends in under a second");
    }

    [Fact]
    public async Task A_Remembered_Provider_Token_Is_Refused_Once_Its_Key_Is_No_Longer_Published()
    {
        var old = _issuer.Mint(b => b.Roles("viewer"));
        using var oldClient = IssuerFixture.Bearer(_factory, old);
        Assert.Equal(HttpStatusCode.OK, (await oldClient.GetAsync("/ably/token", Ct)).StatusCode);

        _issuer.RotateKey(SecurityAlgorithms.RsaSha256, keepOld: false);
        using var newClient = IssuerFixture.Bearer(_factory, _issuer.Mint(b => b.Roles("viewer")));
        // A token signed with the new key makes the server fetch the keys again: the old one is gone from them.
        await Polling.UntilStatusAsync(() => newClient.GetAsync("/ably/token", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(10));

        await Problems.AssertProblemAsync(await oldClient.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, "get a fresh token from the provider");
        Assert.Null(_factory.Services.GetRequiredService<VerifiedIssuerTokens>().Find(IdentityProviderSetup.SchemeName(0), old));
    }

    [Fact]
    public async Task A_Token_Never_Seen_Before_Signed_With_A_Withdrawn_Key_Is_Refused_Though_That_Key_Verified_Tokens_Earlier()
    {
        var seen = _issuer.Mint(b => b.Subject("user-1").Roles("viewer"));
        var unseen = _issuer.Mint(b => b.Subject("user-2").Roles("viewer"));
        using var seenClient = IssuerFixture.Bearer(_factory, seen);
        Assert.Equal(HttpStatusCode.OK, (await seenClient.GetAsync("/ably/token", Ct)).StatusCode);

        _issuer.RotateKey(SecurityAlgorithms.RsaSha256, keepOld: false);
        using var newClient = IssuerFixture.Bearer(_factory, _issuer.Mint(b => b.Roles("viewer")));
        await Polling.UntilStatusAsync(() => newClient.GetAsync("/ably/token", Ct), HttpStatusCode.OK, TimeSpan.FromSeconds(10));

        // The keys fetched before the rotation are not tried again ("last known good"): a withdrawn key verifies nothing.
        using var unseenClient = IssuerFixture.Bearer(_factory, unseen);
        await Problems.AssertProblemAsync(await unseenClient.GetAsync("/ably/token", Ct), HttpStatusCode.Unauthorized, "get a fresh token from the provider");
        Assert.Null(_factory.Services.GetRequiredService<VerifiedIssuerTokens>().Find(IdentityProviderSetup.SchemeName(0), unseen));
    }

    [Fact]
    public async Task A_Provider_Token_That_Can_Never_Get_A_Token_Is_Still_Refused_With_403_When_Asked_Again()
    {
        using var client = IssuerFixture.Bearer(_factory, _issuer.Mint(b => b.Roles("no-such-role")));

        var first = await client.GetAsync("/ably/token", Ct);
        var again = await client.GetAsync("/ably/token", Ct);

        await Problems.AssertProblemAsync(first, HttpStatusCode.Forbidden, "no role");
        await Problems.AssertProblemAsync(again, HttpStatusCode.Forbidden, "no role");
    }

    public static TheoryData<string, string> Respellings => new()
    {
        { "padding after the signature", "=" },
        { "a space inside the payload", " " },
        { "a fourth segment", ".e30" },
    };

    [Theory]
    [MemberData(nameof(Respellings))]
    public void Only_The_Canonical_Spelling_Of_A_Token_Is_Remembered(string respelling, string insertion)
    {
        var token = _issuer.Mint(b => b.Roles("viewer"));
        var respelled = respelling switch
        {
            "a space inside the payload" => token.Insert(token.IndexOf('.', StringComparison.Ordinal) + 3, insertion),
            _ => token + insertion,
        };
        using var cache = new VerifiedIssuerTokens(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var entry = Entry(DateTimeOffset.UtcNow.AddMinutes(10));

        cache.Add(token, entry);
        cache.Add(respelled, entry);

        Assert.True(VerifiedIssuerTokens.IsCanonical(token));
        Assert.False(VerifiedIssuerTokens.IsCanonical(respelled), respelling);
        Assert.Same(entry, cache.Find("issuer-0", token));
        Assert.Null(cache.Find("issuer-0", respelled));
    }

    [Fact]
    public void A_Signature_Respelled_With_Nonzero_Trailing_Bits_Is_Not_Canonical()
    {
        var token = _issuer.Mint(b => b.Roles("viewer"));
        var signature = token[(token.LastIndexOf('.') + 1)..];
        Assert.NotEqual(0, signature.Length % 4);
        var last = signature[^1];
        // The last character's low bits carry nothing: flipping the lowest one spells the same bytes differently.
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var respelled = token[..^1] + Alphabet[Alphabet.IndexOf(last, StringComparison.Ordinal) ^ 1];

        Assert.Equal(Decode(signature), Decode(respelled[(respelled.LastIndexOf('.') + 1)..]));
        Assert.True(VerifiedIssuerTokens.IsCanonical(token));
        Assert.False(VerifiedIssuerTokens.IsCanonical(respelled));
    }

    [Fact]
    public void An_Entry_Is_Not_Found_Under_Another_Providers_Scheme_Nor_After_Its_Exp()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = new VerifiedIssuerTokens(time);
        var token = _issuer.Mint(b => b.Roles("viewer"));
        cache.Add(token, Entry(time.GetUtcNow().AddSeconds(30)));

        Assert.Null(cache.Find("issuer-1", token));
        Assert.NotNull(cache.Find("issuer-0", token));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(cache.Find("issuer-0", token));
    }

    /// <summary>Base64url decoding that, like most decoders, ignores the bits after the last whole byte.</summary>
    private static byte[] Decode(string segment)
    {
        var base64 = segment.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }

    private static VerifiedIssuerTokens.Entry Entry(DateTimeOffset expires) => new(
        "issuer-0",
        new Authentication.AuthenticatedCaller(new Policies.AccountIdentity("iss sub", "sub", "sub", ["viewer"]), null, null, expires, "iss"),
        "kid-1",
        expires);
}
