using System.Text.Json.Nodes;

namespace AblyAuthServer.OpenApi;

/// <summary>How an endpoint describes its responses where it is mapped; read by <see cref="EndpointMetadataOperationFilter"/>.</summary>
public static class OpenApiEndpointExtensions
{
    /// <summary>What <paramref name="statusCode"/> means here, with an example body (of the response's first media type) and headers.</summary>
    public static TBuilder WithResponse<TBuilder>(
        this TBuilder builder, int statusCode, string description, JsonNode? example = null, params OpenApiHeaderMetadata[] headers)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new OpenApiResponseMetadata(statusCode, description, headers));
        return example is null ? builder : builder.WithMetadata(new OpenApiExampleMetadata(statusCode, "*", example));
    }

    /// <summary>Problem responses for <paramref name="statusCodes"/>, each with its description.</summary>
    public static RouteHandlerBuilder WithProblems(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var status in statusCodes)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    /// <summary>Describes problem statuses for every endpoint of a group (texts that hold for all of them).</summary>
    public static TBuilder WithProblemDescriptions<TBuilder>(this TBuilder builder, params (int StatusCode, string Description)[] descriptions)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var (status, description) in descriptions)
        {
            builder.WithMetadata(new OpenApiResponseMetadata(status, description, []));
        }

        return builder;
    }
}
