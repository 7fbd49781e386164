using System.Reflection;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AblyAuthServer.OpenApi;

/// <summary>Leaves the schemas of types marked <see cref="OpenSchemaAttribute"/> open to additional properties.</summary>
internal sealed class OpenSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is OpenApiSchema concrete && context.Type.GetCustomAttribute<OpenSchemaAttribute>() is not null)
        {
            concrete.AdditionalPropertiesAllowed = true;
        }
    }
}
