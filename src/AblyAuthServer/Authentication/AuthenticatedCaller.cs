using System.Security.Claims;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;

namespace AblyAuthServer.Authentication;

/// <summary>
/// Who is calling, as a caller source proved it: an account (by session or Basic) or an identity provider's subject.
/// Set as a request feature by the scheme that authenticated the request, so endpoints do not re-parse claims.
/// </summary>
/// <param name="Account">The identity tokens are issued for: clientId, roles, and the name the audit shows.</param>
/// <param name="Session">The session ticket, or null for other credentials.</param>
/// <param name="Refusal">Why this caller, though authenticated, gets no token (403, so SDKs stop), or null.</param>
/// <param name="CredentialExpiresAt">When the credential itself stops being valid (a session's end, a provider token's exp), or null for one with no end of its own (Basic); no token outlives it.</param>
/// <param name="Issuer">The identity provider that vouched for the caller, or null for an account of this server.</param>
public sealed record AuthenticatedCaller(
    AccountIdentity Account, SessionTicket? Session, string? Refusal, DateTimeOffset? CredentialExpiresAt, string? Issuer = null)
{
    public const string ClientIdClaim = "client_id";
    public const string RefusedClaim = "caller_refused";

    /// <summary>The refusal for an account disabled after its session began.</summary>
    public const string AccountDisabled = AuthProblems.AccountDisabled;

    /// <summary>
    /// Binds the caller the endpoint's caller source authenticated; only endpoints that require a caller take it, so
    /// its absence is a bug, not a client error.
    /// </summary>
    public static ValueTask<AuthenticatedCaller> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Features.Get<AuthenticatedCaller>()
            ?? throw new InvalidOperationException("The endpoint takes an AuthenticatedCaller but does not require a caller."));

    public ClaimsPrincipal ToPrincipal(string scheme) => new(ToIdentity(scheme));

    /// <summary>The claims authorization and the rate limiter read: the stable id, the name, the clientId, roles, a refusal.</summary>
    public ClaimsIdentity ToIdentity(string scheme)
    {
        var claims = new List<Claim>(4 + Account.Roles.Count)
        {
            new(ClaimTypes.NameIdentifier, Account.UserId),
            new(ClaimTypes.Name, Account.UserName),
            new(ClientIdClaim, Account.ClientId),
        };
        claims.AddRange(Account.Roles.Select(role => new Claim(ClaimTypes.Role, role)));
        if (Refusal is not null)
        {
            claims.Add(new Claim(RefusedClaim, "true"));
        }

        return new ClaimsIdentity(claims, scheme);
    }
}
