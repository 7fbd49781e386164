namespace AblyAuthServer.Revocation;

/// <summary>What this replica's outbox worker last saw, for the readiness check (the worker updates it on every poll).</summary>
public sealed class RevocationStatus
{
    private volatile RevocationBacklog _backlog = RevocationBacklog.Empty;
    private long _oldestPendingAgeTicks;

    public RevocationBacklog Backlog
    {
        get => _backlog;
        set => _backlog = value;
    }

    /// <summary>How long the oldest pending revocation had waited at the last poll.</summary>
    public TimeSpan OldestPendingAge
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _oldestPendingAgeTicks));
        set => Interlocked.Exchange(ref _oldestPendingAgeTicks, value.Ticks);
    }
}
