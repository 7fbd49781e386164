using Microsoft.Extensions.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AblyAuthServer.Redis;

public static class RedisSetup
{
    /// <summary><c>Redis:Configuration</c>, validated at start, and the shared connection (used only when it is set).</summary>
    public static IServiceCollection AddSharedRedis(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddSingleton<SharedRedis>();
        return services;
    }

    /// <summary>True for the failures a Redis outage causes (no connection, dropped, timed out, not ready).</summary>
    public static bool IsOutage(Exception e) => e is RedisException or RedisTimeoutException;

    /// <summary>Readiness: Healthy when Redis is not configured, else a PING answered within the check's timeout.</summary>
    internal sealed class HealthCheck(SharedRedis redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!redis.IsConfigured)
            {
                return HealthCheckResult.Healthy();
            }

            try
            {
                await redis.Database.PingAsync().WaitAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (IsOutage(e) || e is OperationCanceledException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("Redis is not reachable.");
            }
        }
    }
}
