using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AblyAuthServer.Hosting.RateLimiting;

/// <summary>
/// The per-user-name login limit. The rate limiter middleware runs before the body is read, so the login handler
/// asks this limiter once it has the user name, before any account lookup: names that exist and names that do
/// not are limited identically.
/// </summary>
public sealed class UserNameRateLimiter(RateLimitPartitions partitions) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(partitions.ByUserName);

    /// <summary>Null when the attempt may go ahead; otherwise the 429 to answer (with <c>Retry-After</c> set).</summary>
    public ProblemHttpResult? TryAcquire(HttpContext context, string userName)
    {
        using var lease = _limiter.AttemptAcquire(userName);
        if (lease.IsAcquired)
        {
            return null;
        }

        RateLimitingSetup.Rejected(context, RateLimitPartitions.LoginPerUsername, RateLimitingSetup.RetryAfter(lease));
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests,
            detail: RateLimitingSetup.Detail(RateLimitPartitions.LoginPerUsername));
    }

    public void Dispose() => _limiter.Dispose();
}
