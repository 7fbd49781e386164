using AblyAuthServer.Accounts;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using AblyAuthServer.OpenApi;
using AblyAuthServer.Redis;
using AblyAuthServer.Revocation;
using AblyAuthServer.Throttling;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Sessions;

public static class SessionEndpoints
{
    /// <summary>Sessions: their options, the key ring that protects their tokens, and the logout list.</summary>
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddOptions<SessionsOptions>().BindConfiguration(SessionsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SessionsOptions>, SessionsOptionsValidator>();

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
        return services;
    }

    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").WithTags("Sessions").RequireCors(CorsSetup.PolicyName).NoStore();

        group.MapPost("/login", Login)
            .WithName("Login")
            .WithSummary("Log in with an account's user name and password")
            .WithDescription("Checks the credentials and starts a session. The session token comes back in the body and as an HttpOnly cookie; send either to the token endpoints.")
            .WithResponse(StatusCodes.Status200OK, "Logged in. The same session token is set as an HttpOnly cookie.", LoginResponse.Example,
                new OpenApiHeaderMetadata("Set-Cookie", "The session cookie: ably_session=<sessionToken>; path=/; samesite=lax; httponly; secure"))
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests)
            .WithProblemDescriptions(
                (StatusCodes.Status400BadRequest, "The request is malformed: 'detail' says which field and why."),
                (StatusCodes.Status401Unauthorized, "The user name or password is not valid; the same answer whatever the reason."),
                (StatusCodes.Status413PayloadTooLarge, "The request body is larger than 16 KiB."),
                (StatusCodes.Status415UnsupportedMediaType, "The body is neither application/json nor application/x-www-form-urlencoded."),
                (StatusCodes.Status429TooManyRequests, "Too many attempts: the name is locked out, a login limit was reached, or password checks are busy. See Retry-After."));

        group.MapPost("/logout", Logout)
            .RequireSession()
            .WithName("Logout")
            .WithSummary("End the current session")
            .WithDescription("Ends the session given by the cookie or Bearer token: it stops working at once, and the cookie is cleared.")
            .WithMetadata(new AllowsStaleLogoutList())
            .WithResponse(StatusCodes.Status204NoContent, "The session ended; the cookie is cleared.")
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status503ServiceUnavailable)
            .WithProblemDescriptions(
                (StatusCodes.Status401Unauthorized, "There is no valid session to end."),
                (StatusCodes.Status503ServiceUnavailable, "The session ended on this server, but the logout could not be stored or shared yet. See Retry-After."));

        return app;
    }

    private static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> Login(
        LoginRequest credentials,
        HttpContext context,
        CredentialVerifier verifier,
        CredentialGuessingLimits limits,
        SessionStarter sessions,
        CancellationToken cancellationToken)
    {
        // Counted before any lookup, so names that exist and names that do not are limited identically.
        if (await limits.CountAttemptAsync(context, credentials.Username) is { } limited)
        {
            return TypedResults.Problem(statusCode: limited.Status, detail: limited.Detail);
        }

        var result = await verifier.VerifyAsync(credentials.Username, credentials.Password, cancellationToken);
        switch (result.Outcome)
        {
            case CredentialOutcome.Succeeded:
                var user = result.User!;
                return TypedResults.Ok(sessions.Start(context, await verifier.IdentityOfAsync(user), user.SecurityStamp ?? string.Empty));
            case CredentialOutcome.LockedOut or CredentialOutcome.Busy:
                context.Response.Headers.RetryAfter = ProblemResponses.RetryAfterSeconds(result.RetryAfter);
                return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, detail: AuthProblems.TooManyDetail(result.Outcome));
            default:
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: AuthProblems.InvalidCredentials);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Logout(
        AuthenticatedCaller caller, HttpContext context, IRevokedSessions revoked, SessionStarter sessions, RevocationTargets revocation,
        CancellationToken cancellationToken)
    {
        // The session policy admits session callers only.
        var session = caller.Session ?? throw new InvalidOperationException("Logout was reached without a session.");
        sessions.ClearCookie(context);
        try
        {
            await revoked.RevokeAsync(session.SessionId, session.ExpiresAt, revocation.ForLogout(session), cancellationToken);
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
}
