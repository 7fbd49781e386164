namespace AblyAuthServer.Sessions;

/// <summary>The logout could not be written to the account store: it holds on this process only, until a restart.</summary>
public sealed class LogoutNotRecordedException(Exception inner)
    : Exception("The logout was not recorded in the account store.", inner);
