namespace AblyAuthServer.Policies;

/// <summary>The identity a session or credential proves.</summary>
/// <param name="UserId">Stable account id.</param>
/// <param name="UserName">The login name.</param>
/// <param name="ClientId">The user's own Ably clientId.</param>
/// <param name="Roles">The user's roles.</param>
public sealed record AccountIdentity(string UserId, string UserName, string ClientId, IReadOnlyList<string> Roles);
