namespace AblyAuthServer.Sessions;

/// <summary>Logout could not be recorded in the shared store: other replicas may still accept the session.</summary>
public sealed class RevocationNotSharedException(Exception inner)
    : Exception("The logout was not recorded in Redis.", inner);
