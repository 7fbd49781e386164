using AblyAuthServer.Ably;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.Hosting.Telemetry;
using AblyAuthServer.Policies;
using AblyAuthServer.Sessions;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

public static partial class TokenEndpoints
{
    public const string JwtContentType = "application/jwt";

    /// <summary>The Ably key (validated at startup), the JWT issuer, the TokenRequest signer and grant resolution.</summary>
    public static IServiceCollection AddTokens(this IServiceCollection services)
    {
        services.AddOptions<AblyOptions>().BindConfiguration(AblyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<AblyOptions>, AblyOptionsValidator>();
        services.AddSingleton(provider => AblyKey.Parse(provider.GetRequiredService<IOptions<AblyOptions>>().Value.ApiKey!));
        services.AddSingleton<AblyJwtIssuer>();
        services.AddSingleton<TokenRequestSigner>();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AblyOptions>>().Value;
            return new GrantResolver(provider.GetRequiredService<PolicySet>(), options.DefaultTtl, options.MaxTtl);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapTokens(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/ably")
            .WithTags("Ably tokens")
            .RequireAuthorization(SessionEndpoints.IssueTokensPolicy)
            .RequireCors(CorsSetup.PolicyName)
            .RequireRateLimiting(RateLimitPartitions.TokensPerUser)
            .AddEndpointFilter(async (context, next) =>
            {
                // Tokens and refusals alike must never be cached by a browser or proxy.
                context.HttpContext.Response.Headers.CacheControl = "no-store";
                return await next(context);
            });

        group.MapGet("/token", IssueJwt).WithName("GetAblyJwt").WithJwtMetadata();
        group.MapPost("/token", IssueJwt).WithName("PostAblyJwt").WithJwtMetadata().WithTokenParametersBody();
        group.MapGet("/token-request", IssueTokenRequest).WithName("GetAblyTokenRequest").WithTokenRequestMetadata();
        group.MapPost("/token-request", IssueTokenRequest).WithName("PostAblyTokenRequest").WithTokenRequestMetadata().WithTokenParametersBody();
        return app;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> IssueJwt(
        HttpContext context,
        GrantResolver grants,
        AblyJwtIssuer issuer,
        IOptions<AblyOptions> options,
        AuthMetrics metrics,
        ILogger<AblyJwtIssuer> logger,
        CancellationToken cancellationToken)
    {
        var (caller, grant, problem) = await ResolveAsync(context, grants, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var jwt = issuer.Issue(grant!);
        if (jwt.Length > options.Value.MaxJwtBytes)
        {
            return Refuse(context, StatusCodes.Status422UnprocessableEntity,
                $"The token would be {jwt.Length} bytes, over the {options.Value.MaxJwtBytes}-byte limit for JWTs (they travel in HTTP headers). " +
                "Ask for a narrower capability, or use /ably/token-request, which has no such limit.");
        }

        LogIssued(logger, "jwt", caller!.Account.UserName, grant!.ClientId, issuer.Key.Name, (long)grant.Ttl.TotalMilliseconds, grant.Capability.ToJson());
        metrics.TokenIssued("jwt", caller.Account.Roles);
        return TypedResults.Text(jwt, JwtContentType);
    }

    private static async Task<Results<Ok<TokenRequest>, ProblemHttpResult>> IssueTokenRequest(
        HttpContext context,
        GrantResolver grants,
        TokenRequestSigner signer,
        AuthMetrics metrics,
        ILogger<TokenRequestSigner> logger,
        CancellationToken cancellationToken)
    {
        var (caller, grant, problem) = await ResolveAsync(context, grants, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var request = signer.Sign(grant!);
        LogIssued(logger, "token-request", caller!.Account.UserName, grant!.ClientId, request.KeyName, request.Ttl, request.Capability);
        metrics.TokenIssued("token-request", caller.Account.Roles);
        return TypedResults.Ok(request);
    }

    private static async Task<(AuthenticatedCaller? Caller, TokenGrant? Grant, ProblemHttpResult? Problem)> ResolveAsync(
        HttpContext context, GrantResolver grants, CancellationToken cancellationToken)
    {
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var caller = context.Features.GetRequiredFeature<AuthenticatedCaller>();
        var (parameters, problem) = await ReadParametersAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            AuthProblems.AddAblyErrorHeaders(context.Response, problem.StatusCode, problem.ProblemDetails.Detail!);
            return (caller, null, problem);
        }

        var result = grants.Resolve(caller.Account, parameters!, caller.CredentialExpiresAt - time.GetUtcNow());
        if (result.Grant is null)
        {
            var status = result.Failure switch
            {
                GrantFailure.Forbidden => StatusCodes.Status403Forbidden,
                GrantFailure.CredentialExpiring => StatusCodes.Status401Unauthorized,
                _ => StatusCodes.Status400BadRequest,
            };
            return (caller, null, Refuse(context, status, result.Detail));
        }

        return (caller, result.Grant, null);
    }

    /// <summary>Token parameters from the query string, overridden by a form or JSON body (as ably-js sends POSTs).</summary>
    private static async Task<(TokenParameters? Parameters, ProblemHttpResult? Problem)> ReadParametersAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var query = request.Query;
        string? clientId = query["clientId"], capability = query["capability"], ttl = query["ttl"];
        if (HttpMethods.IsPost(request.Method))
        {
            var (fields, problem) = await RequestFields.ReadAsync(request, cancellationToken);
            if (problem is not null)
            {
                return (null, problem);
            }

            clientId = fields!.GetValueOrDefault("clientId") ?? clientId;
            capability = fields!.GetValueOrDefault("capability") ?? capability;
            ttl = fields!.GetValueOrDefault("ttl") ?? ttl;
        }

        return (new TokenParameters(clientId, capability, ttl), null);
    }

    private static ProblemHttpResult Refuse(HttpContext context, int status, string detail)
    {
        AuthProblems.AddAblyErrorHeaders(context.Response, status, detail);
        return RequestFields.Problem(status, detail);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Issued {TokenKind} to {UserName}: clientId {ClientId}, kid {KeyName}, ttl {TtlMs} ms, capability {Capability}")]
    private static partial void LogIssued(ILogger logger, string tokenKind, string userName, string clientId, string keyName, long ttlMs, string capability);
}
