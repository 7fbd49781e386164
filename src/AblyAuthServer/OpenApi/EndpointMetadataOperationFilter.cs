using System.Globalization;
using System.Text.Json.Nodes;
using AblyAuthServer.Authentication;
using AblyAuthServer.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AblyAuthServer.OpenApi;

/// <summary>
/// Completes each operation from what its endpoint declared where it was mapped, and from nothing else (no path or
/// operation id is recognised here): security from <see cref="CallerSecurityMetadata"/>, query parameters, response
/// descriptions, headers and examples, error-contract headers, and <c>Cache-Control</c> from <see cref="NoStoreMetadata"/> or <see cref="PublicCacheMetadata"/>.
/// </summary>
internal sealed class EndpointMetadataOperationFilter : IOperationFilter
{
    private const string ExampleTraceId = "00-0cbeca4557384ba3d648c23aaed3ddec-da9f1a3cd5f029cf-00";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var security = metadata.OfType<CallerSecurityMetadata>().LastOrDefault();

        // An endpoint that asks for no caller (login: how a caller gets credentials) declares none, explicitly.
        operation.Security = security is null
            ? []
            : [.. security.OpenApiSchemes.Select(scheme => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] })];

        foreach (var parameter in metadata.OfType<OpenApiQueryParameterMetadata>())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(Query(parameter));
        }

        var descriptions = metadata.OfType<OpenApiResponseMetadata>().ToList();
        var errorHeaders = metadata.OfType<IOpenApiErrorHeadersMetadata>().SelectMany(m => m.ErrorHeaders).ToList();
        var noStore = metadata.OfType<NoStoreMetadata>().Any();
        var publicCache = metadata.OfType<PublicCacheMetadata>().LastOrDefault();
        foreach (var (statusText, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse concrete || !int.TryParse(statusText, CultureInfo.InvariantCulture, out var status))
            {
                continue;
            }

            // The last declaration wins, so an endpoint can refine what its group said.
            if (descriptions.LastOrDefault(d => d.StatusCode == status) is { } declared)
            {
                concrete.Description = declared.Description;
                foreach (var header in declared.Headers)
                {
                    AddHeader(concrete, header);
                }
            }

            if (status < 400)
            {
                if (noStore && status != StatusCodes.Status204NoContent)
                {
                    AddHeader(concrete, new OpenApiHeaderMetadata("Cache-Control", "Always 'no-store'."));
                }
                else if (publicCache is not null)
                {
                    AddHeader(concrete, new OpenApiHeaderMetadata("Cache-Control", $"'{publicCache.HeaderValue}': any cache may keep it that long."));
                }

                continue;
            }

            if (status == StatusCodes.Status429TooManyRequests)
            {
                AddHeader(concrete, new OpenApiHeaderMetadata("Retry-After", "Seconds until another attempt may succeed.", IsInteger: true));
            }

            if (status == StatusCodes.Status401Unauthorized && security is not null)
            {
                AddHeader(concrete, new OpenApiHeaderMetadata("WWW-Authenticate", "The scheme to authenticate with: Bearer, or Basic after a failed Basic attempt."));
            }

            foreach (var header in errorHeaders)
            {
                AddHeader(concrete, header);
            }

            SetExample(concrete, "*", ProblemExample(status, concrete.Description));
        }

        foreach (var example in metadata.OfType<OpenApiExampleMetadata>())
        {
            if (example.StatusCode is { } status)
            {
                if (operation.Responses?.TryGetValue(status.ToString(CultureInfo.InvariantCulture), out var response) == true && response is OpenApiResponse concrete)
                {
                    SetExample(concrete, example.MediaType, example.Example);
                }
            }
            else if (operation.RequestBody?.Content?.TryGetValue(example.MediaType, out var media) == true && media is OpenApiMediaType concreteMedia)
            {
                concreteMedia.Example = example.Example.DeepClone();
            }
        }
    }

    private static void SetExample(OpenApiResponse response, string mediaType, JsonNode example)
    {
        foreach (var (type, media) in response.Content ?? new Dictionary<string, IOpenApiMediaType>())
        {
            if (media is OpenApiMediaType concrete && (mediaType == "*" || mediaType == type))
            {
                concrete.Example = example.DeepClone();
            }
        }
    }

    private static JsonObject ProblemExample(int status, string? description) => new()
    {
        ["type"] = status switch
        {
            StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
            // RFC 9110 numbers client errors 15.5.x from 400 and server errors 15.6.x from 500, as the problems themselves do.
            >= 500 => "https://tools.ietf.org/html/rfc9110#section-15.6." + (status - 499).ToString(CultureInfo.InvariantCulture),
            _ => "https://tools.ietf.org/html/rfc9110#section-15.5." + (status - 399).ToString(CultureInfo.InvariantCulture),
        },
        ["title"] = ReasonPhrases.GetReasonPhrase(status),
        ["status"] = status,
        ["detail"] = description,
        ["traceId"] = ExampleTraceId,
    };

    private static void AddHeader(OpenApiResponse response, OpenApiHeaderMetadata header)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[header.Name] = new OpenApiHeader
        {
            Description = header.Description,
            Schema = new OpenApiSchema { Type = header.IsInteger ? JsonSchemaType.Integer : JsonSchemaType.String },
        };
    }

    private static OpenApiParameter Query(OpenApiQueryParameterMetadata parameter) => new()
    {
        Name = parameter.Name,
        In = ParameterLocation.Query,
        Required = false,
        Description = parameter.Description,
        Schema = new OpenApiSchema
        {
            Type = parameter.IsInteger ? JsonSchemaType.Integer : JsonSchemaType.String,
            Format = parameter.IsInteger ? "int64" : null,
        },
        Example = parameter.Example.DeepClone(),
    };
}
