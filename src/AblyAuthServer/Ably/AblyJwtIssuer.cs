using System.Globalization;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AblyAuthServer.Ably;

/// <summary>
/// Mints Ably JWTs: HS256, <c>kid</c> = key name, claims <c>iat</c>, <c>exp</c>, <c>x-ably-capability</c>
/// (a JSON string), <c>x-ably-clientId</c> and, for revocable keys, <c>x-ably-revocation-key</c>, signed with the key
/// secret. Give it an <see cref="AblyClock"/> so that <c>iat</c> and <c>exp</c> are on Ably's clock.
/// </summary>
public sealed class AblyJwtIssuer(TimeProvider timeProvider)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The claim name prefix of a channel-scoped user claim (JWT only).</summary>
    public const string ChannelClaimPrefix = "ably.channel.";

    /// <summary>The claim name prefix of a per-connection publish rate limit (JWT only).</summary>
    public const string PublishRateLimitPrefix = "ably.limits.publish.perAttachment.maxRate.";

    /// <summary>Creates the compact JWT for <paramref name="grant"/>, issued now and signed with <paramref name="key"/>.</summary>
    public string Issue(TokenGrant grant, AblyKey key)
    {
        var now = timeProvider.GetUtcNow();
        var issuedAt = now.ToUnixTimeSeconds();
        // The expiry instant rounded down to whole seconds, so a TTL capped at a credential's end never passes it.
        var expires = (now + grant.Ttl).ToUnixTimeSeconds();
        return Handler.CreateToken(Payload(grant, issuedAt, expires), key.SigningCredentials);
    }

    // Four or five fields, written directly with the same JSON.stringify escaping as the capability: far fewer allocations
    // than a Utf8JsonWriter over a growing buffer, on the one path every token takes.
    private static string Payload(TokenGrant grant, long issuedAt, long expires)
    {
        var capability = grant.Capability.ToJson();
        var json = new StringBuilder(128 + (capability.Length * 2) + grant.ClientId.Length);
        json.Append("{\"iat\":").Append(issuedAt.ToString(CultureInfo.InvariantCulture))
            .Append(",\"exp\":").Append(expires.ToString(CultureInfo.InvariantCulture))
            .Append(",\"x-ably-capability\":");
        JsonText.AppendString(json, capability);
        json.Append(",\"x-ably-clientId\":");
        JsonText.AppendString(json, grant.ClientId);
        if (grant.RevocationKey is { } revocationKey)
        {
            json.Append(",\"x-ably-revocation-key\":");
            JsonText.AppendString(json, revocationKey);
        }

        if (grant.Claims is { } claims)
        {
            AppendClaims(json, claims);
        }

        return json.Append('}').ToString();
    }

    private static void AppendClaims(StringBuilder json, TokenClaims claims)
    {
        if (claims.IsServer)
        {
            json.Append(",\"x-ably-clientType\":\"server\"");
        }

        foreach (var (resource, value) in claims.ChannelClaims)
        {
            json.Append(',');
            JsonText.AppendString(json, ChannelClaimPrefix + resource);
            json.Append(':');
            JsonText.AppendString(json, value);
        }

        foreach (var (resource, rate) in claims.PublishRateLimits)
        {
            json.Append(',');
            JsonText.AppendString(json, PublishRateLimitPrefix + resource);
            json.Append(':').Append(rate.ToString("R", CultureInfo.InvariantCulture));
        }
    }
}
