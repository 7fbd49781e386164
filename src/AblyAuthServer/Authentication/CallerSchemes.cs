using AblyAuthServer.Hosting;

namespace AblyAuthServer.Authentication;

/// <summary>The authentication scheme names, and the refusal every caller scheme answers a forbidden caller with.</summary>
public static class CallerSchemes
{
    /// <summary>The policy scheme that forwards each request to the scheme <see cref="CallerSchemeSelector"/> picks.</summary>
    public const string Caller = "Caller";
    public const string Session = "Session";
    public const string Basic = "Basic";
    public const string Realm = "AblyAuthServer";

    /// <summary>The credential of an <c>Authorization: Bearer</c> value, as the JwtBearer handler reads it (after the scheme name, trimmed); null for any other scheme.</summary>
    public static string? BearerToken(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;

    internal static Task ForbidAsync(HttpContext context)
    {
        return ProblemResponses.WriteAsync(context, StatusCodes.Status403Forbidden,
            context.Features.Get<AuthenticatedCaller>()?.Refusal ?? "This caller may not perform this action.");
    }
}
