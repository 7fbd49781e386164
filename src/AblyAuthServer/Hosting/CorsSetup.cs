using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

public static class CorsSetup
{
    /// <summary>The policy the login, logout and <c>/ably</c> endpoints require.</summary>
    public const string PolicyName = "AblyClients";

    /// <summary>Headers ably-js reads from a refusal, which browsers hide from cross-origin scripts unless exposed.</summary>
    public static readonly string[] ExposedHeaders = ["X-Ably-ErrorCode", "X-Ably-ErrorMessage", "Retry-After"];

    /// <summary>
    /// One credentialed policy for exactly the configured origins: GET and POST with the headers ably-js and a login
    /// form send, exposing the Ably error headers. A <c>*</c> origin stops startup: credentials and <c>*</c> never mix.
    /// </summary>
    public static IServiceCollection AddCrossOriginPolicy(this IServiceCollection services)
    {
        services.AddOptions<CrossOriginOptions>().BindConfiguration(CrossOriginOptions.SectionName)
            .Validate(o => !o.AllowedOrigins.Any(origin => origin.Contains('*', StringComparison.Ordinal)),
                "Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>) must not contain '*': credentials are allowed, so list exact origins such as https://app.example.com.")
            .Validate(o => o.AllowedOrigins.All(origin => origin.Contains('*', StringComparison.Ordinal) || IsOrigin(origin)),
                "Cors:AllowedOrigins (CORS__ALLOWEDORIGINS__<n>) must list origins as scheme://host[:port], with no path, e.g. https://app.example.com.")
            .ValidateOnStart();

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<CrossOriginOptions>>((cors, origins) =>
            cors.AddPolicy(PolicyName, policy => policy
                .WithOrigins(origins.Value.AllowedOrigins)
                .AllowCredentials()
                .WithMethods(HttpMethods.Get, HttpMethods.Post)
                .WithHeaders("Authorization", "Content-Type", "Accept")
                .WithExposedHeaders(ExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return services;
    }

    private static bool IsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath == "/" && !origin.EndsWith('/') && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && string.IsNullOrEmpty(uri.UserInfo);
}
