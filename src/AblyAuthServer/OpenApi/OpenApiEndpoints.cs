namespace AblyAuthServer.OpenApi;

/// <summary><c>OpenApi</c>: whether the document and Swagger UI are served.</summary>
public sealed class OpenApiOptions
{
    public const string SectionName = "OpenApi";

    public bool Enabled { get; set; } = true;

    public bool SwaggerUi { get; set; }
}

public static class OpenApiEndpoints
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddOpenApiDocument(this IServiceCollection services)
    {
        services.AddOptions<OpenApiOptions>().BindConfiguration(OpenApiOptions.SectionName);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc(DocumentName, new()
            {
                Title = "AblyAuthServer",
                Version = "v1",
                Description = "Logs app users in and issues Ably JWTs and TokenRequests whose clientId and capability come from per-role policy.",
            });
            swagger.SupportNonNullableReferenceTypes();
        });
        return services;
    }

    public static WebApplication MapOpenApiDocument(this WebApplication app)
    {
        var options = app.Configuration.GetSection(OpenApiOptions.SectionName).Get<OpenApiOptions>() ?? new OpenApiOptions();
        if (options.Enabled)
        {
            app.UseSwagger();
            if (options.SwaggerUi)
            {
                app.UseSwaggerUI();
            }
        }

        return app;
    }
}
