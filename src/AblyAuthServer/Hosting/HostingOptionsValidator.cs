using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>Startup checks of <see cref="HostingOptions"/>, one line per problem.</summary>
internal sealed class HostingOptionsValidator : IValidateOptions<HostingOptions>
{
    public ValidateOptionsResult Validate(string? name, HostingOptions options)
    {
        var failures = new OptionsFailures();
        if (options.ShutdownTimeout <= TimeSpan.Zero || options.ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add("Hosting:ShutdownTimeout", "must be between 00:00:00.001 and 00:10:00.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("Hosting:RequestTimeout", "must be between 00:00:00.001 and 00:05:00.");
        }

        if (options.MaxRequestHeaderCount is < 16 or > 1000)
        {
            failures.Add("Hosting:MaxRequestHeaderCount", "must be between 16 and 1000.");
        }

        if (options.MaxRequestHeadersTotalSize is < 8 * 1024 or > 1024 * 1024)
        {
            failures.Add("Hosting:MaxRequestHeadersTotalSize", "must be between 8192 and 1048576 bytes.");
        }

        if (options.MaxRequestBodySize is < SmallBody.MaxBytes or > 100 * 1024 * 1024)
        {
            failures.Add("Hosting:MaxRequestBodySize", $"must be between {SmallBody.MaxBytes} and 104857600 bytes.");
        }

        return failures.Result;
    }
}
