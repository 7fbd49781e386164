using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Redis;

/// <summary>Startup checks of <see cref="RedisOptions"/>; the configuration string (which may hold a password) is never echoed.</summary>
internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var failures = new OptionsFailures();
        if (!RedisOptions.IsValid(options.Configuration))
        {
            failures.AddLine(RedisOptions.ConfigurationError);
        }

        if (options.RevocationFeedGrace < TimeSpan.Zero || options.RevocationFeedGrace > TimeSpan.FromMinutes(5))
        {
            failures.Add("Redis:RevocationFeedGrace", "must be between 00:00:00 and 00:05:00.");
        }

        return failures.Result;
    }
}
