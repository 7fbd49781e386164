using System.Globalization;
using AblyAuthServer.Ably;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>
/// <c>/ably/token-details</c> (mapped with the other token endpoints in <see cref="TokenEndpoints.MapTokens"/>): the
/// server obtains an Ably Token from Ably for the caller's grant and answers with its TokenDetails.
/// </summary>
internal static class TokenDetailsEndpoints
{
    public const string SettingOff =
        "Ably Tokens are off on this server: /ably/token-details needs Ably:AblyTokens (environment Ably__AblyTokens) set to true. Use /ably/token or /ably/token-request instead.";

    public static async Task<Results<BufferedOk<TokenDetails>, ProblemHttpResult>> IssueTokenDetails(
        HttpContext context, AuthenticatedCaller caller, TokenParams parameters, GrantResolver grants, AblyKeySource keys, AblyTokenExchange exchange,
        TokenAudit audit, IOptions<AblyOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!options.Value.AblyTokens)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: SettingOff);
        }

        var result = grants.Resolve(caller.Account, parameters.ToParameters(), caller.CredentialExpiresAt - time.GetUtcNow());
        if (result.Grant is not { } grant)
        {
            return TokenEndpoints.Refusal(result);
        }

        if (grant.Claims is not null)
        {
            return TokenEndpoints.JwtOnlyClaims();
        }

        var (details, failure) = await exchange.ObtainAsync(grant, keys.Current.Signing, cancellationToken);
        if (failure is not null)
        {
            // Ably's own code, which the error contract keeps; without one the contract derives it from the status.
            if (failure.AblyCode is { } code)
            {
                context.Response.Headers[AblyErrorContract.ErrorCodeHeader] = code.ToString(CultureInfo.InvariantCulture);
            }

            if (failure.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(retryAfter);
            }

            return TypedResults.Problem(statusCode: failure.Status, detail: failure.Detail);
        }

        audit.Issued("token-details", caller, grant, details!.KeyName);
        return BufferedOk.Of(details);
    }
}
