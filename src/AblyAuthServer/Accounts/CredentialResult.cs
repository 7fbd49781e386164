namespace AblyAuthServer.Accounts;

/// <summary>The outcome of a password check; <see cref="RetryAfter"/> is set when locked out or busy.</summary>
public readonly record struct CredentialResult(CredentialOutcome Outcome, AccountUser? User, TimeSpan RetryAfter);
