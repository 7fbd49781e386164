using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// Startup checks of <see cref="EmbeddedTokensOptions"/>, one line per problem. The issuer must be an origin that APIs
/// can fetch discovery from, over https except in Development or on a loopback host (where there is no certificate to
/// present and nothing else can connect).
/// </summary>
internal sealed class EmbeddedTokensOptionsValidator(IHostEnvironment environment) : IValidateOptions<EmbeddedTokensOptions>
{
    public static readonly TimeSpan MinKeyLifetime = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxKeyLifetime = TimeSpan.FromDays(365);
    public static readonly TimeSpan MinKeyPrepublication = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinKeyRefreshInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxKeyRefreshInterval = TimeSpan.FromMinutes(30);

    private const string Issuer = "EmbeddedTokens:Issuer";
    private const string Audience = "EmbeddedTokens:Audience";

    public ValidateOptionsResult Validate(string? name, EmbeddedTokensOptions options)
    {
        var failures = new OptionsFailures();
        if (options.IsEnabled)
        {
            CheckIssuer(failures, options.Issuer!);
            if (string.IsNullOrWhiteSpace(options.Audience))
            {
                failures.Add(Audience, $"is missing: name the audience your APIs expect (e.g. https://api.example.com) whenever {Issuer} is set.");
            }
            else if (options.Audience != options.Audience.Trim())
            {
                failures.Add(Audience, "starts or ends with whitespace, which APIs would have to repeat exactly.");
            }
        }

        var lifetimeValid = options.KeyLifetime >= MinKeyLifetime && options.KeyLifetime <= MaxKeyLifetime;
        if (!lifetimeValid)
        {
            failures.Add("EmbeddedTokens:KeyLifetime", "must be between 1.00:00:00 (a day) and 365.00:00:00.");
        }

        // Compared with the lifetime only when that is valid: one wrong setting, one line.
        if (options.KeyPrepublication < MinKeyPrepublication || (lifetimeValid && options.KeyPrepublication > options.KeyLifetime / 2))
        {
            failures.Add("EmbeddedTokens:KeyPrepublication", "must be at least 01:00:00 and at most half of EmbeddedTokens:KeyLifetime.");
        }

        if (options.KeyRefreshInterval < MinKeyRefreshInterval || options.KeyRefreshInterval > MaxKeyRefreshInterval)
        {
            failures.Add("EmbeddedTokens:KeyRefreshInterval", "must be between 00:00:10 and 00:30:00.");
        }

        return failures.Result;
    }

    private void CheckIssuer(OptionsFailures failures, string issuer)
    {
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || issuer != issuer.Trim()
            || uri.UserInfo.Length > 0
            || uri.AbsolutePath != "/"
            || issuer.Contains('?', StringComparison.Ordinal)
            || issuer.Contains('#', StringComparison.Ordinal))
        {
            failures.Add(Issuer, "must be this server's public origin as an absolute http(s) URL with no path, query or fragment, e.g. https://auth.example.com.");
        }
        else if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback && !environment.IsDevelopment())
        {
            failures.Add(Issuer, "is plain http: use https (http is accepted only in Development or for a loopback host).");
        }
    }
}
