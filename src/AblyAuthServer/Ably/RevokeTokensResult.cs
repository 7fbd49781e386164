namespace AblyAuthServer.Ably;

/// <summary>Ably's answer to <c>revokeTokens</c> (the batch envelope of <c>X-Ably-Version</c> 3 and later).</summary>
public sealed record RevokeTokensResult(int SuccessCount, int FailureCount, IReadOnlyList<RevocationTargetResult> Results)
{
    /// <summary>The targets that failed, with their errors.</summary>
    public IEnumerable<RevocationTargetResult> Failures => Results.Where(r => r.Error is not null);
}
