using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Threading.RateLimiting;
using AblyAuthServer.Redis;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Throttling;

/// <summary>
/// The one place that decides what each limit counts and how: the partition key (client address, user name, user id)
/// and the limiter behind it. Without Redis the limiters are in memory, so each replica counts on its own; with
/// <c>Redis:Configuration</c> login limits are counted in Redis (one round trip per login, fail-closed) and token
/// limits locally, reconciled with Redis in batches (fail-open).
/// </summary>
public sealed class RateLimitPartitions(IOptions<RateLimitingOptions> options, SharedRedis redis, IServiceProvider services)
{
    /// <summary>Password checks per client address (login attempts, failed Basic checks): see CredentialGuessingLimits.</summary>
    public const string LoginPerIp = "login-per-ip";

    /// <summary>Password checks per user name (login attempts, failed Basic checks): see CredentialGuessingLimits.</summary>
    public const string LoginPerUsername = "login-per-username";

    /// <summary>Token issuance per authenticated user (the rate limiter middleware, after authentication, on <c>/ably</c>).</summary>
    public const string TokensPerUser = "tokens-per-user";

    public RateLimitPartition<string> ByUser(HttpContext context)
    {
        var key = context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } userId ? "user:" + userId : "ip:" + ClientAddress(context);
        // Shared through Redis in batches (SharedTokenLimits), so a token request never waits on it.
        return redis.IsConfigured
            ? RateLimitPartition.Get(key, k => new SharedTokenLimits.Limiter(services.GetRequiredService<SharedTokenLimits>(), k))
            : FixedWindow(key, options.Value.Tokens.PerUser);
    }

    /// <summary>
    /// The client's address as the forwarded headers middleware left it (a proxy's X-Forwarded-For only when that
    /// proxy is trusted), for logs.
    /// </summary>
    public static string ClientIp(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
            : "unknown";

    /// <summary>The client's address as a limit counts it: IPv6 clients per /64, the block one subscriber usually holds.</summary>
    public static string ClientAddress(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private static RateLimitPartition<string> FixedWindow(string key, RateLimit limit) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window,
            QueueLimit = 0,
        });
}
