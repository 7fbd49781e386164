namespace AblyAuthServer.Accounts;

public enum CredentialOutcome
{
    Succeeded,
    Invalid,
    LockedOut,

    /// <summary>Too many password checks are already running or waiting; nothing was checked.</summary>
    Busy,
}
