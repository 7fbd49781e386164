using AblyAuthServer.Policies;

namespace AblyAuthServer.Sessions;

/// <summary>What a session token proves, so the token path needs no database read.</summary>
public sealed record SessionTicket(
    string SessionId,
    AccountIdentity Account,
    string SecurityStamp,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt);
