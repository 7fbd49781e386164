namespace AblyAuthServer.Ably;

/// <summary>
/// The JWT-only claims a grant carries beside its capability, all decided by policy: channel-scoped user claims
/// (<c>ably.channel.&lt;resource&gt;</c>, copied by Ably into <c>message.extras.userClaim</c>), per-connection publish
/// rate limits (<c>ably.limits.publish.perAttachment.maxRate.&lt;resource&gt;</c>) and the server client type.
/// TokenRequests and Ably Tokens cannot carry them.
/// </summary>
/// <param name="ChannelClaims">Resource → the claim's string value, one per resource.</param>
/// <param name="PublishRateLimits">Resource → messages per second per attachment, one per resource.</param>
/// <param name="IsServer">Declares the holder a server (<c>x-ably-clientType: server</c>).</param>
public sealed record TokenClaims(
    IReadOnlyList<KeyValuePair<string, string>> ChannelClaims,
    IReadOnlyList<KeyValuePair<string, double>> PublishRateLimits,
    bool IsServer)
{
    public static TokenClaims None { get; } = new([], [], IsServer: false);

    public bool IsEmpty => ChannelClaims.Count == 0 && PublishRateLimits.Count == 0 && !IsServer;
}
