using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace AblyAuthServer.Authentication;

/// <summary>
/// The framework's <see cref="PolicyEvaluator"/>, except that the <see cref="CallerSchemes.Caller"/> policy is
/// authenticated with the scheme its caller sources select, directly. Authenticating the <c>Caller</c> policy scheme
/// would select the same scheme, but from inside a second pass of the authentication service (its own handler, options
/// and metrics) on every token request. Challenges and forbids, which the authorization middleware sends to the
/// policy's scheme, still go through the policy scheme and reach the same selected handler.
/// </summary>
internal sealed class CallerPolicyEvaluator(IAuthorizationService authorization, CallerSchemeSelector selector) : PolicyEvaluator(authorization)
{
    public override async Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context)
    {
        if (policy.AuthenticationSchemes is not [CallerSchemes.Caller])
        {
            return await base.AuthenticateAsync(policy, context);
        }

        // As the framework does for a policy of one scheme: the caller's principal becomes the request's user, and a
        // request without a valid credential is anonymous.
        var result = await context.AuthenticateAsync(selector.Select(context.Request));
        if (result.Succeeded)
        {
            context.User = result.Principal;
            return AuthenticateResult.Success(new AuthenticationTicket(result.Principal, result.Properties, CallerSchemes.Caller));
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity());
        return AuthenticateResult.NoResult();
    }
}
