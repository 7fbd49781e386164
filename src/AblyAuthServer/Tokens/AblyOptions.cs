
namespace AblyAuthServer.Tokens;

/// <summary><c>Ably</c>: the key tokens are signed with and the limits every token obeys.</summary>
public sealed class AblyOptions
{
    public const string SectionName = "Ably";

    /// <summary>Ably's own ceiling for token lifetimes.</summary>
    public static readonly TimeSpan AblyMaxTtl = TimeSpan.FromHours(24);

    /// <summary><c>appId.keyId:secret</c>; from <c>ABLY_API_KEY</c> or the file named by <c>ABLY_API_KEY_FILE</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>TTL when the request names none.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Requested TTLs above this are clamped to it; at most 24 hours. One hour by default: a token outlives the logout,
    /// disabling or theft of the credential that minted it by at most this long, and the SDKs renew tokens on their own.
    /// </summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>JWTs travel in HTTP headers; larger ones are refused in favour of a TokenRequest.</summary>
    public int MaxJwtBytes { get; set; } = 8 * 1024;
}
