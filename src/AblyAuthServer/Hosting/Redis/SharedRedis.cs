using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AblyAuthServer.Hosting.Redis;

/// <summary><c>Redis</c>: the optional store every replica shares for logouts, login limits and token limits.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    internal const string ConfigurationError =
        "Redis:Configuration (REDIS__CONFIGURATION or REDIS__CONFIGURATION_FILE) is not a valid StackExchange.Redis configuration string with at least one host:port (e.g. redis:6379,password=…).";

    /// <summary>A StackExchange.Redis configuration string; unset keeps everything in this process's memory.</summary>
    public string? Configuration { get; set; }

    /// <summary>How long the logout feed may be disconnected before session-authenticated token requests answer 503.</summary>
    public TimeSpan RevocationFeedGrace { get; set; } = TimeSpan.FromSeconds(5);

    internal static bool IsValid(string? configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration))
        {
            return true;
        }

        try
        {
            return ConfigurationOptions.Parse(configuration).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> of the process, created on first use when <c>Redis:Configuration</c> is
/// set. It never aborts on a failed connect (startup does not hang on a down Redis; it reconnects by itself) and fails
/// commands fast while disconnected, so callers can apply their own fail-open or fail-closed rule at once.
/// </summary>
public sealed class SharedRedis(IOptions<RedisOptions> options) : IDisposable
{
    /// <summary>Every key and channel this app uses starts with this, so one Redis can serve other apps too.</summary>
    public const string KeyPrefix = "ablyauth:";

    /// <summary>What every fail-closed refusal during a Redis outage tells clients to wait before trying again.</summary>
    public static readonly TimeSpan OutageRetryAfter = TimeSpan.FromSeconds(5);

    private readonly Lazy<ConnectionMultiplexer> _connection = new(() => Connect(options.Value.Configuration!));

    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.Configuration);

    public IConnectionMultiplexer Connection => IsConfigured
        ? _connection.Value
        : throw new InvalidOperationException("Redis:Configuration is not set.");

    public IDatabase Database => Connection.GetDatabase();

    public void Dispose()
    {
        if (_connection.IsValueCreated)
        {
            _connection.Value.Dispose();
        }
    }

    private static ConnectionMultiplexer Connect(string configuration)
    {
        var settings = ConfigurationOptions.Parse(configuration);
        settings.AbortOnConnectFail = false;
        settings.BacklogPolicy = BacklogPolicy.FailFast;
        settings.ClientName ??= "ably-auth-server";
        return ConnectionMultiplexer.Connect(settings);
    }
}

public static class RedisSetup
{
    /// <summary><c>Redis:Configuration</c>, validated at start, and the shared connection (used only when it is set).</summary>
    public static IServiceCollection AddSharedRedis(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName)
            .Validate(o => RedisOptions.IsValid(o.Configuration), RedisOptions.ConfigurationError)
            .Validate(o => o.RevocationFeedGrace >= TimeSpan.Zero && o.RevocationFeedGrace <= TimeSpan.FromMinutes(5),
                "Redis:RevocationFeedGrace (REDIS__REVOCATIONFEEDGRACE) must be between 00:00:00 and 00:05:00.")
            .ValidateOnStart();
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
