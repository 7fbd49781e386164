using AblyAuthServer.Accounts;

namespace AblyAuthServer.Sessions;

/// <summary>Sessions ended by logout before their own expiry.</summary>
public interface IRevokedSessions
{
    bool IsRevoked(string sessionId);

    /// <summary>False while this replica may be missing logouts made elsewhere (a shared list it cannot hear).</summary>
    bool IsUpToDate { get; }

    /// <summary>
    /// Ends the session; <paramref name="tellAbly"/>, when given, is the outbox row that revokes its tokens, stored in the
    /// same transaction as the durable logout.
    /// </summary>
    Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, RevocationEntry? tellAbly, CancellationToken cancellationToken);
}
