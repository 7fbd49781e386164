namespace AblyAuthServer.Policies;

/// <summary>
/// <c>Policies:Roles:&lt;role&gt;:ChannelClaims:&lt;i&gt;</c>: a trusted claim Ably attaches to this role's messages on
/// matching channels (<c>message.extras.userClaim</c>), so other clients can trust who sent what.
/// </summary>
public sealed class ChannelClaimOptions
{
    /// <summary>A channel, <c>ns:*</c> or <c>*</c>; may contain <c>{clientId}</c>.</summary>
    public string? Channel { get; init; }

    /// <summary>
    /// A string template, usually a JSON object: <c>{"name":"{displayName}","by":"{clientId}"}</c>. The placeholders
    /// <c>{clientId}</c>, <c>{userName}</c>, <c>{displayName}</c> and <c>{roles}</c> are replaced by their values
    /// escaped for a JSON string, so no value can add structure.
    /// </summary>
    public string? Value { get; init; }
}
