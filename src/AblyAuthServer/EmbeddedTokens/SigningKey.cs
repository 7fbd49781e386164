using Microsoft.IdentityModel.Tokens;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>One signing key as this replica holds it: the public half always, the private half when it could be read.</summary>
/// <param name="Id">The <c>kid</c> (the key's RFC 7638 thumbprint).</param>
/// <param name="Generation">Its place in the rotation: 1 for the first key, one more for each successor.</param>
/// <param name="ActivatesAt">When it starts signing.</param>
/// <param name="X">The public point's x coordinate, base64url.</param>
/// <param name="Y">The public point's y coordinate, base64url.</param>
/// <param name="Credentials">ES256 credentials with the private key; null when this replica cannot read it or it no longer signs.</param>
public sealed record SigningKey(string Id, long Generation, DateTimeOffset ActivatesAt, string X, string Y, SigningCredentials? Credentials = null)
{
    /// <summary>The order in which keys take over: the later activation, then the later generation, signs.</summary>
    public static readonly IComparer<SigningKey> SigningOrder = Comparer<SigningKey>.Create((a, b) =>
        a.ActivatesAt != b.ActivatesAt ? a.ActivatesAt.CompareTo(b.ActivatesAt) : a.Generation.CompareTo(b.Generation));

    /// <summary>The public key as a JWK for the key set (never the private <c>d</c>).</summary>
    public PublicJsonWebKey ToPublicJwk() => new("EC", "P-256", X, Y, Id, "sig", SecurityAlgorithms.EcdsaSha256);
}
