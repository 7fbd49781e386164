using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// What an attacker sends, built by hand because a JWT library refuses to produce it: unsigned tokens, HMAC tokens keyed
/// with public key material, signatures with a byte changed.
/// </summary>
public static class ForgedJws
{
    /// <summary>The public key material an algorithm-confusion attacker might use as the HS256 secret.</summary>
    public enum ConfusionSecret
    {
        /// <summary>The UTF-8 bytes of the <c>-----BEGIN PUBLIC KEY-----</c> PEM (the classic attack on PEM-keyed verifiers).</summary>
        PublicKeyPem,

        /// <summary>The SubjectPublicKeyInfo DER bytes.</summary>
        PublicKeyDer,

        /// <summary>The raw modulus bytes, as decoded from the JWK's <c>n</c>.</summary>
        JwkModulus,

        /// <summary>The JWK's <c>n</c> as its base64url text, for verifiers that take the JWK string as the secret.</summary>
        JwkModulusText,
    }

    /// <summary>
    /// <c>{"alg":"none"}</c> (with <paramref name="algValue"/> to try spellings such as <c>None</c>), the payload, and an
    /// empty signature: <c>header.payload.</c>.
    /// </summary>
    public static string NoneAlgorithm(IReadOnlyDictionary<string, object?> payload, string? keyId = null, string algValue = "none")
    {
        var header = new Dictionary<string, object?> { ["alg"] = algValue, ["typ"] = "JWT" };
        if (keyId is not null)
        {
            header["kid"] = keyId;
        }

        return $"{Segment(header)}.{Segment(payload)}.";
    }

    /// <summary>An HS256 JWS over the payload with <paramref name="key"/> as the HMAC key, whatever its length.</summary>
    public static string Hs256(IReadOnlyDictionary<string, object?> payload, byte[] key, string? keyId = null)
    {
        var header = new Dictionary<string, object?> { ["alg"] = "HS256", ["typ"] = "JWT" };
        if (keyId is not null)
        {
            header["kid"] = keyId;
        }

        var signingInput = $"{Segment(header)}.{Segment(payload)}";
        return $"{signingInput}.{Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>The HMAC key bytes an algorithm-confusion attack would use, taken from an RSA key's public half.</summary>
    public static byte[] ConfusionKey(TestIssuerKey rsaKey, ConfusionSecret secret) => secret switch
    {
        ConfusionSecret.PublicKeyPem => Encoding.UTF8.GetBytes(rsaKey.PublicKeyPem()),
        ConfusionSecret.PublicKeyDer => rsaKey.PublicKeyDer(),
        ConfusionSecret.JwkModulus => rsaKey.Modulus(),
        ConfusionSecret.JwkModulusText => Encoding.UTF8.GetBytes((string)rsaKey.PublicJwk()["n"]),
        _ => throw new ArgumentOutOfRangeException(nameof(secret)),
    };

    /// <summary>
    /// The same token with one byte of the decoded signature flipped. Flipping a base64url character instead could land
    /// in the unused bits of the last character and leave the signature unchanged.
    /// </summary>
    public static string WithFlippedSignatureByte(string token, int byteIndex = 0)
    {
        var lastDot = token.LastIndexOf('.');
        var signature = Base64Url.DecodeFromChars(token.AsSpan(lastDot + 1));
        signature[byteIndex % signature.Length] ^= 0x01;
        return $"{token[..(lastDot + 1)]}{Base64Url.EncodeToString(signature)}";
    }

    public static string Segment(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
}
