using System.Text;
using System.Text.Encodings.Web;
using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Sessions;

/// <summary>
/// <c>Authorization: Basic</c> with the account's user name and password, checked like a login (hash, lockout)
/// on every request; for clients that cannot keep a session.
/// </summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialVerifier credentials)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string LockoutKey = "AblyAuthServer.BasicLockout";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!TryReadCredentials(Request, out var userName, out var password))
        {
            return AuthenticateResult.Fail("The Basic credentials are malformed.");
        }

        var result = await credentials.VerifyAsync(userName, password, Context.RequestAborted);
        switch (result.Outcome)
        {
            case CredentialOutcome.Succeeded:
                var caller = new AuthenticatedCaller(await credentials.IdentityOfAsync(result.User!), null, IsDisabled: false);
                Context.Features.Set(caller);
                return AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(Scheme.Name), Scheme.Name));
            case CredentialOutcome.LockedOut or CredentialOutcome.Busy:
                Context.Items[LockoutKey] = result;
                return AuthenticateResult.Fail("Locked out or busy.");
            default:
                return AuthenticateResult.Fail(AuthProblems.InvalidCredentials);
        }
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[LockoutKey] is CredentialResult refused)
        {
            return AuthSchemes.TooManyAsync(Context, refused);
        }

        Response.Headers.WWWAuthenticate = $"Basic realm=\"{AuthSchemes.Realm}\", charset=\"UTF-8\"";
        return AuthProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, AuthProblems.InvalidCredentials);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthSchemes.ForbidAsync(Context);

    private static bool TryReadCredentials(HttpRequest request, out string userName, out string password)
    {
        userName = password = string.Empty;
        var header = request.Headers.Authorization.ToString();
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            userName = decoded[..colon];
            password = decoded[(colon + 1)..];
            return password.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>Scheme names, the scheme that picks between them, and the shared failure responses.</summary>
public static class AuthSchemes
{
    /// <summary>Picks Basic for <c>Authorization: Basic</c> (when allowed), the session scheme otherwise.</summary>
    public const string Caller = "Caller";
    public const string Session = "Session";
    public const string Basic = "Basic";
    public const string Realm = "AblyAuthServer";

    internal static Task ForbidAsync(HttpContext context)
    {
        var disabled = context.Features.Get<AuthenticatedCaller>()?.IsDisabled == true;
        return AuthProblems.WriteAsync(context, StatusCodes.Status403Forbidden,
            disabled ? AuthProblems.AccountDisabled : "This account may not perform this action.");
    }

    internal static Task TooManyAsync(HttpContext context, CredentialResult refused)
    {
        context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(refused.RetryAfter);
        return AuthProblems.WriteAsync(context, StatusCodes.Status429TooManyRequests, AuthProblems.TooManyDetail(refused.Outcome));
    }
}
