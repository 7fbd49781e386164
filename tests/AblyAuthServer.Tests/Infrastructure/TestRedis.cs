namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// The test Redis named by <c>ABLY_AUTH_TEST_REDIS</c> (host:port), which <c>./build.sh test</c> starts. Without it Redis
/// tests fail, unless <c>ABLY_AUTH_TEST_ALLOW_SKIP=1</c> says to skip them (local use only).
/// </summary>
public static class TestRedis
{
    public const string Variable = "ABLY_AUTH_TEST_REDIS";

    public static string Configuration
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            const string reason = $"{Variable} is not set: run ./build.sh test, which starts a throwaway Redis " +
                $"(scripts/test-services.sh), or set {TestAccountStore.AllowSkipVariable}=1 to skip Redis tests locally.";
            if (Environment.GetEnvironmentVariable(TestAccountStore.AllowSkipVariable) == "1")
            {
                Assert.Skip(reason);
            }

            Assert.Fail(reason);
            return null!;
        }
    }

    public static (string Host, int Port) Endpoint
    {
        get
        {
            var configuration = Configuration;
            var colon = configuration.LastIndexOf(':');
            return (configuration[..colon], int.Parse(configuration[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Redis settings for a factory: this Redis, or a forwarder in front of it.</summary>
    public static Dictionary<string, string?> Settings(string? configuration = null, string grace = "00:00:01") => new()
    {
        ["Redis:Configuration"] = configuration ?? Configuration,
        ["Redis:RevocationFeedGrace"] = grace,
    };
}
