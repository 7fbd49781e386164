namespace AblyAuthServer.Accounts;

/// <summary>
/// One revocation Ably has to hear about: the outbox row, written in the same transaction as the change that causes it
/// (a logout, a password change, disabling, removal, <c>users revoke-tokens</c>), and delivered by the server's
/// outbox worker at least once. Times are Unix milliseconds.
/// </summary>
public sealed class RevocationEntry
{
    public const int MaxReasonLength = 32;
    public const int MaxUserLength = 256;
    public const int MaxOwnerLength = 64;
    public const int MaxErrorLength = 600;

    public long Id { get; set; }

    /// <summary><c>logout</c>, <c>set-password</c>, <c>disable</c>, <c>remove</c> or <c>revoke-tokens</c>.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>The account's id: every replica drops its cached status of this account when it sees the row.</summary>
    public string UserId { get; set; } = string.Empty;

    /// <summary>The account's name, for logs.</summary>
    public string UserName { get; set; } = string.Empty;

    /// <summary>
    /// The <c>revokeTokens</c> targets of each Ably key, a JSON object: key name → array of <c>type:value</c> strings.
    /// </summary>
    public string Targets { get; set; } = "{}";

    /// <summary>When the cause happened, on the server's clock: tokens issued before it are revoked.</summary>
    public long CausedAt { get; set; }

    public RevocationState State { get; set; } = RevocationState.Pending;

    /// <summary>Delivery attempts so far.</summary>
    public int Attempts { get; set; }

    /// <summary>Not claimed before this time (wall clock): the backoff after a failed attempt.</summary>
    public long NextAttemptAt { get; set; }

    /// <summary>The worker that claimed the row, while <see cref="LeaseUntil"/> has not passed.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Until when (wall clock) the claim holds; no other worker sends the row before then.</summary>
    public long? LeaseUntil { get; set; }

    /// <summary>When it was delivered, expired or failed (wall clock).</summary>
    public long? CompletedAt { get; set; }

    /// <summary>Ably's last refusal (code, status, message) or the last transport failure.</summary>
    public string? LastError { get; set; }
}
