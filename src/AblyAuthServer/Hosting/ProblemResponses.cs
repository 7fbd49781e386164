using AblyAuthServer.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace AblyAuthServer.Hosting;

/// <summary>Problem responses written by middleware (rate limiter, request timeout), outside any endpoint.</summary>
internal static class ProblemResponses
{
    /// <summary>The Ably token endpoints, whose errors also carry the <c>X-Ably-*</c> headers ably-js reads.</summary>
    public static bool IsAblyPath(HttpContext context) => context.Request.Path.StartsWithSegments("/ably", StringComparison.OrdinalIgnoreCase);

    public static Task WriteAsync(HttpContext context, int status, string detail) =>
        IsAblyPath(context) ? AuthProblems.WriteAsync(context, status, detail) : WriteProblemAsync(context, status, detail);

    /// <summary><c>Retry-After</c> in whole seconds, rounded up and at least one (zero would invite an immediate retry).</summary>
    public static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An RFC 9457 problem that no cache keeps: the body every refusal written outside an endpoint result has.</summary>
    public static Task WriteProblemAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        }).AsTask();
    }
}
