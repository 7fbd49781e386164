using System.Text.Json.Nodes;

namespace AblyAuthServer.OpenApi;

/// <summary>Endpoint metadata: an example for the request body (<see cref="StatusCode"/> null) or for one response.</summary>
/// <param name="StatusCode">The response it illustrates, or null for the request body.</param>
/// <param name="MediaType">The media type whose example it is.</param>
/// <param name="Example">The example value.</param>
public sealed record OpenApiExampleMetadata(int? StatusCode, string MediaType, JsonNode Example);
