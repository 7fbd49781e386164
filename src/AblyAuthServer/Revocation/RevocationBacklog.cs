namespace AblyAuthServer.Revocation;

/// <summary>The pending part of the outbox, as the worker last read it.</summary>
/// <param name="Pending">Rows not yet delivered, expired or failed.</param>
/// <param name="OldestCausedAt">The oldest pending row's cause (Unix ms, app clock), or null when none is pending.</param>
/// <param name="AnyDue">True when a pending row is due and unclaimed.</param>
public sealed record RevocationBacklog(int Pending, long? OldestCausedAt, bool AnyDue)
{
    public static RevocationBacklog Empty { get; } = new(0, null, false);

    /// <summary>How long the oldest pending revocation has waited, at <paramref name="now"/>.</summary>
    public TimeSpan OldestAge(DateTimeOffset now) =>
        OldestCausedAt is { } oldest ? TimeSpan.FromMilliseconds(Math.Max(0, now.ToUnixTimeMilliseconds() - oldest)) : TimeSpan.Zero;
}
