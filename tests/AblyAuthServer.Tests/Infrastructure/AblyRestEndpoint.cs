namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>The endpoints <see cref="AblyRestStandIn"/> serves, for aiming its failure, delay and hang controls.</summary>
public enum AblyRestEndpoint
{
    /// <summary><c>POST /keys/{keyName}/revokeTokens</c>.</summary>
    RevokeTokens,

    /// <summary><c>POST /keys/{keyName}/requestToken</c>.</summary>
    RequestToken,

    /// <summary><c>GET /time</c>.</summary>
    Time,
}
