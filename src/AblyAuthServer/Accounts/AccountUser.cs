using Microsoft.AspNetCore.Identity;

namespace AblyAuthServer.Accounts;

/// <summary>A login account: Identity's user (hash, lockout, security stamp) plus the Ably identity it maps to.</summary>
public sealed class AccountUser : IdentityUser
{
    /// <summary>The Ably clientId tokens carry; null means the user name.</summary>
    public string? ClientId { get; set; }

    /// <summary>The name channel claims show as <c>{displayName}</c>; null when the profile has none.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Disabled accounts cannot log in, and their sessions get 403 from the token endpoints.</summary>
    public bool IsDisabled { get; set; }

    /// <summary>The clientId tokens for this account carry.</summary>
    public string EffectiveClientId => ClientId ?? UserName!;
}
