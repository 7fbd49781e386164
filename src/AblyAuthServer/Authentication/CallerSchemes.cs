namespace AblyAuthServer.Authentication;

/// <summary>Scheme names, the scheme that picks between them, and the shared failure responses.</summary>
public static class CallerSchemes
{
    /// <summary>Picks Basic for <c>Authorization: Basic</c> (when allowed), the session scheme otherwise.</summary>
    public const string Caller = "Caller";
    public const string Session = "Session";
    public const string Basic = "Basic";
    public const string Realm = "AblyAuthServer";

    internal static Task ForbidAsync(HttpContext context)
    {
        var disabled = context.Features.Get<AuthenticatedCaller>()?.IsDisabled == true;
        return AuthProblems.WriteAsync(context, StatusCodes.Status403Forbidden,
            disabled ? AuthProblems.AccountDisabled : "This account may not perform this action.");
    }

}
