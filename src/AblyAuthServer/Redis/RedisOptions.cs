using StackExchange.Redis;

namespace AblyAuthServer.Redis;

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
