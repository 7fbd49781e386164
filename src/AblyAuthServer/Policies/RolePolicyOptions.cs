namespace AblyAuthServer.Policies;

public sealed class RolePolicyOptions
{
    /// <summary>The client type that <see cref="ClientType"/> accepts.</summary>
    public const string ServerClientType = "server";

    /// <summary>Channel grants; <c>Channel</c> may contain <c>{clientId}</c>.</summary>
    public List<ChannelGrantOptions> Capabilities { get; init; } = [];

    /// <summary>Lets users with this role ask for any clientId, including the wildcard <c>*</c> (trusted backends only).</summary>
    public bool AllowAnyClientId { get; init; }

    /// <summary>Channel-scoped user claims the role's JWTs carry.</summary>
    public List<ChannelClaimOptions> ChannelClaims { get; init; } = [];

    /// <summary>Per-connection publish rate limits the role's JWTs carry.</summary>
    public List<PublishRateLimitOptions> PublishRateLimits { get; init; } = [];

    /// <summary><c>server</c>: the role's JWTs declare the holder a server (service accounts that must).</summary>
    public string? ClientType { get; init; }
}
