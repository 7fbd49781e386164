namespace AblyAuthServer.Ably;

/// <summary>
/// The Ably keys this server holds, and the one that signs. Every key stays usable for what it signed before (its
/// tokens are revoked with it), so a signer can change without a token failing: add a key, switch the signer, wait one
/// maximum TTL, remove the old key.
/// </summary>
public sealed class AblyKeyRing
{
    private readonly Dictionary<string, AblyKey> _byName;

    private AblyKeyRing(IReadOnlyList<AblyKey> keys, AblyKey signing)
    {
        Keys = keys;
        Signing = signing;
        _byName = keys.ToDictionary(key => key.Name, StringComparer.Ordinal);
    }

    /// <summary>The key every new JWT, TokenRequest and Ably Token is signed with.</summary>
    public AblyKey Signing { get; }

    /// <summary>Every key, in the order configured; tokens of each may still be alive.</summary>
    public IReadOnlyList<AblyKey> Keys { get; }

    /// <summary>The key named <paramref name="name"/> (<c>appId.keyId</c>), or null.</summary>
    public AblyKey? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>A ring of one key, which signs.</summary>
    public static AblyKeyRing Of(AblyKey key) => new([key], key);

    /// <summary>
    /// A ring of <paramref name="keys"/> signed by the one named <paramref name="signingKeyName"/>, or by the first when
    /// none is named. Names must be unique; the error never contains a secret.
    /// </summary>
    public static bool TryCreate(IReadOnlyList<AblyKey> keys, string? signingKeyName, out AblyKeyRing? ring, out string error)
    {
        ring = null;
        if (keys.Count == 0)
        {
            error = "holds no key";
            return false;
        }

        var duplicate = keys.GroupBy(key => key.Name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            error = $"lists the key {duplicate.Key} more than once";
            return false;
        }

        var signing = string.IsNullOrEmpty(signingKeyName) ? keys[0] : keys.FirstOrDefault(key => key.Name == signingKeyName);
        if (signing is null)
        {
            error = $"has no key named {signingKeyName} (Ably:SigningKeyName); it holds {string.Join(", ", keys.Select(key => key.Name))}";
            return false;
        }

        ring = new AblyKeyRing(keys, signing);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Parses one key per line (<c>appId.keyId:secret</c>); blank lines and lines starting with <c>#</c> are skipped. An
    /// error names the line number, never its content.
    /// </summary>
    public static bool TryParseLines(string text, out List<AblyKey> keys, out string error)
    {
        keys = [];
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!AblyKey.TryParse(line, out var key, out var keyError))
            {
                error = $"line {i + 1} {keyError}";
                return false;
            }

            if (key!.SecretLength < AblyKey.MinimumJwtSecretBytes)
            {
                error = $"line {i + 1} is malformed: the secret is shorter than {AblyKey.MinimumJwtSecretBytes} bytes";
                return false;
            }

            keys.Add(key);
        }

        error = string.Empty;
        return true;
    }

    public override string ToString() => $"{string.Join(", ", Keys.Select(key => key.Name))} (signing with {Signing.Name})";
}
