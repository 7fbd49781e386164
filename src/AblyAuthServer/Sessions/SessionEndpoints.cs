using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.Redis;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Sessions;

public static class SessionEndpoints
{
    public const string IssueTokensPolicy = "IssueTokens";
    public const string SessionPolicy = "Session";
    public const int MaxUserNameLength = 256;
    public const int MaxPasswordLength = 1024;

    /// <summary>The refusal for credentials over the length caps, which are refused before any hash is computed.</summary>
    public static readonly string TooLongDetail = $"'username' is limited to {MaxUserNameLength} characters and 'password' to {MaxPasswordLength}.";

    /// <summary>Sessions, the authentication schemes (session cookie, Bearer session token, Basic) and their policies.</summary>
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddOptions<SessionsOptions>().BindConfiguration(SessionsOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.Lifetime > TimeSpan.Zero, "Sessions:Lifetime (SESSIONS__LIFETIME) must be positive.")
            .Validate(o => o.AccountCheckInterval >= TimeSpan.Zero, "Sessions:AccountCheckInterval (SESSIONS__ACCOUNTCHECKINTERVAL) must not be negative.")
            .ValidateOnStart();
        services.AddOptions<CallerAuthOptions>().BindConfiguration(CallerAuthOptions.SectionName);

        // The key ring lives with the account store (see AccountStore): shared by every replica with PostgreSQL.
        services.AddDataProtection().SetApplicationName("AblyAuthServer");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(keys =>
            keys.XmlRepository = AccountStore.DataProtectionKeyRepository(provider)));

        services.AddSingleton<SessionTokens>();
        // With Redis the logout list is shared by every replica (still read from memory); without it, per process.
        services.AddSingleton<EndedSessionStore>();
        services.AddSingleton<InMemoryRevokedSessions>();
        services.AddHostedService<LogoutListLoader>();
        services.AddSingleton<RedisRevokedSessions>();
        services.AddSingleton<IRevokedSessions>(provider => provider.GetRequiredService<SharedRedis>().IsConfigured
            ? provider.GetRequiredService<RedisRevokedSessions>()
            : provider.GetRequiredService<InMemoryRevokedSessions>());
        services.AddHostedService<RedisRevokedSessions.Feed>();
        services.AddSingleton<AccountStatusCache>();
        // No default scheme: a request is authenticated only when its endpoint's policy names a scheme, so credentials
        // sent to a probe, a 404 or the OpenAPI document cost nothing (a Basic header there would cost a hash).
        services.AddAuthentication()
            .AddPolicyScheme(CallerSchemes.Caller, null, scheme => scheme.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)
                && context.RequestServices.GetRequiredService<IOptions<CallerAuthOptions>>().Value.AllowBasic
                    ? CallerSchemes.Basic
                    : CallerSchemes.Session)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(CallerSchemes.Session, null)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(CallerSchemes.Basic, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(IssueTokensPolicy, policy => policy
                .AddAuthenticationSchemes(CallerSchemes.Caller)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => !context.User.HasClaim(AuthenticatedCaller.DisabledClaim, "true")))
            .AddPolicy(SessionPolicy, policy => policy.AddAuthenticationSchemes(CallerSchemes.Session).RequireAuthenticatedUser());
        return services;
    }

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").WithTags("Sessions").RequireCors(CorsSetup.PolicyName);

        group.MapPost("/login", Login)
            .WithName("Login")
            .WithSummary("Log in with an account's user name and password")
            .WithDescription("Checks the credentials and starts a session. The session token comes back in the body and as an HttpOnly cookie; send either to the token endpoints.")
            .Accepts<LoginRequest>("application/json", "application/x-www-form-urlencoded")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPost("/logout", Logout)
            .RequireAuthorization(SessionPolicy)
            .WithName("Logout")
            .WithSummary("End the current session")
            .WithDescription("Ends the session given by the cookie or Bearer token: it stops working at once, and the cookie is cleared.")
            .WithMetadata(new AllowsStaleLogoutList())
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return app;
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> Login(
        HttpContext context,
        CredentialVerifier credentials,
        CredentialGuessingLimits limits,
        SessionTokens tokens,
        IOptions<SessionsOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "no-store";
        var (fields, problem) = await RequestFields.ReadAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var userName = fields!.GetValueOrDefault("username");
        var password = fields!.GetValueOrDefault("password");
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
        {
            return RequestFields.Problem(StatusCodes.Status400BadRequest, "Both 'username' and 'password' are required.");
        }

        if (userName.Length > MaxUserNameLength || password.Length > MaxPasswordLength)
        {
            return RequestFields.Problem(StatusCodes.Status400BadRequest, TooLongDetail);
        }

        // Counted before any lookup, so names that exist and names that do not are limited identically.
        if (await limits.CountAttemptAsync(context, userName) is { } limited)
        {
            return RequestFields.Problem(limited.Status, limited.Detail);
        }

        var result = await credentials.VerifyAsync(userName, password, cancellationToken);
        if (result.Outcome is CredentialOutcome.LockedOut or CredentialOutcome.Busy)
        {
            context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(result.RetryAfter);
            return RequestFields.Problem(StatusCodes.Status429TooManyRequests, AuthProblems.TooManyDetail(result.Outcome));
        }

        if (result.Outcome != CredentialOutcome.Succeeded)
        {
            return RequestFields.Problem(StatusCodes.Status401Unauthorized, AuthProblems.InvalidCredentials);
        }

        var user = result.User!;
        var now = time.GetUtcNow();
        var ticket = new SessionTicket(
            SessionTokens.NewSessionId(),
            await credentials.IdentityOfAsync(user),
            user.SecurityStamp ?? string.Empty,
            now,
            now + options.Value.Lifetime);
        var token = tokens.Protect(ticket);
        context.Response.Cookies.Append(options.Value.CookieName, token, CookieOptions(context, options.Value, ticket.ExpiresAt));
        return TypedResults.Ok(new LoginResponse(token, ticket.ExpiresAt, ticket.Account.ClientId));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Logout(
        HttpContext context, IRevokedSessions revoked, IOptions<SessionsOptions> options, CancellationToken cancellationToken)
    {
        var session = context.Features.GetRequiredFeature<AuthenticatedCaller>().Session!;
        context.Response.Cookies.Delete(options.Value.CookieName, CookieOptions(context, options.Value, expires: null));
        context.Response.Headers.CacheControl = "no-store";
        try
        {
            await revoked.RevokeAsync(session.SessionId, session.ExpiresAt, cancellationToken);
        }
        catch (LogoutNotRecordedException)
        {
            // Ended here, but a restart of this process would revive it: say so rather than report success.
            context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(SharedRedis.OutageRetryAfter);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: AuthProblems.LogoutNotRecorded);
        }
        catch (RevocationNotSharedException)
        {
            // Ended here, and shared when Redis answers again; until then other replicas may accept it, so say so.
            context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(SharedRedis.OutageRetryAfter);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: AuthProblems.LogoutNotShared);
        }

        return TypedResults.NoContent();
    }

    private static CookieOptions CookieOptions(HttpContext context, SessionsOptions options, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = options.CookieSecurePolicy switch
        {
            CookieSecurePolicy.Always => true,
            CookieSecurePolicy.SameAsRequest => context.Request.IsHttps,
            _ => false,
        },
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
