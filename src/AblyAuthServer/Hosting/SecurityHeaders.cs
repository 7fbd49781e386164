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
    /// (errors included: they are added as the response starts); HSTS outside Development.
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
                var path = context.Request.Path;
                if (path.StartsWithSegments(DemoPath, StringComparison.OrdinalIgnoreCase))
                {
                    headers.ContentSecurityPolicy = DemoContentSecurityPolicy;
                }
                else if (!path.StartsWithSegments(SwaggerPath, StringComparison.OrdinalIgnoreCase)
                    || path.Value!.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                {
                    headers.ContentSecurityPolicy = ApiContentSecurityPolicy;
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
        return app;
    }
}
