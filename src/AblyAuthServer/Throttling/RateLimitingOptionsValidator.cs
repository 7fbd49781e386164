using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Throttling;

/// <summary>Startup checks of <see cref="RateLimitingOptions"/>: every limit has a sane permit count and window.</summary>
internal sealed class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitingOptions options)
    {
        var failures = new OptionsFailures();
        Check(failures, "RateLimiting:Login:PerIp", options.Login.PerIp);
        Check(failures, "RateLimiting:Login:PerUsername", options.Login.PerUsername);
        Check(failures, "RateLimiting:Tokens:PerUser", options.Tokens.PerUser);
        return failures.Result;
    }

    private static void Check(OptionsFailures failures, string path, RateLimit limit)
    {
        if (limit.PermitLimit is < 1 or > 1_000_000)
        {
            failures.Add(path + ":PermitLimit", "must be between 1 and 1000000.");
        }

        if (limit.Window < TimeSpan.FromMilliseconds(100) || limit.Window > TimeSpan.FromDays(1))
        {
            failures.Add(path + ":Window", "must be between 00:00:00.1 and 1.00:00:00.");
        }
    }
}
