using AblyAuthServer.Redis;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Throttling;

/// <summary>
/// The limits on guessing passwords, per client address and per user name, for every path that checks a password.
/// A login counts as one attempt whatever its outcome; a Basic request counts only when its password is wrong, and
/// while the address or the name is over its limit it is refused before any hash is computed. Without Redis each
/// replica counts alone; with Redis every replica shares the counts, and an unreachable Redis refuses checks
/// (fail-closed) rather than let guesses through uncounted.
/// </summary>
public sealed class CredentialGuessingLimits(FixedWindowCounters counters, IOptions<RateLimitingOptions> options)
{
    /// <summary>Counts a login attempt against the address, then the name; the refusal if either is over its limit.</summary>
    public async ValueTask<LimitRefusal?> CountAttemptAsync(HttpContext context, string userName) =>
        await AddAsync(context, RateLimitPartitions.LoginPerIp, AddressKey(context), options.Value.Login.PerIp, permits: 1)
        ?? await AddAsync(context, RateLimitPartitions.LoginPerUsername, NameKey(userName), options.Value.Login.PerUsername, permits: 1);

    /// <summary>Refuses a Basic check while the address or the name is already at its limit; counts nothing.</summary>
    public async ValueTask<LimitRefusal?> CheckAsync(HttpContext context, string userName) =>
        await AddAsync(context, RateLimitPartitions.LoginPerIp, AddressKey(context), options.Value.Login.PerIp, permits: 0)
        ?? await AddAsync(context, RateLimitPartitions.LoginPerUsername, NameKey(userName), options.Value.Login.PerUsername, permits: 0);

    /// <summary>Counts a failed Basic check against the address and the name, as a failed login.</summary>
    public async ValueTask RecordFailureAsync(HttpContext context, string userName)
    {
        // A store outage here changes nothing for this request (it is refused anyway) and the next check fails closed.
        await counters.AddAsync(AddressKey(context), 1, options.Value.Login.PerIp.Window);
        await counters.AddAsync(NameKey(userName), 1, options.Value.Login.PerUsername.Window);
    }

    private async ValueTask<LimitRefusal?> AddAsync(HttpContext context, string policy, string key, RateLimit limit, int permits)
    {
        var count = await counters.AddAsync(key, permits, limit.Window);
        if (count is null)
        {
            return Refuse(context, policy, new LimitRefusal(StatusCodes.Status503ServiceUnavailable, ThrottlingSetup.StoreUnavailableDetail, SharedRedis.OutageRetryAfter));
        }

        // An attempt is refused once it would be past the limit; a check, once the count has reached it.
        var over = permits > 0 ? count.Value.Count > limit.PermitLimit : count.Value.Count >= limit.PermitLimit;
        return over
            ? Refuse(context, policy, new LimitRefusal(StatusCodes.Status429TooManyRequests, ThrottlingSetup.Detail(policy), count.Value.ResetsIn))
            : null;
    }

    private static LimitRefusal Refuse(HttpContext context, string policy, LimitRefusal refusal)
    {
        ThrottlingSetup.Rejected(context, policy, refusal.RetryAfter);
        return refusal;
    }

    private static string AddressKey(HttpContext context) => "login-ip:" + RateLimitPartitions.ClientAddress(context);

    // Case-insensitive like Identity's user name lookup, so 'Alice' and 'alice' share one budget.
    private static string NameKey(string userName) => "login-name:" + userName.ToUpperInvariant();
}
