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
        services.AddOptions<CrossOriginOptions>().BindConfiguration(CrossOriginOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CrossOriginOptions>, CrossOriginOptionsValidator>();

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

}
