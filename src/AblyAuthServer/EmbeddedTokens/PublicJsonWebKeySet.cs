using System.Text.Json.Serialization;
using AblyAuthServer.OpenApi;

namespace AblyAuthServer.EmbeddedTokens;

/// <summary>The published key set (RFC 7517): the key that signs, the next one before it signs, and retired ones until their tokens expire.</summary>
/// <param name="Keys">The public keys.</param>
[OpenSchema]
public sealed record PublicJsonWebKeySet([property: JsonPropertyName("keys")] IReadOnlyList<PublicJsonWebKey> Keys);
