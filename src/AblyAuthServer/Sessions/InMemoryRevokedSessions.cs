using System.Collections.Concurrent;
using AblyAuthServer.Accounts;

namespace AblyAuthServer.Sessions;

/// <summary>
/// The list token requests check, in memory; every logout is also written to the account store
/// (<see cref="EndedSessionStore"/>), and <see cref="LogoutListLoader"/> fills the list from there at startup.
/// Entries are kept only until the session would have expired anyway.
/// </summary>
internal sealed class InMemoryRevokedSessions(TimeProvider time, EndedSessionStore store) : IRevokedSessions
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private int _revocations;
    private volatile bool _loaded;

    public bool IsRevoked(string sessionId) => !_revoked.IsEmpty && _revoked.ContainsKey(sessionId);

    /// <summary>False until the durable list has been loaded: before that, a logged-out session could pass.</summary>
    public bool IsUpToDate => _loaded;

    public async Task RevokeAsync(string sessionId, DateTimeOffset expiresAt, RevocationEntry? tellAbly, CancellationToken cancellationToken)
    {
        Add(sessionId, expiresAt);
        if (expiresAt <= time.GetUtcNow())
        {
            return;
        }

        try
        {
            await store.RecordAsync(sessionId, expiresAt, tellAbly, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException or InvalidOperationException or TimeoutException)
        {
            throw new LogoutNotRecordedException(e);
        }
    }

    /// <summary>Adds the durable list's entries and lets sessions be vouched for from now on.</summary>
    public void Load(IEnumerable<(string SessionId, DateTimeOffset ExpiresAt)> ended)
    {
        foreach (var (id, expiresAt) in ended)
        {
            Add(id, expiresAt);
        }

        _loaded = true;
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
