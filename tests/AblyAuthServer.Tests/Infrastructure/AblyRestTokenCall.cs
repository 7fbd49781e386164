namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// An accepted <c>requestToken</c> call: the TokenRequest fields as sent (null where absent), the TokenDetails issued
/// for it, and the request headers.
/// </summary>
public sealed record AblyRestTokenCall(
    string KeyName,
    string? ClientId,
    string? Capability,
    long? Ttl,
    long Timestamp,
    string Nonce,
    string Mac,
    AblyRestTokenDetails Details,
    IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset ReceivedAt);
