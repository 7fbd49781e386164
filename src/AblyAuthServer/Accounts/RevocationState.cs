namespace AblyAuthServer.Accounts;

/// <summary>Where a revocation stands; stored by name, so operators can read the table.</summary>
public enum RevocationState
{
    /// <summary>Not yet accepted by Ably; delivered (again) when due.</summary>
    Pending,

    /// <summary>Ably accepted it.</summary>
    Delivered,

    /// <summary>Every token it was meant to revoke has expired by now: nothing left to send.</summary>
    Expired,

    /// <summary>Ably refused it in a way retrying cannot fix (see <see cref="RevocationEntry.LastError"/>); kept for the operator.</summary>
    Failed,
}
