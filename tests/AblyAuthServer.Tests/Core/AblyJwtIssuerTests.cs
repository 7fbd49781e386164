using System.IdentityModel.Tokens.Jwt;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AblyAuthServer.Ably;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Tests.Core;

public sealed class AblyJwtIssuerTests
{
    private const string DocsSecret = "EVKVTCBlzLBPYJiCZTsIW_pqylJ9WVRB5K9P19Ap1y0";
    private static readonly AblyKey DocsKey = AblyKey.Parse("I2E_JQ.OqUdfg:" + DocsSecret);
    private const string ProtocolNotesJwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkkyRV9KUS5PcVVkZmcifQ.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwieC1hYmx5LWNhcGFiaWxpdHkiOiJ7XCIqXCI6W1wiKlwiXX0iLCJ4LWFibHktY2xpZW50SWQiOiJ1c2VyLTEyMyJ9.ZD-2NlELuESA8VNeDFazqKuVPlGoFQa1sQRPmLPck98";

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1700000000);

    [Fact]
    public void Header_Is_Exactly_Alg_Hs256_Kid_Key_Name_And_Typ_Jwt()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("user-123", """{"*":["*"]}""", TimeSpan.FromHours(1)), DocsKey);

        // Assert
        Assert.Equal("""{"alg":"HS256","kid":"I2E_JQ.OqUdfg","typ":"JWT"}""", DecodeSegment(token, 0));
    }

    [Fact]
    public void Payload_Is_Exactly_Iat_Exp_Capability_String_And_ClientId()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("user-123", """{"*":["*"]}""", TimeSpan.FromHours(1)), DocsKey);

        // Assert: byte for byte the payload of the protocol notes' vector (1.4), escaped as JSON.stringify escapes.
        Assert.Equal(
            """{"iat":1700000000,"exp":1700003600,"x-ably-capability":"{\"*\":[\"*\"]}","x-ably-clientId":"user-123"}""",
            DecodeSegment(token, 1));
    }

    [Fact]
    public void A_Revocation_Key_Is_The_Last_Claim_And_Escaped_As_Json_Stringify_Escapes()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));
        var grant = Grant("user-123", """{"*":["*"]}""", TimeSpan.FromHours(1)) with { RevocationKey = "k\"1" };

        // Act
        var token = issuer.Issue(grant, DocsKey);

        // Assert
        Assert.Equal(
            """{"iat":1700000000,"exp":1700003600,"x-ably-capability":"{\"*\":[\"*\"]}","x-ably-clientId":"user-123","x-ably-revocation-key":"k\"1"}""",
            DecodeSegment(token, 1));
    }

    [Fact]
    public void On_Ablys_Clock_Iat_And_Exp_Move_By_The_Offset_And_The_Ttl_Stays()
    {
        // Arrange
        var clock = new AblyClock(new FakeTimeProvider(Now));
        clock.SetOffset(TimeSpan.FromMinutes(-2));
        var issuer = new AblyJwtIssuer(clock);

        // Act
        var (iat, exp) = IatAndExp(issuer.Issue(Grant("user-123", """{"*":["*"]}""", TimeSpan.FromMinutes(10)), DocsKey));

        // Assert
        Assert.Equal((1700000000 - 120, 1700000000 - 120 + 600), (iat, exp));
    }

    [Fact]
    public void Capability_Claim_Is_A_Json_String_Holding_The_Canonical_Capability()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));
        var grant = Grant("alice", """{"private":["subscribe","publish"],"chat:*":["presence","*"]}""", TimeSpan.FromMinutes(5));

        // Act
        var token = issuer.Issue(grant, DocsKey);

        // Assert
        using var payload = JsonDocument.Parse(DecodeSegment(token, 1));
        var claims = payload.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        Assert.Equal(["iat", "exp", "x-ably-capability", "x-ably-clientId"], claims.Keys);
        Assert.Equal(JsonValueKind.String, claims["x-ably-capability"].ValueKind);
        Assert.Equal("""{"chat:*":["*"],"private":["publish","subscribe"]}""", claims["x-ably-capability"].GetString());
        Assert.Equal("alice", claims["x-ably-clientId"].GetString());
        Assert.Equal(1700000000, claims["iat"].GetInt64());
        Assert.Equal(1700000300, claims["exp"].GetInt64());
    }

    [Fact]
    public void Iat_And_Exp_Follow_The_Time_Provider()
    {
        // Arrange
        var time = new FakeTimeProvider(Now);
        var issuer = new AblyJwtIssuer(time);
        var grant = Grant("alice", """{"chat:*":["subscribe"]}""", TimeSpan.FromMinutes(10));
        var first = issuer.Issue(grant, DocsKey);

        // Act
        time.Advance(TimeSpan.FromSeconds(90.7));
        var second = issuer.Issue(grant, DocsKey);

        // Assert
        Assert.Equal((1700000000L, 1700000600L), IatAndExp(first));
        Assert.Equal((1700000090L, 1700000690L), IatAndExp(second));
    }

    [Fact]
    public void A_Fractional_Second_Ttl_Ends_At_The_Last_Whole_Second_Before_Its_Expiry_Instant()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("alice", """{"chat:*":["subscribe"]}""", TimeSpan.FromMilliseconds(1500)), DocsKey);

        // Assert
        Assert.Equal((1700000000L, 1700000001L), IatAndExp(token));
    }

    [Fact]
    public void Signature_Is_Hmac_Sha256_Over_Header_And_Payload_With_The_Secret_Utf8_Bytes()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("user-123", """{"chat:*":["publish","subscribe"]}""", TimeSpan.FromHours(1)), DocsKey);

        // Assert
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(DocsSecret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        Assert.Equal(Base64UrlEncode(expected), parts[2]);
    }

    [Fact]
    public void Protocol_Notes_Vector_Signature_Recomputes_With_The_Docs_Secret()
    {
        // Arrange
        var parts = ProtocolNotesJwt.Split('.');

        // Act
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(DocsSecret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));

        // Assert
        Assert.Equal("""{"alg":"HS256","typ":"JWT","kid":"I2E_JQ.OqUdfg"}""", DecodeSegment(ProtocolNotesJwt, 0));
        Assert.Equal(
            """{"iat":1700000000,"exp":1700003600,"x-ably-capability":"{\"*\":[\"*\"]}","x-ably-clientId":"user-123"}""",
            DecodeSegment(ProtocolNotesJwt, 1));
        Assert.Equal(parts[2], Base64UrlEncode(signature));
    }

    [Fact]
    public void Protocol_Notes_Vector_Inputs_Give_The_Same_Header_And_Claims_But_Not_The_Same_Bytes()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("user-123", """{"*":["*"]}""", TimeSpan.FromHours(1)), DocsKey);

        // Assert: header members come in another order and '"' is escaped differently, so only the meaning matches.
        Assert.NotEqual(ProtocolNotesJwt, token);
        Assert.Equal(Members(DecodeSegment(ProtocolNotesJwt, 0)).Order(), Members(DecodeSegment(token, 0)).Order());
        Assert.Equal(Members(DecodeSegment(ProtocolNotesJwt, 1)), Members(DecodeSegment(token, 1)));
        var parts = token.Split('.');
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(DocsSecret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        Assert.Equal(parts[2], Base64UrlEncode(signature));
    }

    [Fact]
    public void Token_Validates_With_JwtSecurityTokenHandler_Using_The_Secret()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));
        var token = issuer.Issue(Grant("user-123", """{"chat:*":["publish","subscribe"]}""", TimeSpan.FromHours(1)), DocsKey);
        var parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(DocsSecret)),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            // The token is stamped with the fake clock; check its lifetime against that clock.
            LifetimeValidator = (notBefore, expires, _, _) => expires == Now.AddHours(1).UtcDateTime,
        };
        var handler = new JwtSecurityTokenHandler { MapInboundClaims = false };

        // Act
        var principal = handler.ValidateToken(token, parameters, out var validated);

        // Assert
        var jwt = Assert.IsType<JwtSecurityToken>(validated);
        Assert.Equal("I2E_JQ.OqUdfg", jwt.Header.Kid);
        Assert.Equal("HS256", jwt.Header.Alg);
        Assert.Equal("""{"chat:*":["publish","subscribe"]}""", principal.FindFirst("x-ably-capability")?.Value);
        Assert.Equal("user-123", principal.FindFirst("x-ably-clientId")?.Value);
    }

    [Fact]
    public void Token_Signed_With_Another_Secret_Fails_Validation()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));
        var token = issuer.Issue(Grant("user-123", """{"chat:*":["publish"]}""", TimeSpan.FromHours(1)), DocsKey);
        var parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(DocsSecret.Replace('E', 'F'))),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        };

        // Act
        var act = () => new JwtSecurityTokenHandler().ValidateToken(token, parameters, out _);

        // Assert
        Assert.Throws<SecurityTokenSignatureKeyNotFoundException>(act);
    }

    [Fact]
    public void Wildcard_ClientId_Is_Carried_As_Star()
    {
        // Arrange
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("*", """{"[*]*":["*"]}""", TimeSpan.FromHours(1)), DocsKey);

        // Assert
        using var payload = JsonDocument.Parse(DecodeSegment(token, 1));
        Assert.Equal("*", payload.RootElement.GetProperty("x-ably-clientId").GetString());
        Assert.Equal("""{"[*]*":["*"]}""", payload.RootElement.GetProperty("x-ably-capability").GetString());
    }

    [Theory]
    [InlineData(22)]
    [InlineData(31)]
    public void Secret_Shorter_Than_32_Bytes_Cannot_Sign_A_Jwt_With_Microsoft_IdentityModel(int secretBytes)
    {
        // Arrange: 22 bytes is the secret of the reference's TokenRequest vectors; AblyKey accepts it.
        var shortKey = AblyKey.Parse("appId.keyId:" + "c2VjcmV0LWZvci10ZXN0cw".PadRight(secretBytes, 'x')[..secretBytes]);
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var exception = Record.Exception(() => issuer.Issue(Grant("alice", """{"chat:*":["publish"]}""", TimeSpan.FromHours(1)), shortKey));

        // Assert
        var outOfRange = Assert.IsType<ArgumentOutOfRangeException>(exception);
        Assert.Equal(
            $"IDX10720: Unable to create KeyedHashAlgorithm for algorithm 'HS256', the key size must be greater than: '256' bits, key has '{secretBytes * 8}' bits. (Parameter 'keyBytes')",
            outOfRange.Message);
    }

    [Fact]
    public void Secret_Of_Exactly_32_Bytes_Signs_A_Jwt()
    {
        // Arrange
        const string secret = "0123456789abcdef0123456789abcdef";
        var issuer = new AblyJwtIssuer(new FakeTimeProvider(Now));

        // Act
        var token = issuer.Issue(Grant("alice", """{"chat:*":["publish"]}""", TimeSpan.FromHours(1)), AblyKey.Parse("appId.keyId:" + secret));

        // Assert
        var parts = token.Split('.');
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        Assert.Equal(parts[2], Base64UrlEncode(signature));
    }

    private static TokenGrant Grant(string clientId, string capability, TimeSpan ttl)
    {
        Assert.True(Capability.TryParse(capability, out var parsed, out var error), error);
        return new TokenGrant(clientId, parsed!, ttl);
    }

    private static (long Iat, long Exp) IatAndExp(string token)
    {
        using var payload = JsonDocument.Parse(DecodeSegment(token, 1));
        return (payload.RootElement.GetProperty("iat").GetInt64(), payload.RootElement.GetProperty("exp").GetInt64());
    }

    // Each member as "name=raw JSON value", in document order.
    private static List<string> Members(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateObject().Select(p => $"{p.Name}={(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}")];
    }

    private static string DecodeSegment(string token, int index) =>
        Encoding.UTF8.GetString(Base64UrlDecode(token.Split('.')[index]));

    // Hand-rolled base64url (RFC 4648 §5, no padding) so the check does not reuse the signing library.
    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string segment)
    {
        var base64 = segment.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }
}
