namespace AblyAuthServer.Hosting;

/// <summary>Response policies an endpoint or group declares where it is mapped.</summary>
public static class EndpointConventionBuilderExtensions
{
    /// <summary>Every response, success or problem, carries <c>Cache-Control: no-store</c>.</summary>
    public static TBuilder NoStore<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoStoreMetadata.Instance);

    /// <summary>Successful responses carry <c>Cache-Control: public, max-age=…</c>; problems stay <c>no-store</c>.</summary>
    public static TBuilder CachePublicly<TBuilder>(this TBuilder builder, TimeSpan maxAge)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PublicCacheMetadata(maxAge));

    /// <summary>Responses carry <paramref name="policy"/> (null: no policy) instead of the API's deny-all policy.</summary>
    public static TBuilder WithContentSecurityPolicy<TBuilder>(this TBuilder builder, string? policy)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ContentSecurityPolicyMetadata(policy));
}
