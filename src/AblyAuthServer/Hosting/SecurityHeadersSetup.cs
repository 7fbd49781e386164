namespace AblyAuthServer.Hosting;

public static class SecurityHeadersSetup
{
    /// <summary>API responses are data, never documents: nothing may load from them or frame them.</summary>
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>HSTS for one year (sent only over HTTPS, including HTTPS ended at a trusted proxy).</summary>
    public static IServiceCollection AddSecurityHeaders(this IServiceCollection services) =>
        services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(365));

    /// <summary>
    /// <c>nosniff</c>, <c>no-referrer</c>, <c>DENY</c> framing and a content security policy on every response (errors
    /// included: they are added as the response starts), plus what the endpoint declares: its own policy
    /// (<see cref="ContentSecurityPolicyMetadata"/>), <c>Cache-Control: no-store</c> (<see cref="NoStoreMetadata"/>) or, for
    /// successful responses, public caching (<see cref="PublicCacheMetadata"/>).
    /// HSTS outside Development.
    /// </summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.Use(static (context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                var metadata = context.GetEndpoint()?.Metadata;
                var policy = metadata?.GetMetadata<ContentSecurityPolicyMetadata>() is { } own ? own.Policy : ApiContentSecurityPolicy;
                if (policy is not null)
                {
                    headers.ContentSecurityPolicy = policy;
                }

                if (metadata?.GetMetadata<NoStoreMetadata>() is not null)
                {
                    headers.CacheControl = "no-store";
                }
                else if (metadata?.GetMetadata<PublicCacheMetadata>() is { } cache && context.Response.StatusCode < StatusCodes.Status400BadRequest)
                {
                    headers.CacheControl = cache.HeaderValue;
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
        return app;
    }
}
