namespace AblyAuthServer.Authentication;

/// <summary>
/// One way a caller proves who they are (a session token, Basic credentials, an identity provider's JWT). It claims
/// the requests that carry its kind of credential and names the authentication scheme that checks them; that scheme,
/// whether a handler of this app or the framework's, turns the request into an <see cref="AuthenticatedCaller"/>.
/// Sources are asked in registration order; the first that claims a request decides.
/// </summary>
public interface ICallerSource
{
    /// <summary>The scheme that authenticates <paramref name="request"/>, or null when it carries no credential of this kind.</summary>
    string? SchemeFor(HttpRequest request);
}
