namespace AblyAuthServer.Accounts;

/// <summary>An account as operators see it.</summary>
public sealed record AccountSummary(string UserName, string ClientId, IReadOnlyList<string> Roles, bool IsDisabled, bool IsLockedOut, string? DisplayName = null);
