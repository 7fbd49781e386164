using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>A JWT taken apart and checked by hand, independently of the library that signed it.</summary>
public sealed record Jwt(JsonElement Header, JsonElement Payload, string HeaderJson, string PayloadJson)
{
    public static Jwt Parse(string token)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var header = Encoding.UTF8.GetString(Base64UrlDecode(parts[0]));
        var payload = Encoding.UTF8.GetString(Base64UrlDecode(parts[1]));
        return new Jwt(JsonDocument.Parse(header).RootElement.Clone(), JsonDocument.Parse(payload).RootElement.Clone(), header, payload);
    }

    /// <summary>Recomputes HMAC-SHA256 over <c>header.payload</c> with the secret's UTF-8 bytes.</summary>
    public static bool HasValidSignature(string token, string secret)
    {
        var lastDot = token.LastIndexOf('.');
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(token[..lastDot]));
        return CryptographicOperations.FixedTimeEquals(expected, Base64UrlDecode(token[(lastDot + 1)..]));
    }

    public string Capability => Payload.GetProperty("x-ably-capability").GetString()!;

    public string ClientId => Payload.GetProperty("x-ably-clientId").GetString()!;

    public long IssuedAt => Payload.GetProperty("iat").GetInt64();

    public long Expires => Payload.GetProperty("exp").GetInt64();

    public IReadOnlyList<string> ClaimNames => [.. Payload.EnumerateObject().Select(p => p.Name)];

    private static byte[] Base64UrlDecode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }
}
