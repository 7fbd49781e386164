using System.Security.Claims;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;

namespace AblyAuthServer.Authentication;

/// <summary>
/// Who is calling, as proven by a session or by Basic credentials; set as a request feature by the authentication
/// handlers so endpoints do not re-parse claims.
/// </summary>
/// <param name="Account">The account's identity.</param>
/// <param name="Session">The session ticket, or null for Basic credentials.</param>
/// <param name="IsDisabled">The account was disabled after the session began.</param>
/// <param name="CredentialExpiresAt">When the credential itself stops being valid (a session's end), or null for one with no end of its own (Basic); no token outlives it.</param>
public sealed record AuthenticatedCaller(AccountIdentity Account, SessionTicket? Session, bool IsDisabled, DateTimeOffset? CredentialExpiresAt)
{
    public const string ClientIdClaim = "client_id";
    public const string DisabledClaim = "account_disabled";

    /// <summary>
    /// Binds the caller the endpoint's caller source authenticated; only endpoints that require a caller take it, so
    /// its absence is a bug, not a client error.
    /// </summary>
    public static ValueTask<AuthenticatedCaller> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Features.Get<AuthenticatedCaller>()
            ?? throw new InvalidOperationException("The endpoint takes an AuthenticatedCaller but does not require a caller."));

    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim>(4 + Account.Roles.Count)
        {
            new(ClaimTypes.NameIdentifier, Account.UserId),
            new(ClaimTypes.Name, Account.UserName),
            new(ClientIdClaim, Account.ClientId),
        };
        claims.AddRange(Account.Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        if (IsDisabled)
        {
            claims.Add(new Claim(DisabledClaim, "true"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
