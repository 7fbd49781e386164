namespace AblyAuthServer.Policies;

/// <summary>The identity a session or credential proves.</summary>
/// <param name="UserId">Stable account id.</param>
/// <param name="UserName">The login name (for an identity provider's caller, the prefixed subject).</param>
/// <param name="ClientId">The user's own Ably clientId.</param>
/// <param name="Roles">The user's roles.</param>
/// <param name="DisplayName">The profile's display name, for channel claims; null when there is none.</param>
public sealed record AccountIdentity(string UserId, string UserName, string ClientId, IReadOnlyList<string> Roles, string? DisplayName = null);
