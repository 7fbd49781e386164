using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.Ably;

/// <summary>
/// An Ably API key, <c>appId.keyId:secret</c>. The secret never leaves this type except as signing material;
/// <see cref="ToString"/> returns the key name only, so a key can be logged safely by accident.
/// </summary>
public sealed class AblyKey
{
    private readonly byte[] _secret;

    private AblyKey(string appId, string keyId, byte[] secret)
    {
        AppId = appId;
        KeyId = keyId;
        Name = $"{appId}.{keyId}";
        _secret = secret;
        SigningCredentials = new SigningCredentials(
            new SymmetricSecurityKey(secret) { KeyId = Name }, SecurityAlgorithms.HmacSha256);
    }

    /// <summary>The shortest secret HS256 signing accepts (256 bits); Ably's own secrets are longer.</summary>
    public const int MinimumJwtSecretBytes = 32;

    /// <summary>The application id, the part before the dot.</summary>
    public string AppId { get; }

    /// <summary>The key id, between the dot and the colon.</summary>
    public string KeyId { get; }

    /// <summary>The key name, <c>appId.keyId</c>: the JWT <c>kid</c> and the TokenRequest <c>keyName</c>.</summary>
    public string Name { get; }

    /// <summary>The secret's length in UTF-8 bytes (not the secret).</summary>
    public int SecretLength => _secret.Length;

    /// <summary>HS256 credentials over the secret's UTF-8 bytes, with <c>kid</c> = <see cref="Name"/>.</summary>
    public SigningCredentials SigningCredentials { get; }

    /// <summary>Parses <c>appId.keyId:secret</c>; the error never contains the input.</summary>
    public static bool TryParse(string? value, out AblyKey? key, out string error)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "is missing";
            return false;
        }

        var text = value.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = "is malformed: expected appId.keyId:secret (no ':' found)";
            return false;
        }

        var name = text[..colon];
        var secret = text[(colon + 1)..];
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == name.Length - 1 || name.IndexOf('.', dot + 1) >= 0)
        {
            error = "is malformed: the key name before ':' must be appId.keyId";
            return false;
        }

        if (secret.Length == 0 || secret.Any(char.IsWhiteSpace) || name.Any(char.IsWhiteSpace))
        {
            error = "is malformed: the secret after ':' is empty or contains whitespace";
            return false;
        }

        key = new AblyKey(name[..dot], name[(dot + 1)..], Encoding.UTF8.GetBytes(secret));
        error = string.Empty;
        return true;
    }

    /// <summary>Parses a key or throws <see cref="FormatException"/> with a message free of the secret.</summary>
    public static AblyKey Parse(string value) =>
        TryParse(value, out var key, out var error) ? key! : throw new FormatException($"The Ably API key {error}.");

    /// <summary>Base64 HMAC-SHA256 of <paramref name="text"/> keyed with the secret (the TokenRequest MAC).</summary>
    public string ComputeMac(string text)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var byteCount = Encoding.UTF8.GetByteCount(text);
        var buffer = byteCount <= 1024 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(text, buffer);
        HMACSHA256.HashData(_secret, buffer, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// A value nobody without the secret can compute or link to <paramref name="value"/>: HMAC-SHA256 keyed with the
    /// secret over a purpose label and the value (the label keeps it apart from every MAC this key signs for Ably),
    /// the first 128 bits in base64url. Stable across replicas and restarts for as long as the key is the same.
    /// </summary>
    public string DeriveIdentifier(string purpose, string value)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes($"ably-auth-server\n{purpose}\n{value}"), hash);
        return System.Buffers.Text.Base64Url.EncodeToString(hash[..16]);
    }

    /// <summary>
    /// The <c>Authorization: Basic</c> parameter for Ably's REST API, <c>base64(keyName:secret)</c>: the one other use of
    /// the secret, sent only to Ably (revoking tokens needs Basic auth with the key that signed them).
    /// </summary>
    public string BasicCredentials()
    {
        var name = Encoding.UTF8.GetBytes(Name + ":");
        var credentials = new byte[name.Length + _secret.Length];
        name.CopyTo(credentials, 0);
        _secret.CopyTo(credentials, name.Length);
        return Convert.ToBase64String(credentials);
    }

    /// <summary>Constant-time check of a candidate secret, for callers that hold one (for example an admin API).</summary>
    public bool SecretEquals(ReadOnlySpan<byte> candidate) => CryptographicOperations.FixedTimeEquals(_secret, candidate);

    /// <summary>The key name; never the secret.</summary>
    public override string ToString() => Name;
}
