using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

/// <summary>Startup checks of <see cref="CrossOriginOptions"/>: exact origins only, since credentials are allowed.</summary>
internal sealed class CrossOriginOptionsValidator : IValidateOptions<CrossOriginOptions>
{
    public ValidateOptionsResult Validate(string? name, CrossOriginOptions options)
    {
        var failures = new OptionsFailures();
        if (options.AllowedOrigins.Any(origin => origin.Contains('*', StringComparison.Ordinal)))
        {
            failures.AddLine("Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>) must not contain '*': credentials are allowed, so list exact origins such as https://app.example.com.");
        }
        else if (!options.AllowedOrigins.All(IsOrigin))
        {
            failures.AddLine("Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>) must list origins as scheme://host[:port], with no path, e.g. https://app.example.com.");
        }

        return failures.Result;
    }

    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath == "/" && !origin.EndsWith('/') && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && string.IsNullOrEmpty(uri.UserInfo);
}
