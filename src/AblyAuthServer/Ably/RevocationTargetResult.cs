namespace AblyAuthServer.Ably;

/// <summary>One target's outcome in a <c>revokeTokens</c> batch: when it applies, or why it failed.</summary>
/// <param name="Target">The target as sent, such as <c>revocationKey:…</c>.</param>
/// <param name="AppliesAt">When Ably enforces it (ms since the epoch), for a success.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record RevocationTargetResult(string Target, long? AppliesAt, AblyErrorInfo? Error);
