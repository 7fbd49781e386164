using AblyAuthServer.Accounts;

namespace AblyAuthServer.Authentication;

/// <summary>The details of authentication and authorization refusals: one wording for each, whatever the path.</summary>
public static class AuthProblems
{
    public const string InvalidCredentials = "The user name or password is not valid.";
    public const string SessionRequired =
        "A valid session is required: log in at /auth/login, then send the session cookie or 'Authorization: Bearer <sessionToken>'.";
    public const string AccountDisabled = "This account is disabled.";
    public const string LockedOut =
        "Too many failed attempts: this account is temporarily locked. Try again after the time in Retry-After.";
    public const string PasswordChecksBusy =
        "The server is busy checking other passwords. Try again after the time in Retry-After.";
    public const string LogoutListUnavailable =
        "Sessions cannot be checked right now: this server cannot reach the shared logout list. Try again after the time in Retry-After, or use another credential.";
    public const string LogoutNotRecorded =
        "The session has ended on this server, but the logout could not be stored in the account store, so it would not survive a restart. Try again after the time in Retry-After.";
    public const string LogoutNotShared =
        "The session has ended on this server, but the logout could not yet be shared with the other servers. It will be shared when the store is back; try again after the time in Retry-After.";

    /// <summary>The 429 detail for a credential check that was refused before or instead of checking.</summary>
    public static string TooManyDetail(CredentialOutcome outcome) =>
        outcome == CredentialOutcome.Busy ? PasswordChecksBusy : LockedOut;
}
