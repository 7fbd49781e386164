using System.ComponentModel.DataAnnotations;
using AblyAuthServer.Ably;
using AblyAuthServer.Policies;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Tokens;

/// <summary><c>Ably</c>: the key tokens are signed with and the limits every token obeys.</summary>
public sealed class AblyOptions
{
    public const string SectionName = "Ably";

    /// <summary>Ably's own ceiling for token lifetimes.</summary>
    public static readonly TimeSpan AblyMaxTtl = TimeSpan.FromHours(24);

    /// <summary><c>appId.keyId:secret</c>; from <c>ABLY_API_KEY</c> or the file named by <c>ABLY_API_KEY_FILE</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>TTL when the request names none.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Requested TTLs above this are clamped to it; at most 24 hours. One hour by default: a token outlives the logout,
    /// disabling or theft of the credential that minted it by at most this long, and the SDKs renew tokens on their own.
    /// </summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>JWTs travel in HTTP headers; larger ones are refused in favour of a TokenRequest.</summary>
    [Range(512, 128 * 1024)]
    public int MaxJwtBytes { get; set; } = 8 * 1024;
}

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
