using System.Globalization;
using AblyAuthServer.Ably;

namespace AblyAuthServer.Policies;

/// <summary>
/// Decides what a token carries: clientId, capability and TTL from policy, narrowed (never widened) by the request.
/// Pure: no I/O, so it runs on every token request without touching the account store.
/// </summary>
public sealed class GrantResolver(PolicySet policies, TimeSpan defaultTtl, TimeSpan maxTtl)
{
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Resolves the grant for <paramref name="account"/> asking for <paramref name="request"/>. The TTL is the smallest of
    /// the requested (or default) TTL, the maximum, and <paramref name="credentialLeft"/>, the time the caller's own
    /// credential has left (null when it has no end of its own): a token never outlives what minted it.
    /// </summary>
    public GrantResult Resolve(AccountIdentity account, TokenParameters request, TimeSpan? credentialLeft = null)
    {
        if (credentialLeft < MinimumTtl)
        {
            return GrantResult.CredentialExpiring("The credential ends in under a second: log in again, then ask for a new token.");
        }

        if (!TryResolveTtl(request.Ttl, out var ttl, out var ttlError))
        {
            return GrantResult.Invalid(ttlError);
        }

        if (credentialLeft < ttl)
        {
            // Whole milliseconds, rounded down, so the token never ends after the credential.
            ttl = TimeSpan.FromMilliseconds(Math.Floor(credentialLeft.Value.TotalMilliseconds));
        }

        // Accounts are checked when created; checked again here because a template must never be widened.
        if (!ClientIds.IsSafe(account.ClientId, out _))
        {
            return GrantResult.Forbidden("This account's clientId cannot be used in channel policies; an operator must change it.");
        }

        var clientId = account.ClientId;
        if (!string.IsNullOrEmpty(request.ClientId) && !string.Equals(request.ClientId, account.ClientId, StringComparison.Ordinal))
        {
            if (!policies.AllowsAnyClientId(account.Roles))
            {
                return GrantResult.Forbidden("The requested clientId is not allowed for this user; omit it or use your own.");
            }

            if (request.ClientId != ClientIds.Wildcard && !ClientIds.IsSafe(request.ClientId, out var clientIdError))
            {
                return GrantResult.Invalid($"The requested {clientIdError}.");
            }

            clientId = request.ClientId;
        }

        // Templates expand with the token's own clientId; a wildcard token gets the account's own channels.
        var channelClientId = clientId == ClientIds.Wildcard ? account.ClientId : clientId;
        var allowed = policies.AllowedCached(account.Roles, channelClientId);
        if (allowed.IsEmpty)
        {
            return GrantResult.Forbidden("No capability is configured for this user's roles.");
        }

        var granted = allowed;
        if (!string.IsNullOrEmpty(request.Capability))
        {
            if (!Capability.TryParse(request.Capability, out var requested, out var capabilityError))
            {
                return GrantResult.Invalid($"The requested capability is malformed: {capabilityError}.");
            }

            granted = allowed.Intersect(requested!);
            if (granted.IsEmpty)
            {
                return GrantResult.Forbidden("The requested capability shares nothing with what policy allows this user.");
            }
        }

        var claims = policies.HasClaims
            ? policies.ClaimsFor(account.Roles, channelClientId, new ClaimValues(clientId, account.UserName, account.DisplayName ?? string.Empty, account.Roles))
            : TokenClaims.None;
        return GrantResult.Granted(new TokenGrant(clientId, granted, ttl, claims.IsEmpty ? null : claims));
    }

    /// <summary>Absent → default; a whole number of milliseconds ≥ 1 s; above the maximum → the maximum.</summary>
    public bool TryResolveTtl(string? requested, out TimeSpan ttl, out string error)
    {
        ttl = defaultTtl;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(requested))
        {
            return true;
        }

        if (!long.TryParse(requested, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            // Digits beyond long's range are still a number: clamp them like any other oversized TTL.
            if (requested.All(char.IsAsciiDigit))
            {
                ttl = maxTtl;
                return true;
            }

            error = "ttl must be a whole number of milliseconds.";
            return false;
        }

        if (milliseconds < MinimumTtl.TotalMilliseconds)
        {
            error = $"ttl must be at least {MinimumTtl.TotalMilliseconds:0} milliseconds.";
            return false;
        }

        ttl = milliseconds >= maxTtl.TotalMilliseconds ? maxTtl : TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }
}
