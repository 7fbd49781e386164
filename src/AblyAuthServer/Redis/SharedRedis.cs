using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AblyAuthServer.Redis;

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
