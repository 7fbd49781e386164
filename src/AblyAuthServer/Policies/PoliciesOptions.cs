namespace AblyAuthServer.Policies;

/// <summary>
/// <c>Policies:Roles:&lt;role&gt;</c>: what each role may be granted. Channels are array entries, not keys,
/// because configuration keys cannot contain the <c>:</c> that channel patterns use.
/// </summary>
public sealed class PoliciesOptions
{
    public const string SectionName = "Policies";

    public Dictionary<string, RolePolicyOptions> Roles { get; init; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class RolePolicyOptions
{
    /// <summary>Channel grants; <c>Channel</c> may contain <c>{clientId}</c>.</summary>
    public List<ChannelGrantOptions> Capabilities { get; init; } = [];

    /// <summary>Lets users with this role ask for any clientId, including the wildcard <c>*</c> (trusted backends only).</summary>
    public bool AllowAnyClientId { get; init; }
}

public sealed class ChannelGrantOptions
{
    public string? Channel { get; init; }

    public List<string> Operations { get; init; } = [];
}
