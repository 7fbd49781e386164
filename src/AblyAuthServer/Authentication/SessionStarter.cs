using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication;

/// <summary>
/// Starts a session for an identity that a login path has verified: the ticket, the token, the HttpOnly cookie and the
/// response body. The one place a session begins, whichever way the caller proved who they are.
/// </summary>
public sealed class SessionStarter(SessionTokens tokens, IOptions<SessionsOptions> options, TimeProvider time)
{
    public LoginResponse Start(HttpContext context, AccountIdentity account, string securityStamp)
    {
        var now = time.GetUtcNow();
        var ticket = new SessionTicket(SessionTokens.NewSessionId(), account, securityStamp, now, now + options.Value.Lifetime);
        var token = tokens.Protect(ticket);
        context.Response.Cookies.Append(options.Value.CookieName, token, CookieOptions(context, ticket.ExpiresAt));
        return new LoginResponse(token, ticket.ExpiresAt, account.ClientId);
    }

    /// <summary>Clears the session cookie (the session itself is ended by the logout list).</summary>
    public void ClearCookie(HttpContext context) =>
        context.Response.Cookies.Delete(options.Value.CookieName, CookieOptions(context, expires: null));

    private CookieOptions CookieOptions(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = options.Value.CookieSecurePolicy switch
        {
            CookieSecurePolicy.Always => true,
            CookieSecurePolicy.SameAsRequest => context.Request.IsHttps,
            _ => false,
        },
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
