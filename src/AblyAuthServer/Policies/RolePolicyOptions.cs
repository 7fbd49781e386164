namespace AblyAuthServer.Policies;

public sealed class RolePolicyOptions
{
    /// <summary>Channel grants; <c>Channel</c> may contain <c>{clientId}</c>.</summary>
    public List<ChannelGrantOptions> Capabilities { get; init; } = [];

    /// <summary>Lets users with this role ask for any clientId, including the wildcard <c>*</c> (trusted backends only).</summary>
    public bool AllowAnyClientId { get; init; }
}
