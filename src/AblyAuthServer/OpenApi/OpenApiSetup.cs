using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using Microsoft.OpenApi;

namespace AblyAuthServer.OpenApi;

public static class OpenApiSetup
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    /// <summary>The OpenAPI document: operations, schemas, security schemes and examples for client generators.</summary>
    public static IServiceCollection AddOpenApiDocument(this IServiceCollection services)
    {
        services.AddOptions<OpenApiOptions>().BindConfiguration(OpenApiOptions.SectionName);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "AblyAuthServer",
                Version = "v1",
                Description = "Logs an app's users in and issues Ably JWTs and TokenRequests whose clientId and capability come from "
                    + "per-role policy. Point an Ably SDK's authUrl at /ably/token (or /ably/token-request). Errors are RFC 9457 problem details; "
                    + "401 means authenticate again (SDKs retry later), 403 means refused (SDKs stop).",
            });
            swagger.SupportNonNullableReferenceTypes();
            swagger.NonNullableReferenceTypesAsRequired();

            // Relative, so the committed document does not depend on where the server runs.
            swagger.AddServer(new OpenApiServer { Url = "/", Description = "This server" });
            swagger.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, "AblyAuthServer.xml"));
            swagger.AddSecurityDefinition(AuthenticationSetup.SessionBearerOpenApiScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The sessionToken from POST /auth/login, as 'Authorization: Bearer <sessionToken>'.",
            });
            swagger.AddSecurityDefinition(AuthenticationSetup.SessionCookieOpenApiScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Cookie,
                Name = "ably_session",
                Description = "The HttpOnly session cookie set by POST /auth/login (its name is Sessions:CookieName).",
            });
            swagger.AddSecurityDefinition(AuthenticationSetup.BasicOpenApiScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "An account's user name and password on every request (Auth:AllowBasic).",
            });
            swagger.AddSecurityDefinition(AuthenticationSetup.IssuerBearerOpenApiScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access or ID token from an identity provider configured in Auth:Issuers, as 'Authorization: Bearer <JWT>'; exchanged for an Ably token with the provider's subject as clientId.",
            });
            swagger.OperationFilter<EndpointMetadataOperationFilter>();
            swagger.DocumentFilter<TagDescriptionsFilter>();
            swagger.SchemaFilter<OpenSchemaFilter>();
        });
        return services;
    }

    /// <summary>
    /// The document at <see cref="DocumentPath"/> and, when switched on, Swagger UI under <c>/swagger</c>, both as
    /// endpoints, so they carry their own response policies: Swagger UI runs inline bootstrap code, so its pages declare
    /// no content security policy rather than break under the API's deny-all one.
    /// </summary>
    public static WebApplication MapOpenApiDocument(this WebApplication app)
    {
        var options = app.Configuration.GetSection(OpenApiOptions.SectionName).Get<OpenApiOptions>() ?? new OpenApiOptions();
        if (!options.Enabled)
        {
            return app;
        }

        app.MapSwagger().ExcludeFromDescription();
        if (options.SwaggerUi)
        {
            var ui = ((IApplicationBuilder)app).New().UseSwaggerUI().Build();
            app.Map("/swagger", ui).WithContentSecurityPolicy(null).ExcludeFromDescription();
            app.Map("/swagger/{**asset}", ui).WithContentSecurityPolicy(null).ExcludeFromDescription();
        }

        return app;
    }

    /// <summary>The document as JSON, exactly as the middleware serves it.</summary>
    public static string Serialize(OpenApiDocument document)
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        document.SerializeAsV3(new OpenApiJsonWriter(writer));
        return writer.ToString();
    }
}
