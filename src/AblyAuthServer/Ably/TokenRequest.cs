namespace AblyAuthServer.Ably;

/// <summary>
/// A signed Ably TokenRequest in its wire shape: <c>ttl</c> and <c>timestamp</c> are milliseconds (JSON numbers),
/// <c>capability</c> is the canonical JSON string.
/// </summary>
public sealed record TokenRequest(
    string KeyName,
    string ClientId,
    string Capability,
    long Ttl,
    long Timestamp,
    string Nonce,
    string Mac);
