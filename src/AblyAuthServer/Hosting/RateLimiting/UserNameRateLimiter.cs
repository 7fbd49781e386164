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
    public async ValueTask<ProblemHttpResult?> TryAcquireAsync(HttpContext context, string userName, CancellationToken cancellationToken)
    {
        using var attempt = _limiter.AttemptAcquire(userName);
        if (attempt.IsAcquired)
        {
            return null;
        }

        // A refusal without a retry hint means "not decidable synchronously" (a Redis-counted limit): ask it.
        using var lease = attempt.TryGetMetadata(MetadataName.RetryAfter, out _)
            ? null
            : await _limiter.AcquireAsync(userName, cancellationToken: cancellationToken);
        if (lease?.IsAcquired == true)
        {
            return null;
        }

        var refused = lease ?? attempt;
        var (status, detail) = RateLimitingSetup.Refusal(refused, RateLimitPartitions.LoginPerUsername);
        RateLimitingSetup.Rejected(context, RateLimitPartitions.LoginPerUsername, RateLimitingSetup.RetryAfter(refused));
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Problem(statusCode: status, detail: detail);
    }

    public void Dispose() => _limiter.Dispose();
}
