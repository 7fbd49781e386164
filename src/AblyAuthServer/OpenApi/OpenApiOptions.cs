namespace AblyAuthServer.OpenApi;

/// <summary><c>OpenApi</c>: whether the document and Swagger UI are served.</summary>
public sealed class OpenApiOptions
{
    public const string SectionName = "OpenApi";

    public bool Enabled { get; set; } = true;

    public bool SwaggerUi { get; set; }
}
