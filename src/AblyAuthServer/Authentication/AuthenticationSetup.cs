using AblyAuthServer.Authentication.IdentityProviders;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Authentication;

public static class AuthenticationSetup
{
    /// <summary>Any caller source may call: the token endpoints' policy.</summary>
    public const string CallerPolicy = "Caller";

    /// <summary>Only a session may call: logout.</summary>
    public const string SessionPolicy = "Session";

    /// <summary>OpenAPI security scheme names of the built-in caller sources.</summary>
    public const string SessionBearerOpenApiScheme = "sessionBearer";
    public const string SessionCookieOpenApiScheme = "sessionCookie";
    public const string BasicOpenApiScheme = "basic";
    public const string IssuerBearerOpenApiScheme = "issuerBearer";

    /// <summary>
    /// The caller sources (Basic, identity providers, then the session as the fallback), what picks between them (the
    /// <see cref="CallerPolicyEvaluator"/> when authenticating, the <c>Caller</c> policy scheme for challenges and
    /// forbids), and the authorization policies. There is no default scheme: a request is authenticated only when its endpoint asks for a
    /// caller, so credentials sent to a probe, a 404 or the OpenAPI document cost nothing (Basic would cost a hash).
    /// A new caller source registers its <see cref="ICallerSource"/> before <see cref="SessionCallerSource"/> and its
    /// scheme (any <see cref="AuthenticationHandler{TOptions}"/>, the framework's included).
    /// </summary>
    public static IServiceCollection AddCallerAuthentication(this IServiceCollection services)
    {
        services.AddOptions<CallerAuthOptions>().BindConfiguration(CallerAuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallerAuthOptions>, CallerAuthOptionsValidator>();
        services.AddSingleton<ICallerSource, BasicCallerSource>();
        services.AddIdentityProviders();
        services.AddSingleton<SessionStarter>();

        services.AddAuthentication()
            .AddPolicyScheme(CallerSchemes.Caller, null, _ => { })
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(CallerSchemes.Session, null)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(CallerSchemes.Basic, null);
        services.AddSingleton<CallerSchemeSelector>();
        services.AddOptions<PolicySchemeOptions>(CallerSchemes.Caller).Configure<CallerSchemeSelector>((scheme, selector) =>
            scheme.ForwardDefaultSelector = context => selector.Select(context.Request));

        services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicy, policy => policy
                .AddAuthenticationSchemes(CallerSchemes.Caller)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => !context.User.HasClaim(AuthenticatedCaller.RefusedClaim, "true")))
            .AddPolicy(SessionPolicy, policy => policy.AddAuthenticationSchemes(CallerSchemes.Session).RequireAuthenticatedUser());
        // Transient, as the framework registers its own: authorization handlers may depend on the request's scope.
        services.Replace(ServiceDescriptor.Transient<IPolicyEvaluator, CallerPolicyEvaluator>());
        return services;
    }

    /// <summary>Any caller source may call these endpoints (a disabled account is refused with 403).</summary>
    public static TBuilder RequireCaller<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(CallerPolicy)
            .WithMetadata(new CallerSecurityMetadata([SessionBearerOpenApiScheme, SessionCookieOpenApiScheme, BasicOpenApiScheme, IssuerBearerOpenApiScheme]));

    /// <summary>Only a session (cookie or Bearer) may call these endpoints.</summary>
    public static TBuilder RequireSession<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(SessionPolicy)
            .WithMetadata(new CallerSecurityMetadata([SessionBearerOpenApiScheme, SessionCookieOpenApiScheme]));
}
