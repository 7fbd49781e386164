using System.Globalization;

namespace AblyAuthServer.Hosting;

/// <summary>
/// Endpoint metadata: successful responses may be kept by any cache for <see cref="MaxAge"/> (public documents such
/// as published keys); problems are never cached.
/// </summary>
/// <param name="MaxAge">How long a cache may keep a response.</param>
public sealed record PublicCacheMetadata(TimeSpan MaxAge)
{
    public string HeaderValue { get; } = "public, max-age=" + ((long)MaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
