namespace AblyAuthServer.Tests.Infrastructure;

/// <summary>
/// An Ably key as <see cref="AblyRestStandIn"/> knows it: <c>appId.keyId</c>, the secret, whether "revocable tokens"
/// is on (Ably's per-key setting; on here by default, since revocation is what most tests exercise), and the key's
/// capability as JSON (null: every operation on every resource, <see cref="AblyRestStandIn.KeyCapability"/>).
/// </summary>
public sealed record AblyRestStandInKey(string Name, string Secret, bool RevocableTokens = true, string? Capability = null)
{
    /// <summary>Parses <c>appId.keyId:secret</c>.</summary>
    public static AblyRestStandInKey Parse(string key, bool revocableTokens = true, string? capability = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        var name = colon > 0 ? key[..colon] : string.Empty;
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == name.Length - 1 || colon == key.Length - 1)
        {
            // Not the key itself: the message would then carry the secret.
            throw new ArgumentException("An Ably key has the form appId.keyId:secret", nameof(key));
        }

        return new AblyRestStandInKey(name, key[(colon + 1)..], revocableTokens, capability);
    }

    /// <summary>Without the secret: records print into assertion messages and test logs.</summary>
    public override string ToString() =>
        $"{Name} (revocable tokens {(RevocableTokens ? "on" : "off")}, capability {Capability ?? AblyRestStandIn.KeyCapability})";
}
