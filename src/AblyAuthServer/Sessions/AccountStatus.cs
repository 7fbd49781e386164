namespace AblyAuthServer.Sessions;

/// <summary>An account's state as sessions need it.</summary>
public readonly record struct AccountStatus(bool Exists, string? SecurityStamp, bool IsDisabled, string? DisplayName = null);
