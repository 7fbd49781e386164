using System.Text;
using System.Text.Encodings.Web;
using AblyAuthServer.Accounts;
using AblyAuthServer.Hosting;
using AblyAuthServer.Sessions;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication;

/// <summary>
/// <c>Authorization: Basic</c> with the account's user name and password, checked like a login (hash, lockout) on
/// every request; for clients that cannot keep a session. It runs only for endpoints that ask for a caller, and within
/// the credential-guessing limits of login: a wrong password counts against the address and the name, and while either
/// is over its limit the request is refused before any hash is computed.
/// </summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialVerifier credentials,
    CredentialGuessingLimits limits)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string RefusalKey = "AblyAuthServer.BasicRefusal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!TryReadCredentials(Request, out var userName, out var password))
        {
            return AuthenticateResult.Fail("The Basic credentials are malformed.");
        }

        if (userName.Length > LoginRequest.MaxUserNameLength || password.Length > LoginRequest.MaxPasswordLength)
        {
            Context.Items[RefusalKey] = new LimitRefusal(StatusCodes.Status400BadRequest, LoginRequest.TooLongDetail, TimeSpan.Zero);
            return AuthenticateResult.Fail("The Basic credentials are too long.");
        }

        if (await limits.CheckAsync(Context, userName) is { } limited)
        {
            Context.Items[RefusalKey] = limited;
            return AuthenticateResult.Fail("Over a credential-guessing limit.");
        }

        var result = await credentials.VerifyAsync(userName, password, Context.RequestAborted);
        switch (result.Outcome)
        {
            case CredentialOutcome.Succeeded:
                var caller = new AuthenticatedCaller(await credentials.IdentityOfAsync(result.User!), Session: null, Refusal: null, CredentialExpiresAt: null);
                Context.Features.Set(caller);
                return AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(Scheme.Name), Scheme.Name));
            case CredentialOutcome.LockedOut or CredentialOutcome.Busy:
                Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(result.RetryAfter);
                Context.Items[RefusalKey] = new LimitRefusal(StatusCodes.Status429TooManyRequests, AuthProblems.TooManyDetail(result.Outcome), result.RetryAfter);
                return AuthenticateResult.Fail("Locked out or busy.");
            default:
                await limits.RecordFailureAsync(Context, userName);
                return AuthenticateResult.Fail(AuthProblems.InvalidCredentials);
        }
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RefusalKey] is LimitRefusal refused)
        {
            return ProblemResponses.WriteAsync(Context, refused.Status, refused.Detail);
        }

        Response.Headers.WWWAuthenticate = $"Basic realm=\"{CallerSchemes.Realm}\", charset=\"UTF-8\"";
        return ProblemResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, AuthProblems.InvalidCredentials);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => CallerSchemes.ForbidAsync(Context);

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
