namespace AblyAuthServer.Ably;

/// <summary>What one token carries: decided by policy before minting, never by the request alone.</summary>
/// <param name="ClientId">The trusted clientId, or <c>*</c> for the wildcard.</param>
/// <param name="Capability">The granted capability; never empty.</param>
/// <param name="Ttl">How long the token lives.</param>
/// <param name="Claims">Policy's JWT-only claims (channel claims, publish limits, client type); none when null.</param>
/// <param name="RevocationKey">The JWT's <c>x-ably-revocation-key</c>, or null for none (JWTs only; Ably has no such field in TokenRequests).</param>
public sealed record TokenGrant(string ClientId, Capability Capability, TimeSpan Ttl, TokenClaims? Claims = null, string? RevocationKey = null)
{
    /// <summary><see cref="Claims"/>, or none.</summary>
    public TokenClaims ClaimsOrNone => Claims ?? TokenClaims.None;
}
