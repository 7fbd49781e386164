using AblyAuthServer.Sessions;
using Microsoft.AspNetCore.Mvc;

namespace AblyAuthServer.Hosting;

/// <summary>Problem responses written by middleware (rate limiter, request timeout), outside any endpoint.</summary>
internal static class ProblemResponses
{
    /// <summary>The Ably token endpoints, whose errors also carry the <c>X-Ably-*</c> headers ably-js reads.</summary>
    public static bool IsAblyPath(HttpContext context) => context.Request.Path.StartsWithSegments("/ably", StringComparison.OrdinalIgnoreCase);

    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        if (IsAblyPath(context))
        {
            return AuthProblems.WriteAsync(context, status, detail);
        }

        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        }).AsTask();
    }
}
