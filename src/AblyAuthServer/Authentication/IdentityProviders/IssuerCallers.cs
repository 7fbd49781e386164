using AblyAuthServer.Policies;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// Turns a provider's verified token into the caller tokens are issued for: the clientId from the configured claim
/// (prefixed), the roles from the roles claim plus the provider's own, and the token's expiry as the credential's end.
/// A token that cannot yield a usable caller (no clientId, one a channel template cannot carry, no known role) still
/// authenticates, with a refusal: asking the provider for a fresh token cannot help, so the answer is 403.
/// </summary>
internal static class IssuerCallers
{
    public static AuthenticatedCaller From(JsonWebToken token, IssuerOptions issuer, PolicySet policies)
    {
        using var claims = IssuerClaims.Of(token);
        var prefix = issuer.ClientIdPrefix ?? string.Empty;
        var subject = token.Subject;
        var rawClientId = claims.String(issuer.ClientIdClaim);
        var clientId = rawClientId is null ? string.Empty : prefix + rawClientId;
        // Names no policy defines would grant nothing; dropping them keeps them out of metrics and caches too.
        string[] roles = [.. claims.Strings(issuer.RolesClaim).Concat(issuer.Roles).Where(policies.IsKnownRole).Distinct(StringComparer.OrdinalIgnoreCase)];
        var identity = new AccountIdentity(
            UserId: issuer.ExpectedIssuer + " " + subject,
            UserName: prefix + (string.IsNullOrEmpty(subject) ? rawClientId : subject),
            ClientId: clientId,
            Roles: roles,
            DisplayName: claims.String("name"));

        string? refusal = null;
        if (rawClientId is null)
        {
            refusal = $"The identity provider's token has no '{issuer.ClientIdClaim}' claim to use as the Ably clientId.";
        }
        else if (!ClientIds.IsSafe(clientId, out var clientIdError))
        {
            refusal = $"The identity provider's token gives a clientId that channel policies cannot carry: {clientIdError}.";
        }
        else if (roles.Length == 0)
        {
            refusal = "The identity provider's token carries no role that a policy here defines.";
        }

        return new AuthenticatedCaller(identity, Session: null, refusal, new DateTimeOffset(token.ValidTo, TimeSpan.Zero), token.Issuer);
    }
}
