namespace AblyAuthServer.Policies;

/// <summary><c>Policies:Roles:&lt;role&gt;:PublishRateLimits:&lt;i&gt;</c>: a per-connection publish limit Ably enforces.</summary>
public sealed class PublishRateLimitOptions
{
    /// <summary>A channel, <c>ns:*</c> or <c>*</c>; may contain <c>{clientId}</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>Messages per second per attachment; fractions allowed (0.1 is one every ten seconds).</summary>
    public double? MaxRate { get; init; }
}
