using System.Text.Json.Serialization;
using AblyAuthServer.OpenApi;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>A public signing key as RFC 7517 describes it: never the private <c>d</c>.</summary>
/// <param name="Kty">Key type: always <c>EC</c>.</param>
/// <param name="Crv">Curve: always <c>P-256</c>.</param>
/// <param name="X">The public point's x coordinate, base64url.</param>
/// <param name="Y">The public point's y coordinate, base64url.</param>
/// <param name="Kid">The key id that tokens signed with this key carry in their header (the key's RFC 7638 thumbprint).</param>
/// <param name="Use">Always <c>sig</c>.</param>
/// <param name="Alg">Always <c>ES256</c>.</param>
[OpenSchema]
public sealed record PublicJsonWebKey(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("use")] string Use,
    [property: JsonPropertyName("alg")] string Alg);
