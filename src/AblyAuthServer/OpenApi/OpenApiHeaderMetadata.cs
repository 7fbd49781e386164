namespace AblyAuthServer.OpenApi;

/// <summary>A response header as the OpenAPI document describes it.</summary>
/// <param name="Name">The header name.</param>
/// <param name="Description">What it carries.</param>
/// <param name="IsInteger">An integer rather than a string.</param>
public sealed record OpenApiHeaderMetadata(string Name, string Description, bool IsInteger = false);
