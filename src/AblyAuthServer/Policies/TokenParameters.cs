using AblyAuthServer.Ably;

namespace AblyAuthServer.Policies;

/// <summary>The token parameters an SDK sends to an <c>authUrl</c>: untrusted, used only to narrow policy.</summary>
/// <param name="ClientId">Requested clientId, or null.</param>
/// <param name="Capability">Requested capability as a JSON string, or null.</param>
/// <param name="Ttl">Requested TTL in milliseconds as sent (a string), or null.</param>
public sealed record TokenParameters(string? ClientId, string? Capability, string? Ttl)
{
    public static TokenParameters None { get; } = new(null, null, null);
}
