namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// An accepted <c>revokeTokens</c> call. <paramref name="IssuedBeforeSent"/> is what the caller sent (null when it left
/// it out); <paramref name="IssuedBefore"/> is what the stand-in applied. <paramref name="Headers"/> holds every request
/// header except <c>Authorization</c>, which carries the key secret.
/// </summary>
public sealed record AblyRestRevokeCall(
    string KeyName,
    IReadOnlyList<string> Targets,
    long? IssuedBeforeSent,
    long IssuedBefore,
    bool AllowReauthMargin,
    string? AblyVersion,
    string AblyAgent,
    IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset ReceivedAt,
    string ResponseBody);
