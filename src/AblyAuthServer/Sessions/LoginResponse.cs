namespace AblyAuthServer.Sessions;

/// <summary>The login response: the session token (also set as an HttpOnly cookie), its expiry and the clientId.</summary>
/// <param name="SessionToken">Send as 'Authorization: Bearer &lt;sessionToken&gt;' (or rely on the cookie) to the token endpoints.</param>
/// <param name="ExpiresAt">When the session ends (absolute, not sliding).</param>
/// <param name="ClientId">The Ably clientId tokens for this session carry.</param>
public sealed record LoginResponse(string SessionToken, DateTimeOffset ExpiresAt, string ClientId)
{
    /// <summary>An example for the OpenAPI document.</summary>
    public static System.Text.Json.Nodes.JsonObject Example => new()
    {
        ["sessionToken"] = "CfDJ8Azyk32fxUBErLXUONgBTAk…",
        ["expiresAt"] = "2026-11-23T20:00:00+00:00",
        ["clientId"] = "alice",
    };
}
