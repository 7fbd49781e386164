namespace AblyAuthServer.Sessions;

/// <summary>Sessions ended by logout before their own expiry.</summary>
public interface IRevokedSessions
{
    bool IsRevoked(string sessionId);

    /// <summary>False while this replica may be missing logouts made elsewhere (a shared list it cannot hear).</summary>
    bool IsUpToDate { get; }

    Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}
