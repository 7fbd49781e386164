using System.Text.RegularExpressions;
using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Sessions;

/// <summary>Startup checks of <see cref="SessionsOptions"/>, one line per problem.</summary>
internal sealed partial class SessionsOptionsValidator : IValidateOptions<SessionsOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionsOptions options)
    {
        var failures = new OptionsFailures();
        if (options.Lifetime <= TimeSpan.Zero)
        {
            failures.Add("Sessions:Lifetime", "must be positive.");
        }

        if (options.AccountCheckInterval < TimeSpan.Zero)
        {
            failures.Add("Sessions:AccountCheckInterval", "must not be negative.");
        }

        if (string.IsNullOrEmpty(options.CookieName) || !CookieNamePattern().IsMatch(options.CookieName))
        {
            failures.Add("Sessions:CookieName", "must be letters, digits, '_', '.' or '-'.");
        }

        return failures.Result;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex CookieNamePattern();
}
