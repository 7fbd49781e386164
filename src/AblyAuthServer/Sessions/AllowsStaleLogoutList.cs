namespace AblyAuthServer.Sessions;

/// <summary>Endpoint metadata: may run while the shared logout list is stale (logout itself must still work then).</summary>
public sealed class AllowsStaleLogoutList;
