namespace AblyAuthServer.Authentication;

/// <summary>Endpoint metadata: the caller sources an endpoint accepts, as its OpenAPI document describes them.</summary>
/// <param name="OpenApiSchemes">The names of the OpenAPI security schemes, any one of which is enough.</param>
public sealed record CallerSecurityMetadata(IReadOnlyList<string> OpenApiSchemes);
