using Microsoft.AspNetCore.Mvc;

namespace AblyAuthServer.Hosting;

/// <summary>Problems written outside an endpoint's result: by authentication, the rate limiter, the request timeout.</summary>
public static class ProblemResponses
{
    /// <summary><c>Retry-After</c> in whole seconds, rounded up and at least one (zero would invite an immediate retry).</summary>
    public static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An RFC 9457 problem, written like every other one (endpoint metadata applied, never cached).</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        }).AsTask();
    }
}
