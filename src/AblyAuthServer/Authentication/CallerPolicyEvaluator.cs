using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace AblyAuthServer.Authentication;

/// <summary>
/// Authenticates the <see cref="CallerSchemes.Caller"/> policy with the scheme its caller sources select, directly.
/// The <c>Caller</c> policy scheme would select the same scheme, but from inside a second pass of the authentication
/// service (its own handler, options and metrics) on every token request. Every other policy, and every challenge and
/// forbid (which still go through the policy scheme), is the framework's <see cref="PolicyEvaluator"/>'s.
/// </summary>
internal sealed class CallerPolicyEvaluator(IAuthorizationService authorization, CallerSchemeSelector selector) : IPolicyEvaluator
{
    private readonly PolicyEvaluator _framework = new(authorization);

    public async Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context)
    {
        if (policy.AuthenticationSchemes is not [CallerSchemes.Caller])
        {
            return await _framework.AuthenticateAsync(policy, context);
        }

        // As PolicyEvaluator does for a policy of one scheme: the caller's principal becomes the request's user, and
        // a request without a valid credential is anonymous.
        var result = await context.AuthenticateAsync(selector.Select(context.Request));
        if (result.Succeeded)
        {
            context.User = result.Principal;
            return AuthenticateResult.Success(new AuthenticationTicket(result.Principal, result.Properties, CallerSchemes.Caller));
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity());
        return AuthenticateResult.NoResult();
    }

    public Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource) =>
        _framework.AuthorizeAsync(policy, authenticationResult, context, resource);
}
