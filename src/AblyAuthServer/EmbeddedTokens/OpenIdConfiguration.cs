using System.Text.Json.Serialization;
using AblyAuthServer.OpenApi;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>
/// The OpenID Connect Discovery 1.0 document: enough for a relying party (JwtBearer's Authority, jose's remote key set)
/// to find the keys and the issuer. Every field the specification requires is present.
/// </summary>
/// <param name="Issuer">EmbeddedTokens:Issuer: the <c>iss</c> of every embedded token.</param>
/// <param name="JwksUri">Where the public keys are: the issuer's <c>/.well-known/jwks.json</c>.</param>
/// <param name="AuthorizationEndpoint">This server's login endpoint, where its users authenticate. It is not an OAuth 2.0 authorization endpoint: no OAuth flow runs here (hence the response type <c>none</c>).</param>
/// <param name="ResponseTypesSupported">Only <c>none</c>: this server hands out no OAuth codes or tokens.</param>
/// <param name="SubjectTypesSupported">Only <c>public</c>: every audience sees the same <c>sub</c>.</param>
/// <param name="IdTokenSigningAlgValuesSupported">Only <c>ES256</c>.</param>
[OpenSchema]
public sealed record OpenIdConfiguration(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("authorization_endpoint")] string AuthorizationEndpoint,
    [property: JsonPropertyName("response_types_supported")] IReadOnlyList<string> ResponseTypesSupported,
    [property: JsonPropertyName("subject_types_supported")] IReadOnlyList<string> SubjectTypesSupported,
    [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> IdTokenSigningAlgValuesSupported);
