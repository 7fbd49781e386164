using AblyAuthServer.Ably;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>Startup checks of <see cref="AblyOptions"/>, one line per problem, never echoing the key.</summary>
internal sealed class AblyOptionsValidator : IValidateOptions<AblyOptions>
{
    public ValidateOptionsResult Validate(string? name, AblyOptions options)
    {
        var failures = new OptionsFailures();
        AblyKeyConfiguration.Load(options, SecretConfiguration.ApiKeyVariableSet, failures);
        if (options.KeysFileCheckInterval < TimeSpan.FromSeconds(1) || options.KeysFileCheckInterval > TimeSpan.FromHours(1))
        {
            failures.Add("Ably:KeysFileCheckInterval", "must be between 00:00:01 and 01:00:00.");
        }

        if (options.MaxTtl < GrantResolver.MinimumTtl || options.MaxTtl > AblyOptions.AblyMaxTtl)
        {
            failures.Add("Ably:MaxTtl", "must be between 00:00:01 and 1.00:00:00 (24 hours).");
        }
        else if (options.Revocable && options.MaxTtl > AblyOptions.RevocableMaxTtl)
        {
            // Ably refuses a revocable token that lives longer, when it is created and when it is presented.
            failures.Add("Ably:MaxTtl", "must be at most 01:00:00 when Ably:Revocable is true (Ably's limit for revocable tokens).");
        }

        if (options.DefaultTtl < GrantResolver.MinimumTtl || options.DefaultTtl > options.MaxTtl)
        {
            failures.Add("Ably:DefaultTtl", "must be at least 00:00:01 and at most Ably:MaxTtl.");
        }

        if (options.MaxJwtBytes is < 512 or > 128 * 1024)
        {
            failures.Add("Ably:MaxJwtBytes", "must be between 512 and 131072.");
        }

        if (!Uri.TryCreate(options.RestHost, UriKind.Absolute, out var host) || host.Scheme is not ("https" or "http")
            || !string.IsNullOrEmpty(host.Query) || !string.IsNullOrEmpty(host.Fragment) || !string.IsNullOrEmpty(host.UserInfo))
        {
            failures.Add("Ably:RestHost", "must be an absolute http(s) URL without query or credentials, such as https://main.realtime.ably.net.");
        }

        if (options.RestTimeout < TimeSpan.FromMilliseconds(100) || options.RestTimeout > TimeSpan.FromMinutes(1))
        {
            failures.Add("Ably:RestTimeout", "must be between 00:00:00.1 and 00:01:00.");
        }

        if (options.AblyTokenTimeout < TimeSpan.FromMilliseconds(200) || options.AblyTokenTimeout > TimeSpan.FromMinutes(1))
        {
            failures.Add("Ably:AblyTokenTimeout", "must be between 00:00:00.2 and 00:01:00 (keep it below Hosting:RequestTimeout).");
        }

        if (options.RevocationAlertAfter < TimeSpan.FromSeconds(1) || options.RevocationAlertAfter > AblyOptions.RevocableMaxTtl)
        {
            failures.Add("Ably:RevocationAlertAfter", "must be between 00:00:01 and 01:00:00 (revocations older than Ably:MaxTtl have nothing left to revoke).");
        }

        if (options.RevocationPollInterval < TimeSpan.FromMilliseconds(50) || options.RevocationPollInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add("Ably:RevocationPollInterval", "must be between 00:00:00.05 and 00:01:00.");
        }

        if (options.ClockCheckInterval < TimeSpan.FromSeconds(1) || options.ClockCheckInterval > TimeSpan.FromDays(1))
        {
            failures.Add("Ably:ClockCheckInterval", "must be between 00:00:01 and 1.00:00:00.");
        }

        if (options.MaxClockSkew < TimeSpan.FromMilliseconds(100) || options.MaxClockSkew > TimeSpan.FromHours(1))
        {
            failures.Add("Ably:MaxClockSkew", "must be between 00:00:00.1 and 01:00:00.");
        }

        return failures.Result;
    }
}
