using AblyAuthServer.Ably;
using AblyAuthServer.Policies;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary>Startup checks with one message per setting, never echoing the key.</summary>
internal sealed class AblyOptionsValidator : IValidateOptions<AblyOptions>
{
    public ValidateOptionsResult Validate(string? name, AblyOptions options)
    {
        var failures = new List<string>();
        if (!AblyKey.TryParse(options.ApiKey, out var key, out var keyError))
        {
            failures.Add($"Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE) {keyError}.");
        }
        else if (key!.SecretLength < AblyKey.MinimumJwtSecretBytes)
        {
            // HS256 signing in Microsoft.IdentityModel refuses shorter keys; Ably's own secrets are 43 characters.
            failures.Add($"Ably:ApiKey (environment ABLY_API_KEY or ABLY_API_KEY_FILE) is malformed: the secret is shorter than {AblyKey.MinimumJwtSecretBytes} bytes.");
        }

        if (options.MaxTtl < GrantResolver.MinimumTtl || options.MaxTtl > AblyOptions.AblyMaxTtl)
        {
            failures.Add("Ably:MaxTtl (ABLY__MAXTTL) must be between 00:00:01 and 1.00:00:00 (24 hours).");
        }

        if (options.DefaultTtl < GrantResolver.MinimumTtl || options.DefaultTtl > options.MaxTtl)
        {
            failures.Add("Ably:DefaultTtl (ABLY__DEFAULTTTL) must be at least 00:00:01 and at most Ably:MaxTtl.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
