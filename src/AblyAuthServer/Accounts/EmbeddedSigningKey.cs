namespace AblyAuthServer.Accounts;

/// <summary>
/// One key that signs embedded tokens, kept with the accounts so every replica signs and publishes the same keys.
/// The private key is stored only as data protection ciphertext.
/// </summary>
public sealed class EmbeddedSigningKey
{
    public const int MaxIdLength = 64;

    /// <summary>The <c>kid</c>: the key's RFC 7638 thumbprint.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>1 for the first key, one more for each successor; unique, so two replicas cannot both add the next key.</summary>
    public long Generation { get; set; }

    /// <summary>When it was stored, and so published (Unix milliseconds).</summary>
    public long CreatedAt { get; set; }

    /// <summary>When it starts signing (Unix milliseconds); it stops when the next generation starts.</summary>
    public long ActivatesAt { get; set; }

    /// <summary>The public point's x coordinate, base64url, as the JWK publishes it.</summary>
    public string X { get; set; } = string.Empty;

    /// <summary>The public point's y coordinate, base64url.</summary>
    public string Y { get; set; } = string.Empty;

    /// <summary>The PKCS#8 private key protected with data protection, base64url.</summary>
    public string ProtectedPrivateKey { get; set; } = string.Empty;
}
