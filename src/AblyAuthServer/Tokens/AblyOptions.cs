
namespace AblyAuthServer.Tokens;

/// <summary><c>Ably</c>: the key tokens are signed with, the limits every token obeys, and how this server talks to Ably.</summary>
public sealed class AblyOptions
{
    public const string SectionName = "Ably";

    /// <summary>Ably's own ceiling for token lifetimes.</summary>
    public static readonly TimeSpan AblyMaxTtl = TimeSpan.FromHours(24);

    /// <summary>Ably's ceiling for tokens of a key with revocable tokens enabled.</summary>
    public static readonly TimeSpan RevocableMaxTtl = TimeSpan.FromHours(1);

    /// <summary>Ably's production REST host.</summary>
    public const string DefaultRestHost = "https://main.realtime.ably.net";

    /// <summary>
    /// <c>appId.keyId:secret</c>; from <c>ABLY_API_KEY</c> or the file named by <c>ABLY_API_KEY_FILE</c>. The single-key
    /// shortcut: ignored when <see cref="Keys"/> or <see cref="KeysFile"/> is set.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Several keys, each <c>appId.keyId:secret</c>: all usable, one signing (<see cref="SigningKeyName"/>).</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>
    /// A file with one key per line (from <c>ABLY_KEYS_FILE</c>), read again every <see cref="KeysFileCheckInterval"/>,
    /// so a mounted secret can rotate without a restart.
    /// </summary>
    public string? KeysFile { get; set; }

    /// <summary>How often <see cref="KeysFile"/> is read again for changes.</summary>
    public TimeSpan KeysFileCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The key that signs, <c>appId.keyId</c>; unset, the first key listed signs.</summary>
    public string? SigningKeyName { get; set; }

    /// <summary>TTL when the request names none.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Requested TTLs above this are clamped to it; at most 24 hours (1 hour in revocable mode). One hour by default: a
    /// token outlives the logout, disabling or theft of the credential that minted it by at most this long, and the SDKs
    /// renew tokens on their own.
    /// </summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>JWTs travel in HTTP headers; larger ones are refused in favour of a TokenRequest.</summary>
    public int MaxJwtBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// The key has "revocable tokens" enabled in Ably's dashboard: JWTs carry <c>x-ably-revocation-key</c>, and logouts
    /// and account changes revoke the tokens already issued (docs/revocation.md).
    /// </summary>
    public bool Revocable { get; set; }

    /// <summary>Ably's REST host, for token revocation, Ably Tokens and <c>/time</c>; an absolute http(s) URL.</summary>
    public string RestHost { get; set; } = DefaultRestHost;

    /// <summary>How long one call to Ably's REST host may take before it is abandoned (and retried).</summary>
    public TimeSpan RestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>/readyz</c> says <c>Degraded</c> once a revocation has waited this long without reaching Ably.</summary>
    public TimeSpan RevocationAlertAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle server looks for revocations to send, including ones the <c>users</c> CLI wrote.</summary>
    public TimeSpan RevocationPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Read Ably's clock (<c>GET /time</c>) at start and every <see cref="ClockCheckInterval"/>, and mint tokens on it.</summary>
    public bool ClockCheck { get; set; }

    /// <summary>How often Ably's clock is read again (with up to a tenth more or less, so replicas spread out).</summary>
    public TimeSpan ClockCheckInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary><c>/readyz</c> says <c>Degraded</c> while the local clock is further than this from Ably's.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Serve <c>/ably/token-details</c>: for each request the server asks Ably for an Ably Token (<c>requestToken</c>)
    /// and answers with its TokenDetails. Off by default, since every such token is a call to Ably.
    /// </summary>
    public bool AblyTokens { get; set; }

    /// <summary>
    /// How long obtaining one Ably Token may take in all, retries included: below <c>Hosting:RequestTimeout</c>, and
    /// below the 10 s ably-js gives an authUrl.
    /// </summary>
    public TimeSpan AblyTokenTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// One <c>requestToken</c> attempt's timeout: <see cref="RestTimeout"/>, but at most half of
    /// <see cref="AblyTokenTimeout"/>, so a hung attempt leaves time for another.
    /// </summary>
    public TimeSpan AblyTokenAttemptTimeout => RestTimeout < AblyTokenTimeout / 2 ? RestTimeout : AblyTokenTimeout / 2;

    /// <summary>True when anything may call <see cref="RestHost"/>: nothing does otherwise.</summary>
    public bool CallsAbly => Revocable || ClockCheck || AblyTokens;
}
