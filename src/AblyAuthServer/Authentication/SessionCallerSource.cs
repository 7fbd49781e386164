namespace AblyAuthServer.Authentication;

/// <summary>
/// The session token, as <c>Authorization: Bearer</c> or the session cookie. Registered last: it also takes requests no
/// source claimed, so that a request without credentials is challenged for a session.
/// </summary>
internal sealed class SessionCallerSource : ICallerSource
{
    public string? SchemeFor(HttpRequest request) => CallerSchemes.Session;
}
