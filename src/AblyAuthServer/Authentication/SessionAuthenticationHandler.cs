using System.Text.Encodings.Web;
using AblyAuthServer.Hosting;
using AblyAuthServer.Redis;
using AblyAuthServer.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication;

/// <summary>
/// Authenticates a session token from <c>Authorization: Bearer</c> or the session cookie: decrypts the ticket,
/// checks expiry and logout, and checks the account through <see cref="AccountStatusCache"/>.
/// </summary>
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionTokens tokens,
    IRevokedSessions revoked,
    AccountStatusCache accounts,
    IOptions<SessionsOptions> sessions,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string StaleKey = "AblyAuthServer.LogoutListStale";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request, sessions.Value.CookieName);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (tokens.Read(token) is not { } ticket)
        {
            return AuthenticateResult.Fail("The session token is not valid.");
        }

        if (ticket.ExpiresAt <= time.GetUtcNow() || revoked.IsRevoked(ticket.SessionId))
        {
            return AuthenticateResult.Fail("The session has expired or ended.");
        }

        // Fail closed: a replica that cannot hear logouts made elsewhere must not vouch for any session.
        if (!revoked.IsUpToDate && Context.GetEndpoint()?.Metadata.GetMetadata<AllowsStaleLogoutList>() is null)
        {
            Context.Items[StaleKey] = true;
            return AuthenticateResult.Fail("The shared logout list is unavailable.");
        }

        var account = await accounts.GetAsync(ticket.Account.UserId, Context.RequestAborted);
        // A disabled account's sessions are still recognised, so they get 403 (SDKs stop) rather than 401 (SDKs retry);
        // disabling changed the stamp, so once the account is enabled again they get 401 (log in again).
        if (!account.Exists || (!account.IsDisabled && !string.Equals(account.SecurityStamp, ticket.SecurityStamp, StringComparison.Ordinal)))
        {
            return AuthenticateResult.Fail("The account has changed since the session began.");
        }

        // The display name is the account's current one (re-read with the account), not the one at login.
        var identity = account.DisplayName == ticket.Account.DisplayName ? ticket.Account : ticket.Account with { DisplayName = account.DisplayName };
        var caller = new AuthenticatedCaller(identity, ticket, account.IsDisabled ? AuthenticatedCaller.AccountDisabled : null, ticket.ExpiresAt);
        Context.Features.Set(caller);
        return AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(Scheme.Name), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(StaleKey))
        {
            Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(SharedRedis.OutageRetryAfter);
            return ProblemResponses.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, AuthProblems.LogoutListUnavailable);
        }

        Response.Headers.WWWAuthenticate = $"Bearer realm=\"{CallerSchemes.Realm}\"";
        return ProblemResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, AuthProblems.SessionRequired);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => CallerSchemes.ForbidAsync(Context);

    /// <summary>The bearer token if there is an Authorization header, else the cookie.</summary>
    public static string? ReadToken(HttpRequest request, string cookieName)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            return CallerSchemes.BearerToken(authorization);
        }

        return request.Cookies.TryGetValue(cookieName, out var cookie) && cookie.Length > 0 ? cookie : null;
    }
}
