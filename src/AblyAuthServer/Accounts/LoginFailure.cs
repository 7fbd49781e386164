namespace AblyAuthServer.Accounts;

/// <summary>
/// Failed password checks for one user name, whether or not an account has that name, so that lockout looks the same
/// for both and is shared by every replica of the account store. Times are Unix milliseconds.
/// </summary>
public sealed class LoginFailure
{
    public const int MaxNameLength = 256;

    /// <summary>The name as Identity normalizes it (upper invariant), so 'Alice' and 'alice' share one count.</summary>
    public string NormalizedUserName { get; set; } = string.Empty;

    /// <summary>Failures since the last lockout, success or quiet period.</summary>
    public int Failures { get; set; }

    public long LastFailureAt { get; set; }

    public long? LockedUntil { get; set; }
}
