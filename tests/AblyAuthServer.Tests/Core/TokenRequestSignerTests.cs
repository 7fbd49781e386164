using AblyAuthServer.Ably;
using Microsoft.Extensions.Time.Testing;

namespace AblyAuthServer.Tests.Core;

public sealed class TokenRequestSignerTests
{
    private static readonly AblyKey ReferenceKey = AblyKey.Parse("appId.keyId:c2VjcmV0LWZvci10ZXN0cw");
    private static readonly AblyKey DocsKey = AblyKey.Parse("I2E_JQ.OqUdfg:EVKVTCBlzLBPYJiCZTsIW_pqylJ9WVRB5K9P19Ap1y0");

    [Fact]
    public void Reference_Vector_With_ClientId_Capability_And_Ttl_Produces_The_AblyJs_Mac()
    {
        // Arrange
        var grant = new TokenGrant("alice", ParseCapability("""{"chat:*":["subscribe","publish"]}"""), TimeSpan.FromHours(1));

        // Act
        var request = TokenRequestSigner.Sign(grant, ReferenceKey, 1700000000000, "0123456789abcdef");

        // Assert
        Assert.Equal(
            new TokenRequest(
                "appId.keyId",
                "alice",
                """{"chat:*":["publish","subscribe"]}""",
                3600000,
                1700000000000,
                "0123456789abcdef",
                "T93LegSNPjnuzA7Mr0OLks5NYcgb10mE/8XkyfPMHvc="),
            request);
    }

    [Fact]
    public void Reference_Vector_Without_ClientId_Capability_And_Ttl_Produces_The_AblyJs_Mac()
    {
        // Arrange
        var signText = TokenRequestSigner.SignText("appId.keyId", null, null, null, 1700000000000, "fedcba9876543210");

        // Act
        var mac = ReferenceKey.ComputeMac(signText);

        // Assert
        Assert.Equal("appId.keyId\n\n\n\n1700000000000\nfedcba9876543210\n", signText);
        Assert.Equal("CPH3x2V4B86wIJAg/ryS4qeL5Ft0dQK/dPMqMPmta1s=", mac);
    }

    [Fact]
    public void Protocol_Notes_Full_Vector_Canonicalises_An_Unsorted_Capability_And_Produces_The_AblyJs_Mac()
    {
        // Arrange
        var capability = ParseCapability("""{"private":["subscribe","publish","presence"],"*":["subscribe"]}""");
        var grant = new TokenGrant("unique_identifier", capability, TimeSpan.FromMilliseconds(3600000));

        // Act
        var request = TokenRequestSigner.Sign(grant, DocsKey, 1449745478956, "95e543b88299f6bae83df9b12fbd1ecd");

        // Assert
        Assert.Equal(
            new TokenRequest(
                "I2E_JQ.OqUdfg",
                "unique_identifier",
                """{"*":["subscribe"],"private":["presence","publish","subscribe"]}""",
                3600000,
                1449745478956,
                "95e543b88299f6bae83df9b12fbd1ecd",
                "/81L38A2gl149tjXoj4/ylrl1V5JXnnrnnJAPOOPHXE="),
            request);
    }

    [Fact]
    public void Protocol_Notes_Full_Vector_Sign_Text_Is_Byte_Exact()
    {
        // Act
        var signText = TokenRequestSigner.SignText(
            "I2E_JQ.OqUdfg",
            3600000,
            """{"*":["subscribe"],"private":["presence","publish","subscribe"]}""",
            "unique_identifier",
            1449745478956,
            "95e543b88299f6bae83df9b12fbd1ecd");

        // Assert
        Assert.Equal(
            "I2E_JQ.OqUdfg\n3600000\n{\"*\":[\"subscribe\"],\"private\":[\"presence\",\"publish\",\"subscribe\"]}\nunique_identifier\n1449745478956\n95e543b88299f6bae83df9b12fbd1ecd\n",
            signText);
        Assert.Equal("/81L38A2gl149tjXoj4/ylrl1V5JXnnrnnJAPOOPHXE=", DocsKey.ComputeMac(signText));
    }

