namespace AblyAuthServer.Hosting.Telemetry;

/// <summary><c>Metrics</c>: where Prometheus scrapes <c>/metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>A second port that serves only <c>/metrics</c>; unset (the default), no scrape endpoint exists anywhere.</summary>
    public int? Port { get; set; }

    /// <summary>The address the metrics port binds to: <c>*</c> (every interface, the default) or an IP address.</summary>
    public string Host { get; set; } = "*";
}
