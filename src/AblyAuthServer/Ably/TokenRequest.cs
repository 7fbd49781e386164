namespace AblyAuthServer.Ably;

/// <summary>
/// A signed Ably TokenRequest in its wire shape: <c>ttl</c> and <c>timestamp</c> are milliseconds (JSON numbers),
/// <c>capability</c> is the canonical JSON string.
/// </summary>
/// <param name="KeyName">The key name, appId.keyId.</param>
/// <param name="ClientId">The clientId the Ably Token will carry.</param>
/// <param name="Capability">The granted capability, as canonical JSON text.</param>
/// <param name="Ttl">Token lifetime in milliseconds.</param>
/// <param name="Timestamp">Milliseconds since the epoch; Ably accepts it for a few minutes.</param>
/// <param name="Nonce">A single-use random string of 32 hex characters.</param>
/// <param name="Mac">Base64 HMAC-SHA256 over the fields, keyed with the key secret.</param>
public sealed record TokenRequest(
    string KeyName,
    string ClientId,
    string Capability,
    long Ttl,
    long Timestamp,
    string Nonce,
    string Mac);
