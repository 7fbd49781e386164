namespace AblyAuthServer.Ably;

/// <summary>
/// Ably's clock as this server knows it: the local clock plus the last measured offset (zero until one is measured).
/// Tokens are minted on it (JWT <c>iat</c>/<c>exp</c>, TokenRequest <c>timestamp</c>), because Ably judges them on its
/// own clock; credential lifetimes stay on the local clock. Reading it never waits: the offset is a field.
/// </summary>
public sealed class AblyClock(TimeProvider local) : TimeProvider
{
    private long _offsetTicks;
    private long _measuredAtTicks;

    /// <summary>Ably's clock minus the local clock, as last measured.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>When (local clock) the offset was last measured, or null if never.</summary>
    public DateTimeOffset? MeasuredAt => Interlocked.Read(ref _measuredAtTicks) is var ticks and > 0
        ? new DateTimeOffset(ticks, TimeSpan.Zero)
        : null;

    /// <summary>The local clock this one follows.</summary>
    public TimeProvider Local => local;

    public override DateTimeOffset GetUtcNow() => local.GetUtcNow() + Offset;

    public override long GetTimestamp() => local.GetTimestamp();

    public override long TimestampFrequency => local.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => local.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        local.CreateTimer(callback, state, dueTime, period);

    /// <summary>Records a measurement: from now on tokens are minted at local time + <paramref name="offset"/>.</summary>
    public void SetOffset(TimeSpan offset)
    {
        Interlocked.Exchange(ref _offsetTicks, offset.Ticks);
        Interlocked.Exchange(ref _measuredAtTicks, local.GetUtcNow().UtcTicks);
    }

    /// <summary>
    /// The offset from one <c>/time</c> round trip: Ably's reading against the midpoint of the local send and receive
    /// times, which is off by at most half the round trip.
    /// </summary>
    public static TimeSpan OffsetFrom(DateTimeOffset sentAt, DateTimeOffset ablyTime, DateTimeOffset receivedAt) =>
        ablyTime - (sentAt + ((receivedAt - sentAt) / 2));
}
