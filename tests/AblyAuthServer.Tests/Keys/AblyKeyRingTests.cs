using AblyAuthServer.Ably;
using AblyAuthServer.Tests.Infrastructure;

namespace AblyAuthServer.Tests.Keys;

public sealed class AblyKeyRingTests
{
    private static readonly AblyKey First = AblyKey.Parse(AblyAuthServerFactory.ApiKey);
    private static readonly AblyKey Second = AblyKey.Parse(AblyAuthServerFactory.SecondApiKey);

    [Fact]
    public void Without_A_Signing_Key_Name_The_First_Key_Signs_And_Every_Key_Can_Be_Found()
    {
        Assert.True(AblyKeyRing.TryCreate([First, Second], null, out var ring, out var error), error);

        Assert.Same(First, ring!.Signing);
        Assert.Equal([First, Second], ring.Keys);
        Assert.Same(Second, ring.Find(Second.Name));
        Assert.Null(ring.Find("app.unknown"));
    }

    [Fact]
    public void The_Signing_Key_Name_Chooses_The_Signer()
    {
        Assert.True(AblyKeyRing.TryCreate([First, Second], Second.Name, out var ring, out var error), error);

        Assert.Same(Second, ring!.Signing);
    }

    [Fact]
    public void An_Empty_Ring_A_Repeated_Key_Or_An_Unknown_Signer_Is_Refused_Without_Secrets()
    {
        Assert.False(AblyKeyRing.TryCreate([], null, out _, out var empty));
        Assert.False(AblyKeyRing.TryCreate([First, AblyKey.Parse(AblyAuthServerFactory.ApiKey)], null, out _, out var repeated));
        Assert.False(AblyKeyRing.TryCreate([First], "app.other", out _, out var unknown));

        Assert.Equal("holds no key", empty);
        Assert.Equal($"lists the key {First.Name} more than once", repeated);
        Assert.Equal($"has no key named app.other (Ably:SigningKeyName); it holds {First.Name}", unknown);
        Assert.DoesNotContain(AblyAuthServerFactory.Secret, repeated + unknown, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_Skip_Blanks_And_Comments_And_A_Bad_Line_Is_Named_By_Number_Only()
    {
        var text = $"# rotated 2026-12-01\n\n  {AblyAuthServerFactory.ApiKey}  \r\n{AblyAuthServerFactory.SecondApiKey}\n";
        const string secret = "some-secret-that-must-not-be-echoed-anywhere-at-all";

        Assert.True(AblyKeyRing.TryParseLines(text, out var keys, out var error), error);
        Assert.False(AblyKeyRing.TryParseLines($"{AblyAuthServerFactory.ApiKey}\nnot-a-key-{secret}\n", out _, out var bad));
        Assert.False(AblyKeyRing.TryParseLines("app.key:short-secret\n", out _, out var shortSecret));

        Assert.Equal([First.Name, Second.Name], keys.Select(k => k.Name));
        Assert.Equal("line 2 is malformed: expected appId.keyId:secret (no ':' found)", bad);
        Assert.Equal("line 1 is malformed: the secret is shorter than 32 bytes", shortSecret);
        Assert.DoesNotContain(secret, bad, StringComparison.Ordinal);
    }
}
