namespace AblyAuthServer.Tokens;

/// <summary>Why no Ably Token could be obtained, as the problem the endpoint answers with.</summary>
/// <param name="Status">502 (Ably refused, failed or answered unusably), 503 (the circuit is open) or 504 (no answer in time).</param>
/// <param name="AblyCode">Ably's own error code for <c>X-Ably-ErrorCode</c>, when Ably gave one; otherwise the status's.</param>
/// <param name="Detail">What happened, with Ably's code and message; never a secret, a token or a stack trace.</param>
/// <param name="RetryAfter">When to try again, for a 503.</param>
internal sealed record AblyTokenFailure(int Status, int? AblyCode, string Detail, TimeSpan? RetryAfter = null);
