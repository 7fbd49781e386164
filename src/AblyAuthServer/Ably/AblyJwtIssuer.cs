using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AblyAuthServer.Ably;

/// <summary>
/// Mints Ably JWTs: HS256, <c>kid</c> = key name, claims <c>iat</c>, <c>exp</c>, <c>x-ably-capability</c>
/// (a JSON string) and <c>x-ably-clientId</c>, signed with the key secret.
/// </summary>
public sealed class AblyJwtIssuer(AblyKey key, TimeProvider timeProvider)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    // Escape only what JSON requires (as JSON.stringify does), so the capability string reads as it will be matched.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The key tokens are signed with.</summary>
    public AblyKey Key => key;

    /// <summary>Creates the compact JWT for <paramref name="grant"/>, issued now.</summary>
    public string Issue(TokenGrant grant)
    {
        var issuedAt = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var expires = issuedAt + (long)Math.Ceiling(grant.Ttl.TotalSeconds);
        return Handler.CreateToken(Payload(grant, issuedAt, expires), key.SigningCredentials);
    }

    private static string Payload(TokenGrant grant, long issuedAt, long expires)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("iat", issuedAt);
            writer.WriteNumber("exp", expires);
            writer.WriteString("x-ably-capability", grant.Capability.ToJson());
            writer.WriteString("x-ably-clientId", grant.ClientId);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
