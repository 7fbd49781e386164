namespace AblyAuthServer.Hosting;

/// <summary>Endpoint metadata: no response from this endpoint may be kept by a browser or proxy cache.</summary>
public sealed class NoStoreMetadata
{
    public static NoStoreMetadata Instance { get; } = new();

    private NoStoreMetadata()
    {
    }
}
