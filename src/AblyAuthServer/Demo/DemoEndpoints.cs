using System.Collections.Frozen;
using AblyAuthServer.Hosting;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Demo;

public static class DemoEndpoints
{
    /// <summary>Where the page lives; the page's own URLs are relative to it.</summary>
    public const string BasePath = "/demo";

    /// <summary>The page only ever talks to this origin, so everything else can be refused.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The demo's files, embedded at build time (see the <c>EmbeddedResource</c> item in the project file) so the page
    /// works from any content root, a single-file publish or a chiseled container. Only these names are served.
    /// </summary>
    private static readonly FrozenDictionary<string, DemoAsset> Assets = new Dictionary<string, DemoAsset>
    {
        ["index.html"] = new("Demo/index.html", "text/html; charset=utf-8"),
        ["demo.css"] = new("Demo/demo.css", "text/css; charset=utf-8"),
        ["demo.js"] = new("Demo/demo.js", "text/javascript; charset=utf-8"),
        ["vendor/ably.min.js"] = new("Demo/vendor/ably.min.js", "text/javascript; charset=utf-8"),
        ["vendor/LICENSE"] = new("Demo/vendor/LICENSE", "text/plain; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Binds <see cref="DemoOptions"/> (<c>Demo:Enabled</c>, environment <c>DEMO__ENABLED</c>).</summary>
    public static IServiceCollection AddDemo(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>()
            .BindConfiguration(DemoOptions.SectionName)
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// When <c>Demo:Enabled</c> is true, maps <c>GET /demo</c> (a login form and a token inspector that uses ably-js with
    /// <c>authUrl: '/ably/token'</c>) and its assets under <c>/demo/</c>. Maps nothing otherwise, so the routes 404.
    /// </summary>
    public static IEndpointRouteBuilder MapDemo(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<DemoOptions>>().Value.Enabled)
        {
            return app;
        }

        // The page shows tokens: no cache keeps it or its scripts, which are also always fresh after an upgrade.
        var demo = app.MapGroup(BasePath).ExcludeFromDescription().WithContentSecurityPolicy(ContentSecurityPolicy).NoStore();
        demo.MapGet("", ServePage).WithName("GetDemoPage");
        demo.MapGet("/{**file}", ServeAsset).WithName("GetDemoAsset");
        return app;
    }

    private static IResult ServePage() => Serve("index.html");

    private static IResult ServeAsset(string file) => Serve(file);

    private static IResult Serve(string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return TypedResults.NotFound();
        }

        var stream = typeof(DemoEndpoints).Assembly.GetManifestResourceStream(asset.ResourceName)
            ?? throw new InvalidOperationException($"The demo asset {asset.ResourceName} is not embedded in the assembly.");

        return TypedResults.Stream(stream, asset.ContentType);
    }

    private sealed record DemoAsset(string ResourceName, string ContentType);
}
