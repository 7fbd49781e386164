namespace AblyAuthServer.Hosting;

/// <summary><c>ForwardedHeaders</c>: the reverse proxies and load balancers whose X-Forwarded-* headers are believed.</summary>
public sealed class TrustedProxyOptions
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.2</c>. Empty by default: no proxy, not even loopback, is trusted.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];
}
