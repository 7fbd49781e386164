using AblyAuthServer.Ably;
using AblyAuthServer.Hosting;
using AblyAuthServer.Policies;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>Startup checks of <see cref="AblyOptions"/>, one line per problem, never echoing the key.</summary>
internal sealed class AblyOptionsValidator : IValidateOptions<AblyOptions>
{
    private const string ApiKey = "Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE)";

    public ValidateOptionsResult Validate(string? name, AblyOptions options)
    {
        var failures = new OptionsFailures();
        if (!AblyKey.TryParse(options.ApiKey, out var key, out var keyError))
        {
            failures.AddLine($"{ApiKey} {keyError}.");
        }
        else if (key!.SecretLength < AblyKey.MinimumJwtSecretBytes)
        {
            // HS256 signing in Microsoft.IdentityModel refuses shorter keys; Ably's own secrets are 43 characters.
            failures.AddLine($"{ApiKey} is malformed: the secret is shorter than {AblyKey.MinimumJwtSecretBytes} bytes.");
        }

        if (options.MaxTtl < GrantResolver.MinimumTtl || options.MaxTtl > AblyOptions.AblyMaxTtl)
        {
            failures.Add("Ably:MaxTtl", "must be between 00:00:01 and 1.00:00:00 (24 hours).");
        }

        if (options.DefaultTtl < GrantResolver.MinimumTtl || options.DefaultTtl > options.MaxTtl)
        {
            failures.Add("Ably:DefaultTtl", "must be at least 00:00:01 and at most Ably:MaxTtl.");
        }

        if (options.MaxJwtBytes is < 512 or > 128 * 1024)
        {
            failures.Add("Ably:MaxJwtBytes", "must be between 512 and 131072.");
        }

        return failures.Result;
    }
}
