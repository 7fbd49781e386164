using System.Globalization;
using System.Security.Cryptography;

namespace AblyAuthServer.Ably;

/// <summary>Signs TokenRequests with the key secret (spec RSA9: HMAC-SHA256 over the newline-joined fields).</summary>
public sealed class TokenRequestSigner(AblyKey key, TimeProvider timeProvider)
{
    private const int NonceBytes = 16;

    /// <summary>The key this signer signs with: the one Ably must be asked about the TokenRequests it signs.</summary>
    public AblyKey Key => key;

    /// <summary>A TokenRequest for <paramref name="grant"/>, timestamped now, with a fresh CSPRNG nonce.</summary>
    public TokenRequest Sign(TokenGrant grant) =>
        Sign(grant, timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), NewNonce());

    /// <summary>A TokenRequest with the given timestamp and nonce (for reproducing a known MAC).</summary>
    public TokenRequest Sign(TokenGrant grant, long timestamp, string nonce)
    {
        var ttl = (long)grant.Ttl.TotalMilliseconds;
        var capability = grant.Capability.ToJson();
        var mac = key.ComputeMac(SignText(key.Name, ttl, capability, grant.ClientId, timestamp, nonce));
        return new TokenRequest(key.Name, grant.ClientId, capability, ttl, timestamp, nonce, mac);
    }

    /// <summary>
    /// The text the MAC covers: keyName, ttl, capability, clientId, timestamp, nonce, each followed by a newline;
    /// absent values are empty strings.
    /// </summary>
    public static string SignText(string keyName, long? ttl, string? capability, string? clientId, long timestamp, string nonce) =>
        string.Create(CultureInfo.InvariantCulture, $"{keyName}\n{ttl}\n{capability}\n{clientId}\n{timestamp}\n{nonce}\n");

    private static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceBytes));
}
