using AblyAuthServer.Ably;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using AblyAuthServer.Revocation;
using AblyAuthServer.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.EmbeddedTokens;

public static class EmbeddedTokenEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";
    public const string DiscoveryPath = "/.well-known/openid-configuration";

    /// <summary>
    /// How long caches may keep the key set and discovery document: far below EmbeddedTokens:KeyPrepublication's
    /// minimum, so a cached copy always learns a new key before it signs.
    /// </summary>
    public static readonly TimeSpan PublicMaxAge = TimeSpan.FromMinutes(5);

    public const string NotEnabledDetail =
        "EmbeddedTokens:Issuer (EMBEDDEDTOKENS__ISSUER) is not set: this server issues no embedded tokens and publishes no keys for them.";

    internal const string NoSigningKeyDetail =
        "No embedded-token signing key is available: the account store cannot be read, or this server cannot unprotect the stored key (its log says which). /ably/token still works.";

    /// <summary>
    /// The options (checked at startup), the signing keys with their store and refresh, and the issuer. The keys are
    /// loaded, and the first one created, only while the feature is on.
    /// </summary>
    public static IServiceCollection AddEmbeddedTokens(this IServiceCollection services)
    {
        services.AddOptions<EmbeddedTokensOptions>().BindConfiguration(EmbeddedTokensOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EmbeddedTokensOptions>, EmbeddedTokensOptionsValidator>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<EmbeddedSigningKeys>();
        services.AddHostedService<EmbeddedSigningKeysRefresher>();
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<EmbeddedTokensOptions>>().Value;
            return new EmbeddedTokenIssuer(
                provider.GetRequiredService<AblyJwtIssuer>(), options.Issuer ?? string.Empty, options.Audience ?? string.Empty,
                provider.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>
    /// <c>/ably/embedded-token</c> with the declarations of every authUrl target, and the anonymous, publicly cacheable
    /// discovery document and key set, readable from any origin (they are public keys). With the feature off all three
    /// still exist, as the API describes them, and answer 404 to everyone.
    /// </summary>
    public static IEndpointRouteBuilder MapEmbeddedTokens(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapAblyTokenGroup();
        tokens.MapGet("/embedded-token", IssueEmbeddedToken).WithName("GetAblyEmbeddedToken").WithEmbeddedTokenMetadata();
        tokens.MapPost("/embedded-token", IssueEmbeddedToken).WithName("PostAblyEmbeddedToken").WithEmbeddedTokenMetadata().WithBodyErrors();

        var publication = app.MapGroup("/.well-known")
            .WithTags(EmbeddedTokenEndpointMetadata.PublicationTag)
            .AllowAnonymous()
            .RequireCors(cors => cors.AllowAnyOrigin().WithMethods(HttpMethods.Get))
            .CachePublicly(PublicMaxAge);
        publication.MapGet("/openid-configuration", GetDiscoveryDocument).WithName("GetOpenIdConfiguration").WithDiscoveryMetadata();
        publication.MapGet("/jwks.json", GetKeySet).WithName("GetJsonWebKeySet").WithKeySetMetadata();

        if (!app.ServiceProvider.GetRequiredService<IOptions<EmbeddedTokensOptions>>().Value.IsEnabled)
        {
            tokens.AnswerNotEnabled();
            publication.AnswerNotEnabled();
        }

        return app;
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> IssueEmbeddedToken(
        AuthenticatedCaller caller, TokenParams parameters, GrantResolver grants, EmbeddedSigningKeys keys, EmbeddedTokenIssuer issuer,
        AblyKeySource ablyKeys, RevocationTargets revocation, TokenAudit audit, IOptions<AblyOptions> options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var result = grants.Resolve(caller.Account, parameters.ToParameters(), caller.CredentialExpiresAt - time.GetUtcNow());
        if (result.Grant is not { } grant)
        {
            return TokenEndpoints.Refusal(result);
        }

        if (await keys.SignerAsync(cancellationToken) is not { } signer)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: NoSigningKeyDetail);
        }

        // The Ably JWT inside is the one /ably/token would issue: the same signing key and revocation key.
        var ablyKey = ablyKeys.Current.Signing;
        if (revocation.KeyFor(caller, grant.ClientId, ablyKey) is { } revocationKey)
        {
            grant = grant with { RevocationKey = revocationKey };
        }

        var token = issuer.Issue(caller.Account.UserName, caller.Account.Roles, grant, signer, ablyKey);
        var limit = options.Value.MaxJwtBytes;
        if (token.Length > limit)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, detail:
                $"The embedded token would be {token.Length} bytes, over the {limit}-byte limit for JWTs (Ably:MaxJwtBytes; they travel in HTTP headers). " +
                "It carries the Ably JWT inside, so it is larger than /ably/token's. Ask for a narrower capability, or use /ably/token or /ably/token-request.");
        }

        audit.Issued("embedded-token", caller, grant, ablyKey.Name);
        return TypedResults.Text(token, TokenEndpoints.JwtContentType);
    }

    private static Ok<OpenIdConfiguration> GetDiscoveryDocument(EmbeddedTokenIssuer issuer)
    {
        // From configuration only: a Host or X-Forwarded-Host header must never choose where verifiers fetch keys.
        var origin = issuer.Issuer.TrimEnd('/');
        return TypedResults.Ok(new OpenIdConfiguration(
            issuer.Issuer,
            origin + JwksPath,
            origin + "/auth/login",
            ["none"],
            ["public"],
            [Microsoft.IdentityModel.Tokens.SecurityAlgorithms.EcdsaSha256]));
    }

    private static async Task<Results<Ok<PublicJsonWebKeySet>, ProblemHttpResult>> GetKeySet(EmbeddedSigningKeys keys, CancellationToken cancellationToken)
    {
        if (await keys.PublishedAsync(cancellationToken) is not { } published)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                detail: "The signing keys cannot be loaded from the account store yet; try again shortly.");
        }

        return TypedResults.Ok(new PublicJsonWebKeySet([.. published.Select(k => k.ToPublicJwk())]));
    }

    /// <summary>
    /// Every endpoint of <paramref name="group"/> answers 404 with <see cref="NotEnabledDetail"/> before authentication,
    /// keeping the metadata that describes it.
    /// </summary>
    private static void AnswerNotEnabled(this RouteGroupBuilder group)
    {
        group.AllowAnonymous();
        ((IEndpointConventionBuilder)group).Finally(endpoint => endpoint.RequestDelegate = static context =>
            ProblemResponses.WriteAsync(context, StatusCodes.Status404NotFound, NotEnabledDetail));
    }
}
