using System.Collections.Concurrent;

namespace AblyAuthServer.Sessions;

/// <summary>Sessions ended by logout before their own expiry.</summary>
public interface IRevokedSessions
{
    bool IsRevoked(string sessionId);

    /// <summary>False while this replica may be missing logouts made elsewhere (a shared list it cannot hear).</summary>
    bool IsUpToDate { get; }

    Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}

/// <summary>The single-process list: entries are kept only until the session would have expired anyway.</summary>
internal sealed class InMemoryRevokedSessions(TimeProvider time) : IRevokedSessions
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private int _revocations;

    public bool IsRevoked(string sessionId) => !_revoked.IsEmpty && _revoked.ContainsKey(sessionId);

    public bool IsUpToDate => true;

    public Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        Add(sessionId, expiresAt);
        return Task.CompletedTask;
    }

    /// <summary>Records a logout; every 256th also drops the entries whose sessions have expired since.</summary>
    public void Add(string sessionId, DateTimeOffset expiresAt)
    {
        _revoked[sessionId] = expiresAt;
        if (Interlocked.Increment(ref _revocations) % 256 == 0)
        {
            var now = time.GetUtcNow();
            foreach (var (id, expiry) in _revoked)
            {
                if (expiry < now)
                {
                    _revoked.TryRemove(id, out _);
                }
            }
        }
    }
}
