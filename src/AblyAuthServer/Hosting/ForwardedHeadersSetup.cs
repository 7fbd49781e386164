using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace AblyAuthServer.Hosting;

public static partial class ForwardedHeadersSetup
{
    /// <summary>
    /// X-Forwarded-For and X-Forwarded-Proto, honoured only when the connection comes from a configured proxy
    /// (each further hop too), so the client IP (rate limits, logs) and the scheme (HSTS, Secure cookies) cannot be
    /// forged by clients that reach the server directly.
    /// </summary>
    public static IServiceCollection AddTrustedForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrustedProxyOptions>, TrustedProxyOptionsValidator>();

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET trusts loopback by default; here only what is configured is trusted.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }

            // Walk X-Forwarded-For from the right while each hop is a trusted proxy (not just the last one),
            // so chains of configured proxies work and the first untrusted address is the client.
            forwarded.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>
    /// Applies trusted proxies' headers, and warns once when X-Forwarded-For arrives from a peer that is not trusted: the
    /// header is then ignored, and every client behind that proxy shares one address for the per-address login limit.
    /// </summary>
    public static IApplicationBuilder UseTrustedForwardedHeaders(this IApplicationBuilder app)
    {
        // With no proxy configured the framework's middleware checks no sender at all and believes every client's
        // headers, so it runs only when there is someone to trust.
        var trusted = app.ApplicationServices.GetRequiredService<IOptions<TrustedProxyOptions>>().Value;
        if (trusted.KnownProxies.Length > 0 || trusted.KnownNetworks.Length > 0)
        {
            app.UseForwardedHeaders();
        }

        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ForwardedHeadersSetup).FullName!);
        var warned = 0;
        return app.Use((context, next) =>
        {
            // X-Original-For is set only when a trusted proxy's header was applied.
            var headers = context.Request.Headers;
            if (Volatile.Read(ref warned) == 0 && headers.ContainsKey(ForwardedHeadersDefaults.XForwardedForHeaderName)
                && !headers.ContainsKey(ForwardedHeadersDefaults.XOriginalForHeaderName) && Interlocked.Exchange(ref warned, 1) == 0)
            {
                LogUntrustedProxy(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            }

            return next(context);
        });
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Warning,
        Message = "A request from {Peer} carried X-Forwarded-For, but {Peer} is not a trusted proxy (ForwardedHeaders:KnownProxies, ForwardedHeaders:KnownNetworks). The header is ignored, so clients behind that proxy share its address for rate limits and logs. Logged once.")]
    private static partial void LogUntrustedProxy(ILogger logger, string peer);

}
