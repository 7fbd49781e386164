namespace AblyAuthServer.OpenApi;

/// <summary>Endpoint metadata: what one response status means for this endpoint, and the headers it carries.</summary>
/// <param name="StatusCode">The status.</param>
/// <param name="Description">What it means, for readers and client generators.</param>
/// <param name="Headers">Headers this response carries.</param>
public sealed record OpenApiResponseMetadata(int StatusCode, string Description, IReadOnlyList<OpenApiHeaderMetadata> Headers);
