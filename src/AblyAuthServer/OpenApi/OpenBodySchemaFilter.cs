using Microsoft.OpenApi;

namespace AblyAuthServer.OpenApi;

/// <summary>Request bodies may carry fields the server ignores (ably-js adds authParams), so they are not closed.</summary>
internal sealed class OpenBodySchemaFilter : Swashbuckle.AspNetCore.SwaggerGen.ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, Swashbuckle.AspNetCore.SwaggerGen.SchemaFilterContext context)
    {
        if (schema is OpenApiSchema concrete && context.Type == typeof(AblyAuthServer.Tokens.TokenParametersBody))
        {
            concrete.AdditionalPropertiesAllowed = true;
        }
    }
}
