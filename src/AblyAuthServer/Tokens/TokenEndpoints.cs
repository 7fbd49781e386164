using AblyAuthServer.Ably;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using AblyAuthServer.Revocation;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

public static class TokenEndpoints
{
    public const string JwtContentType = "application/jwt";

    /// <summary>
    /// The Ably key (validated at startup), Ably's clock and REST client, the JWT issuer and TokenRequest signer (both on
    /// Ably's clock), the exchange that obtains Ably Tokens, grant resolution and the audit.
    /// </summary>
    public static IServiceCollection AddTokens(this IServiceCollection services)
    {
        services.AddOptions<AblyOptions>().BindConfiguration(AblyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AblyOptions>, AblyOptionsValidator>();
        services.AddSingleton<AblyKeySource>();
        services.AddHostedService<AblyKeysFileWatcher>();
        services.AddAblyRest();
        services.AddSingleton(provider => new AblyJwtIssuer(provider.GetRequiredService<AblyClock>()));
        services.AddSingleton(provider => new TokenRequestSigner(provider.GetRequiredService<AblyClock>()));
        services.AddSingleton<TokenAudit>();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AblyOptions>>().Value;
            return new GrantResolver(provider.GetRequiredService<PolicySet>(), options.DefaultTtl, options.MaxTtl);
        });
        return services;
    }

    /// <summary>The authUrl targets for Ably JWTs and TokenRequests, on an <see cref="MapAblyTokenGroup"/> group.</summary>
    public static IEndpointRouteBuilder MapTokens(this IEndpointRouteBuilder app)
    {
        var group = app.MapAblyTokenGroup();

        group.MapGet("/token", IssueJwt).WithName("GetAblyJwt").WithJwtMetadata();
        group.MapPost("/token", IssueJwt).WithName("PostAblyJwt").WithJwtMetadata().WithBodyErrors();
        group.MapGet("/token-request", IssueTokenRequest).WithName("GetAblyTokenRequest").WithTokenRequestMetadata();
        group.MapPost("/token-request", IssueTokenRequest).WithName("PostAblyTokenRequest").WithTokenRequestMetadata().WithBodyErrors();
        group.MapGet("/token-details", TokenDetailsEndpoints.IssueTokenDetails).WithName("GetAblyTokenDetails").WithTokenDetailsMetadata();
        group.MapPost("/token-details", TokenDetailsEndpoints.IssueTokenDetails).WithName("PostAblyTokenDetails").WithTokenDetailsMetadata().WithBodyErrors();
        return app;
    }

    /// <summary>
    /// A group under <c>/ably</c> with what every authUrl target declares once: any caller source, CORS for the configured
    /// origins, the per-user token limit, never cached, and Ably's error contract on every problem. A feature that adds a
    /// token form maps it on its own such group.
    /// </summary>
    public static RouteGroupBuilder MapAblyTokenGroup(this IEndpointRouteBuilder app) => app.MapGroup("/ably")
        .WithTags("Ably tokens")
        .RequireCaller()
        .RequireCors(CorsSetup.PolicyName)
        .RequireRateLimiting(RateLimitPartitions.TokensPerUser)
        .NoStore()
        .WithMetadata(AblyErrorContract.Instance)
        .WithTokenProblemDescriptions();

    private static Results<ContentHttpResult, ProblemHttpResult> IssueJwt(
        AuthenticatedCaller caller, TokenParams parameters, GrantResolver grants, AblyKeySource keys, AblyJwtIssuer issuer, TokenAudit audit,
        RevocationTargets revocation, IOptions<AblyOptions> options, TimeProvider time)
    {
        // The TTL is decided on the local clock, like the credential's end; the issuer then dates the token on Ably's.
        var result = grants.Resolve(caller.Account, parameters.ToParameters(), caller.CredentialExpiresAt - time.GetUtcNow());
        if (result.Grant is not { } grant)
        {
            return Refusal(result);
        }

        // One read of the ring: the revocation key is derived under the very key that signs.
        var key = keys.Current.Signing;
        if (revocation.KeyFor(caller, grant.ClientId, key) is { } revocationKey)
        {
            grant = grant with { RevocationKey = revocationKey };
        }

        var jwt = issuer.Issue(grant, key);
        if (jwt.Length > options.Value.MaxJwtBytes)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, detail:
                $"The token would be {jwt.Length} bytes, over the {options.Value.MaxJwtBytes}-byte limit for JWTs (they travel in HTTP headers). " +
                (grant.Claims is null
                    ? "Ask for a narrower capability, or use /ably/token-request, which has no such limit."
                    : "Ask for a narrower capability, or shorten the role's channel claims."));
        }

        audit.Issued("jwt", caller, grant, key.Name);
        return TypedResults.Text(jwt, JwtContentType);
    }

    private static Results<BufferedOk<TokenRequest>, ProblemHttpResult> IssueTokenRequest(
        AuthenticatedCaller caller, TokenParams parameters, GrantResolver grants, AblyKeySource keys, TokenRequestSigner signer, TokenAudit audit, TimeProvider time)
    {
        var result = grants.Resolve(caller.Account, parameters.ToParameters(), caller.CredentialExpiresAt - time.GetUtcNow());
        if (result.Grant is not { } grant)
        {
            return Refusal(result);
        }

        if (grant.Claims is not null)
        {
            return JwtOnlyClaims();
        }

        var request = signer.Sign(grant, keys.Current.Signing);
        audit.Issued("token-request", caller, grant, request.KeyName);
        return BufferedOk.Of(request);
    }

    /// <summary>
    /// A grant with channel claims, publish limits or the server client type cannot be a TokenRequest or an Ably Token:
    /// those forms would silently drop limits and claims that policy attaches to this caller.
    /// </summary>
    internal static ProblemHttpResult JwtOnlyClaims() => TypedResults.Problem(
        statusCode: StatusCodes.Status422UnprocessableEntity,
        detail: "Policy gives this caller's tokens channel claims, publish rate limits or the server client type, which only JWTs carry. Use /ably/token instead.");

    /// <summary>A refused grant as a problem: 400 malformed, 401 log in again (SDKs retry), 403 refused (SDKs stop).</summary>
    internal static ProblemHttpResult Refusal(GrantResult result) => TypedResults.Problem(
        statusCode: result.Failure switch
        {
            GrantFailure.Forbidden => StatusCodes.Status403Forbidden,
            GrantFailure.CredentialExpiring => StatusCodes.Status401Unauthorized,
            _ => StatusCodes.Status400BadRequest,
        },
        detail: result.Detail);
}
