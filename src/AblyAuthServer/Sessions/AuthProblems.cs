using Microsoft.AspNetCore.Mvc;

namespace AblyAuthServer.Sessions;

/// <summary>
/// Writes authentication and authorization failures as problem details, with the <c>X-Ably-ErrorCode</c> and
/// <c>X-Ably-ErrorMessage</c> headers that let ably-js in a browser show why it was refused.
/// </summary>
public static class AuthProblems
{
    public const string InvalidCredentials = "The user name or password is not valid.";
    public const string SessionRequired =
        "A valid session is required: log in at /auth/login, then send the session cookie or 'Authorization: Bearer <sessionToken>'.";
    public const string AccountDisabled = "This account is disabled.";

    /// <summary>Ably's error code for an HTTP status, as SDKs report it.</summary>
    public static int AblyErrorCode(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => 40100,
        StatusCodes.Status403Forbidden => 40300,
        StatusCodes.Status429TooManyRequests => 42910,
        >= 400 and < 500 => 40000,
        _ => 50000,
    };

    public static void AddAblyErrorHeaders(HttpResponse response, int status, string detail)
    {
        response.Headers["X-Ably-ErrorCode"] = AblyErrorCode(status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["X-Ably-ErrorMessage"] = detail;
    }

    public static async Task WriteAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        AddAblyErrorHeaders(context.Response, status, detail);
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        });
    }
}