    [Fact]
    public void Protocol_Notes_Minimal_Vector_Produces_The_AblyJs_Mac()
    {
        // Arrange
        var signText = TokenRequestSigner.SignText("I2E_JQ.OqUdfg", null, null, null, 1449745478956, "95e543b88299f6bae83df9b12fbd1ecd");

        // Act
        var mac = DocsKey.ComputeMac(signText);

        // Assert
        Assert.Equal("I2E_JQ.OqUdfg\n\n\n\n1449745478956\n95e543b88299f6bae83df9b12fbd1ecd\n", signText);
        Assert.Equal("q/wC1pkkVEAPKnkDuRXoaERCXVYQ3E8jkzxLY3chA7Y=", mac);
    }

    [Fact]
    public void Fresh_Request_Is_Timestamped_By_The_Time_Provider_In_Milliseconds()
    {
        // Arrange
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1700000000123));
        var signer = new TokenRequestSigner(time);
        var grant = new TokenGrant("alice", ParseCapability("""{"chat:*":["publish"]}"""), TimeSpan.FromMinutes(10));

        // Act
        var first = signer.Sign(grant, ReferenceKey);
        time.Advance(TimeSpan.FromMilliseconds(4321));
        var second = signer.Sign(grant, ReferenceKey);

        // Assert
        Assert.Equal(1700000000123, first.Timestamp);
        Assert.Equal(1700000004444, second.Timestamp);
        Assert.Equal(600000, first.Ttl);
        Assert.Equal("appId.keyId", first.KeyName);
        Assert.Equal("alice", first.ClientId);
        Assert.Equal("""{"chat:*":["publish"]}""", first.Capability);
    }

    [Fact]
    public void Fresh_Request_Mac_Covers_Its_Own_Fields()
    {
        // Arrange
        var signer = new TokenRequestSigner(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1700000000000)));
        var grant = new TokenGrant("*", ParseCapability("""{"[*]*":["*"]}"""), TimeSpan.FromHours(1));

        // Act
        var request = signer.Sign(grant, ReferenceKey);

        // Assert
        var expected = ReferenceKey.ComputeMac(
            $"appId.keyId\n3600000\n{{\"[*]*\":[\"*\"]}}\n*\n1700000000000\n{request.Nonce}\n");
        Assert.Equal(expected, request.Mac);
    }

    [Fact]
    public void Fresh_Nonces_Are_At_Least_16_Characters_And_Differ_Between_Calls()
    {
        // Arrange
        var signer = new TokenRequestSigner(new FakeTimeProvider());
        var grant = new TokenGrant("alice", ParseCapability("""{"chat:*":["publish"]}"""), TimeSpan.FromHours(1));

        // Act
        var nonces = Enumerable.Range(0, 100).Select(_ => signer.Sign(grant, ReferenceKey).Nonce).ToList();

        // Assert
        Assert.All(nonces, nonce => Assert.True(nonce.Length >= 16, $"nonce '{nonce}' is shorter than 16 characters"));
        Assert.All(nonces, nonce => Assert.Matches("^[0-9a-f]+$", nonce));
        Assert.Equal(nonces.Count, nonces.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Sub_Millisecond_Ttl_Is_Truncated_To_Whole_Milliseconds_In_Field_And_Mac()
    {
        // Arrange
        var grant = new TokenGrant("alice", ParseCapability("""{"a":["publish"]}"""), TimeSpan.FromTicks(150_005));

        // Act
        var request = TokenRequestSigner.Sign(grant, ReferenceKey, 1700000000000, "0123456789abcdef");

        // Assert
        Assert.Equal(15, request.Ttl);
        Assert.Equal(
            ReferenceKey.ComputeMac("appId.keyId\n15\n{\"a\":[\"publish\"]}\nalice\n1700000000000\n0123456789abcdef\n"),
            request.Mac);
    }

    private static Capability ParseCapability(string json)
    {
        Assert.True(Capability.TryParse(json, out var capability, out var error), error);
        return capability!;
    }
}
