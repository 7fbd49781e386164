namespace AblyAuthServer.Tokens;

/// <summary>Token parameters in a POST body (form-encoded, as ably-js sends them, or JSON). All optional; they only narrow.</summary>
/// <param name="ClientId">Asks for this clientId; must be the account's own unless a role allows any (then also '*').</param>
/// <param name="Capability">Asks for a narrower capability, as a JSON string (in a JSON body also as an object).</param>
/// <param name="Ttl">Asks for a lifetime in milliseconds (at least 1000); longer than Ably:MaxTtl is clamped.</param>
public sealed record TokenParametersBody(string? ClientId, string? Capability, long? Ttl);
