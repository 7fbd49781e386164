using System.Text.Json.Nodes;

namespace AblyAuthServer.OpenApi;

/// <summary>Endpoint metadata: an optional query parameter read by a type that binds itself.</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="Description">What it does.</param>
/// <param name="Example">An example value.</param>
/// <param name="IsInteger">An integer (int64) rather than a string.</param>
public sealed record OpenApiQueryParameterMetadata(string Name, string Description, JsonNode Example, bool IsInteger = false);
