using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting.Telemetry;

/// <summary>Startup checks of <see cref="MetricsOptions"/>.</summary>
internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var failures = new OptionsFailures();
        if (options.Port is <= 0 or > 65535)
        {
            failures.Add("Metrics:Port", "must be between 1 and 65535.");
        }

        if (options.Host != "*" && !System.Net.IPAddress.TryParse(options.Host, out _))
        {
            failures.Add("Metrics:Host", "must be * or an IP address.");
        }

        return failures.Result;
    }
}
