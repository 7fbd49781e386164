namespace AblyAuthServer.Hosting;

/// <summary><c>Hosting</c>: how long shutdown and requests may take, and how large requests may be.</summary>
public sealed class HostingOptions
{
    public const string SectionName = "Hosting";

    /// <summary>On SIGTERM, how long in-flight requests may run before the process stops anyway.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every endpoint's time limit; Ably SDKs give up on an authUrl after 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public int MaxRequestHeaderCount { get; set; } = 50;

    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Kestrel's limit for any request; the login and token endpoints allow only <see cref="SmallBody.MaxBytes"/>.</summary>
    public long MaxRequestBodySize { get; set; } = 64 * 1024;
}
