namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>How a <see cref="TestIssuer"/> presents itself and mints by default.</summary>
public sealed record TestIssuerOptions
{
    /// <summary>The audience the server under test will be configured to expect.</summary>
    public const string DefaultAudience = "https://ably-auth.test";

    /// <summary>
    /// The <c>issuer</c> of the discovery document and the default <c>iss</c>; null means the base URL
    /// (<c>http://127.0.0.1:port</c>, no trailing slash). Set it to imitate issuers whose identifier is not their address
    /// or ends with a slash (Auth0 writes <c>https://tenant/</c>).
    /// </summary>
    public string? Issuer { get; init; }

    public string Audience { get; init; } = DefaultAudience;

    public string Subject { get; init; } = "test-user";

    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The clock for iat/nbf/exp, so tokens line up with a server running on a fake clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Edits the discovery document before it is served (add, replace or remove fields, e.g. point <c>jwks_uri</c>
    /// elsewhere); called on every request, so it sees the current state.
    /// </summary>
    public Action<Dictionary<string, object?>>? EditDiscovery { get; init; }
}
