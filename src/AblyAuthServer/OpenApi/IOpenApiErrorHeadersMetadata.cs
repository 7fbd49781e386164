namespace AblyAuthServer.OpenApi;

/// <summary>Endpoint metadata that adds headers to every error response of its endpoint (an error contract).</summary>
public interface IOpenApiErrorHeadersMetadata
{
    IReadOnlyList<OpenApiHeaderMetadata> ErrorHeaders { get; }
}
