namespace AblyAuthServer.Hosting;

public static class SecurityHeaders
{
    /// <summary>The demo page loads only its own scripts, styles and images and talks only to this server.</summary>
    public const string DemoContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>API responses are data, never documents: nothing may load from them or frame them.</summary>
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    private static readonly PathString DemoPath = "/demo";

    // Swagger UI (Development only) runs its own inline bootstrap; its pages get no policy rather than a broken page.
    private static readonly PathString SwaggerPath = "/swagger";

    /// <summary>HSTS for one year (sent only over HTTPS, including HTTPS ended at a trusted proxy).</summary>
    public static IServiceCollection AddSecurityHeaders(this IServiceCollection services) =>
        services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(365));

    /// <summary>
    /// <c>nosniff</c>, <c>no-referrer</c>, <c>DENY</c> framing and a content security policy on every response
    /// (errors included: they are added as the response starts), unless the endpoint set its own policy; HSTS
    /// outside Development.
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
                // An endpoint that set its own policy (e.g. a page tailored to its files) keeps it.
                if (!headers.ContainsKey("Content-Security-Policy") && ContentSecurityPolicy(context.Request.Path) is { } policy)
                {
                    headers.ContentSecurityPolicy = policy;
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
        return app;
    }

    private static string? ContentSecurityPolicy(PathString path) =>
        path.StartsWithSegments(DemoPath, StringComparison.OrdinalIgnoreCase) ? DemoContentSecurityPolicy
        : path.StartsWithSegments(SwaggerPath, StringComparison.OrdinalIgnoreCase) && !path.Value!.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? null
        : ApiContentSecurityPolicy;
}
