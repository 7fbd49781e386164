using Microsoft.Extensions.Caching.Memory;

namespace AblyAuthServer.Authentication.IdentityProviders;

/// <summary>
/// Provider tokens this replica has verified, so that an SDK renewing with the same token again and again costs one
/// RS256/ES256 verification, not one per request. An entry is the caller the token yielded, kept by the token's text,
/// which <see cref="IsCanonical"/> makes the one spelling of its bytes. It never outlives the token (its <c>exp</c>, on
/// the server's clock, with none of validation's leeway), is kept at most <see cref="MaxCacheTime"/>, and counts only
/// while the key that signed it is still in the provider's published keys. The whole cache is bounded by bytes.
/// </summary>
public sealed class VerifiedIssuerTokens(TimeProvider time) : IDisposable
{
    /// <summary>What the cache may hold, in (estimated) bytes of tokens and callers.</summary>
    public const long CacheBytesLimit = 32L * 1024 * 1024;

    /// <summary>The longest token kept; longer ones are verified every time.</summary>
    public const int MaxCachedTokenLength = 8 * 1024;

    private static readonly TimeSpan MaxCacheTime = TimeSpan.FromMinutes(5);

    private readonly MemoryCache _verified = new(new MemoryCacheOptions { SizeLimit = CacheBytesLimit });

    /// <param name="Scheme">The provider's scheme that verified the token.</param>
    /// <param name="Caller">The caller the token yielded.</param>
    /// <param name="KeyId">The <c>kid</c> of the key that verified it, or null for a provider with a shared secret.</param>
    /// <param name="Expires">The token's <c>exp</c>.</param>
    public sealed record Entry(string Scheme, AuthenticatedCaller Caller, string? KeyId, DateTimeOffset Expires);

    /// <summary>The entry for <paramref name="token"/> verified by <paramref name="scheme"/>, if it is still within its <c>exp</c>.</summary>
    public Entry? Find(string scheme, string token)
    {
        if (_verified.TryGetValue(token, out Entry? entry) && entry is not null && entry.Scheme == scheme)
        {
            if (time.GetUtcNow() < entry.Expires)
            {
                return entry;
            }

            _verified.Remove(token);
        }

        return null;
    }

    public void Add(string token, Entry entry)
    {
        var now = time.GetUtcNow();
        if (token.Length > MaxCachedTokenLength || !IsCanonical(token) || entry.Expires <= now)
        {
            return;
        }

        var lifetime = entry.Expires - now;
        _verified.Set(token, entry, new MemoryCacheEntryOptions
        {
            Size = EstimatedBytes(token, entry),
            AbsoluteExpirationRelativeToNow = lifetime < MaxCacheTime ? lifetime : MaxCacheTime,
        });
    }

    /// <summary>Forgets a token (its key is no longer published).</summary>
    public void Remove(string token) => _verified.Remove(token);

    /// <summary>
    /// True for a compact JWS in its one canonical spelling: three base64url segments without padding or whitespace,
    /// each with zero bits after its last byte. Other spellings of the same bytes may verify too, but are never kept,
    /// so a client cannot mint cache entries by re-spelling one token.
    /// </summary>
    public static bool IsCanonical(ReadOnlySpan<char> token)
    {
        var segments = 0;
        while (true)
        {
            var end = token.IndexOf('.');
            var segment = end < 0 ? token : token[..end];
            if (!CanonicalBase64Url.IsCanonical(segment) || ++segments > 3)
            {
                return false;
            }

            if (end < 0)
            {
                return segments == 3;
            }

            token = token[(end + 1)..];
        }
    }

    public void Dispose() => _verified.Dispose();

    private static long EstimatedBytes(string token, Entry entry)
    {
        var account = entry.Caller.Account;
        var text = token.Length + account.UserId.Length + account.UserName.Length + account.ClientId.Length
            + (account.DisplayName?.Length ?? 0) + (entry.Caller.Refusal?.Length ?? 0) + (entry.KeyId?.Length ?? 0);
        foreach (var role in account.Roles)
        {
            text += role.Length;
        }

        // UTF-16 text, plus object headers and the cache entry's own bookkeeping.
        return (2L * text) + 512;
    }
}
