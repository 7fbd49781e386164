using AblyAuthServer.Ably;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// Mints embedded tokens: an ES256 JWT signed with this server's own key (<c>kid</c> in the header) for the app's APIs,
/// carrying in its JOSE header, as <c>x-ably-token</c>, the Ably JWT for the same grant, which is what Ably verifies.
/// Claims: <c>iss</c>, <c>aud</c>, <c>sub</c>, <c>ably_client_id</c>, <c>roles</c>, <c>iat</c>, <c>exp</c>; <c>exp</c> is
/// never later than the Ably JWT's, which Ably refuses.
/// </summary>
/// <param name="ably">Mints the embedded Ably JWT.</param>
/// <param name="issuer">The <c>iss</c>: EmbeddedTokens:Issuer.</param>
/// <param name="audience">The <c>aud</c>: EmbeddedTokens:Audience.</param>
/// <param name="timeProvider">This server's clock.</param>
public sealed class EmbeddedTokenIssuer(AblyJwtIssuer ably, string issuer, string audience, TimeProvider timeProvider)
{
    /// <summary>The JOSE header parameter Ably reads the embedded token from.</summary>
    public const string AblyTokenHeader = "x-ably-token";

    public const string ClientIdClaim = "ably_client_id";
    public const string RolesClaim = "roles";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issuer => issuer;

    public string Audience => audience;

    /// <summary>
    /// The embedded token for <paramref name="grant"/>, issued now to <paramref name="subject"/> with <paramref name="roles"/>
    /// and signed with <paramref name="key"/> (which must carry credentials); the Ably JWT inside is signed with
    /// <paramref name="ablyKey"/>.
    /// </summary>
    public string Issue(string subject, IReadOnlyList<string> roles, TokenGrant grant, SigningKey key, AblyKey ablyKey)
    {
        var credentials = key.Credentials ?? throw new ArgumentException("The key has no private half to sign with.", nameof(key));
        var ablyJwt = ably.Issue(grant, ablyKey);
        // The Ably JWT may be minted on another clock (Ably's): its exp is read back rather than assumed.
        var ablyExpires = new JsonWebToken(ablyJwt).GetPayloadValue<long>(JwtRegisteredClaimNames.Exp);
        var now = timeProvider.GetUtcNow();
        var expires = Math.Min((now + grant.Ttl).ToUnixTimeSeconds(), ablyExpires);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = subject,
                [ClientIdClaim] = grant.ClientId,
                [RolesClaim] = roles.ToArray(),
                [JwtRegisteredClaimNames.Iat] = now.ToUnixTimeSeconds(),
                [JwtRegisteredClaimNames.Exp] = expires,
            },
            AdditionalHeaderClaims = new Dictionary<string, object> { [AblyTokenHeader] = ablyJwt },
            SigningCredentials = credentials,
        });
    }
}
