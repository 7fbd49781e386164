namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// <c>EmbeddedTokens</c>: the token form an app's own APIs verify with this server's public keys and Ably accepts for
/// the Ably JWT in its header. Off until <see cref="Issuer"/> is set.
/// </summary>
public sealed class EmbeddedTokensOptions
{
    public const string SectionName = "EmbeddedTokens";

    /// <summary>
    /// This server's public origin (<c>https://auth.example.com</c>): the tokens' <c>iss</c>, and where APIs find the
    /// discovery document and the keys. Configured, never taken from a request, so a forged Host header cannot change it.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>The tokens' <c>aud</c>: what the app's APIs expect (required with <see cref="Issuer"/>).</summary>
    public string? Audience { get; set; }

    /// <summary>How long one signing key signs before the next one takes over.</summary>
    public TimeSpan KeyLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a new key is published before it signs, so APIs that cache the key set already know its kid. Longer than
    /// JwtBearer's own refresh of an issuer's keys (12 hours) by default.
    /// </summary>
    public TimeSpan KeyPrepublication { get; set; } = TimeSpan.FromDays(2);

    /// <summary>How often each replica re-reads the key set from the account store, and creates the next key when due.</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    public bool IsEnabled => !string.IsNullOrWhiteSpace(Issuer);
}
